//! Go-to-market list editions.

use serde::{Deserialize, Serialize};

/// `POST /api/v1/programs/{program}/editions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PublishEdition {
    /// `YYYY-MM`: this month or an earlier one not yet published.
    #[cfg_attr(feature = "openapi", schema(examples("2027-01")))]
    pub month: String,
}

/// One app on a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EditionEntry {
    pub app: String,
    pub name: String,
    pub partner: String,
    /// Since when it carries the badge.
    pub since: String,
    pub requirement_set: Option<String>,
    /// Not on the previous edition.
    pub new: bool,
}

/// An edition (or the preview of one: no `publishedAt`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EditionView {
    pub program: String,
    pub month: String,
    pub published_at: Option<String>,
    pub published_by: Option<String>,
    pub apps: Vec<EditionEntry>,
}

/// An edition in the list of editions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EditionSummary {
    pub month: String,
    pub published_at: String,
    /// How many apps it lists.
    pub apps: usize,
}

/// `GET /api/v1/programs/{program}/editions`: newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EditionList {
    pub editions: Vec<EditionSummary>,
}

/// `?format=json|csv`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct EditionFormat {
    /// `json` (the default) or `csv`.
    pub format: Option<String>,
}

/// `?month=` of a preview.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct PreviewQuery {
    /// `YYYY-MM` (default: this month).
    pub month: Option<String>,
}
