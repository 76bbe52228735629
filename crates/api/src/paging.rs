//! Paging: lists ordered by id take `after` and `limit`, and answer `next`, the last id of the
//! page when more items follow and `null` on the last page (even a full one).

use serde::{Deserialize, Serialize};

/// `?after=&limit=` of a list ordered by id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Only items with a larger id (the paging cursor: the previous page's `next`).
    #[cfg_attr(feature = "openapi", param(minimum = 0, default = 0))]
    pub after: Option<i64>,
    /// Page size; outside 1..200 is a 422.
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200, default = 50))]
    pub limit: Option<i64>,
}
