//! Partner settings that the trust programs read: the time zone of annual reviews and the
//! security contact. Removing the contact fails Cloud Fortified's security-contact requirement,
//! so each of the partner's apps carrying the badge gets a system escalation.

use apptrust_programs::catalog::Catalog;
use apptrust_store::partners::{self, Partner, PartnerUpdate};
use apptrust_store::{Actor, Store, StoreError, audit};

use crate::signals::{PROGRAM, escalate_in};
use crate::submissions::SubmissionError;

/// The longest security contact, in characters.
pub const CONTACT_LIMIT: usize = 320;

/// Updates partner `key`; a removed security contact escalates its apps.
pub async fn update(
    store: &Store,
    catalog: &Catalog,
    key: &str,
    update: &PartnerUpdate<'_>,
    actor: &Actor,
) -> Result<Partner, SubmissionError> {
    if let Some(Some(contact)) = update.security_contact
        && contact.chars().count() > CONTACT_LIMIT
    {
        return Err(StoreError::Invalid(format!(
            "a security contact holds at most {CONTACT_LIMIT} characters"
        ))
        .into());
    }
    let update = PartnerUpdate {
        time_zone: update.time_zone,
        security_contact: update
            .security_contact
            .map(|c| c.map(str::trim).filter(|c| !c.is_empty())),
    };
    let now = store.now();
    let at = store.clock().now().unix_timestamp();
    let mut tx = store.begin().await?;
    let (before, after) = partners::update_in(tx.connection(), key, &update).await?;
    if before.security_contact.is_some() && after.security_contact.is_none() {
        let badge = catalog
            .program(PROGRAM)
            .map(|p| p.badge.clone())
            .unwrap_or_default();
        let apps =
            partners::apps_carrying_in(tx.connection(), after.id, &badge, "APPROVED").await?;
        for app_id in apps {
            escalate_in(
                tx.connection(),
                catalog,
                app_id,
                "no-security-contact",
                "the partner has no security contact: Cloud Fortified's security.contact \
                 requirement fails",
                at,
                &now,
            )
            .await?;
        }
    }
    audit::record(
        tx.connection(),
        &now,
        actor,
        "partner.update",
        &format!("partner:{key}"),
        serde_json::json!({"timeZone": after.time_zone, "securityContact": after.security_contact}),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}
