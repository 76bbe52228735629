//! Partners: the companies that publish apps.

use serde::{Deserialize, Serialize};

/// A partner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Partner {
    #[cfg_attr(feature = "openapi", schema(examples("acme")))]
    pub key: String,
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime, examples("2025-01-31T09:30:00.000Z")))]
    pub created_at: String,
    /// The IANA time zone its annual reviews are dated in (`UTC` unless set).
    #[cfg_attr(feature = "openapi", schema(examples("Europe/Berlin")))]
    pub time_zone: String,
    /// Who answers vulnerability reports (an e-mail address or a page); Cloud Fortified asks
    /// for one.
    pub security_contact: Option<String>,
}

/// `POST /api/v1/partners` (staff).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreatePartner {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[a-z0-9][a-z0-9-]{0,63}$"))]
    pub key: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    /// An IANA time zone (`Europe/Berlin`); `UTC` when left out.
    #[serde(default, rename = "timeZone")]
    pub time_zone: Option<String>,
}

/// `PATCH /api/v1/partners/{partner}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdatePartner {
    /// An IANA time zone (`Europe/Berlin`, `Pacific/Kiritimati`, `UTC`).
    #[cfg_attr(feature = "openapi", schema(examples("Europe/Berlin")))]
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Who answers vulnerability reports; `null` or `""` removes it, which opens a system
    /// escalation for every app of the partner carrying Cloud Fortified. Left out: unchanged.
    #[serde(default, deserialize_with = "present")]
    pub security_contact: Option<Option<String>>,
}

/// A member that is present (even as `null`) is `Some`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// `GET /api/v1/partners`: every partner for staff, their own for a partner member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerList {
    pub partners: Vec<Partner>,
}
