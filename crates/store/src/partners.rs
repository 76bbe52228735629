//! Partners: the companies that own apps.

use apptrust_programs::PartnerKey;
use serde::Serialize;
use sqlx::{Any, Row};

use crate::error::conflict_if_duplicate;
use crate::{Actor, Store, StoreError, audit};

/// A partner.
#[derive(Clone, Debug, Serialize)]
pub struct Partner {
    #[serde(skip)]
    pub id: i64,
    pub key: String,
    pub name: String,
    #[serde(rename = "createdAt")]
    pub created_at: String,
    /// The IANA time zone its annual reviews are dated in.
    #[serde(rename = "timeZone")]
    pub time_zone: String,
    /// Who answers vulnerability reports (Cloud Fortified asks for one).
    #[serde(rename = "securityContact")]
    pub security_contact: Option<String>,
}

fn partner(row: &sqlx::any::AnyRow) -> Result<Partner, sqlx::Error> {
    Ok(Partner {
        id: row.try_get("id")?,
        key: row.try_get("key")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
        time_zone: row.try_get("time_zone")?,
        security_contact: row.try_get("security_contact")?,
    })
}

/// The time zone of the partner with `id`.
pub async fn time_zone_in(
    connection: &mut crate::Connection,
    id: i64,
) -> Result<String, StoreError> {
    Ok(
        sqlx::query_scalar::<Any, String>("SELECT time_zone FROM partners WHERE id = $1")
            .bind(id)
            .fetch_one(connection)
            .await?,
    )
}

/// What a partner's update changes: `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct PartnerUpdate<'a> {
    /// An IANA name the caller checked.
    pub time_zone: Option<&'a str>,
    /// `Some(None)` removes the contact.
    pub security_contact: Option<Option<&'a str>>,
}

/// Updates the partner with `key` in the caller's transaction; the partner as it was and as it
/// is.
pub async fn update_in(
    connection: &mut crate::Connection,
    key: &str,
    update: &PartnerUpdate<'_>,
) -> Result<(Partner, Partner), StoreError> {
    let before = sqlx::query::<Any>(
        "SELECT id, key, name, created_at, time_zone, security_contact FROM partners \
         WHERE key = $1",
    )
    .bind(key)
    .fetch_optional(&mut *connection)
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("no partner with key `{key}`")))?;
    let before = partner(&before)?;
    let after = sqlx::query::<Any>(
        "UPDATE partners SET time_zone = $2, security_contact = $3 WHERE key = $1 \
         RETURNING id, key, name, created_at, time_zone, security_contact",
    )
    .bind(key)
    .bind(update.time_zone.unwrap_or(&before.time_zone))
    .bind(match update.security_contact {
        Some(contact) => contact.map(str::to_string),
        None => before.security_contact.clone(),
    })
    .fetch_one(connection)
    .await?;
    Ok((before, partner(&after)?))
}

/// The ids of the partner's apps whose `badge` is `status`.
pub async fn apps_carrying_in(
    connection: &mut crate::Connection,
    partner_id: i64,
    badge: &str,
    status: &str,
) -> Result<Vec<i64>, StoreError> {
    Ok(sqlx::query_scalar::<Any, i64>(
        "SELECT a.id FROM apps a JOIN badges b ON b.app_id = a.id \
         WHERE a.partner_id = $1 AND b.program = $2 AND b.status = $3 ORDER BY a.id",
    )
    .bind(partner_id)
    .bind(badge)
    .bind(status)
    .fetch_all(connection)
    .await?)
}

impl Store {
    /// Creates a partner.
    pub async fn create_partner(
        &self,
        key: &PartnerKey,
        name: &str,
        time_zone: &str,
        actor: &Actor,
    ) -> Result<Partner, StoreError> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query::<Any>(
            "INSERT INTO partners (key, name, created_at, time_zone) VALUES ($1, $2, $3, $4) \
             RETURNING id, key, name, created_at, time_zone, security_contact",
        )
        .bind(key.as_str())
        .bind(name)
        .bind(self.now())
        .bind(time_zone)
        .fetch_one(&mut *tx)
        .await
        .map_err(conflict_if_duplicate(|| {
            format!("a partner with key `{key}` already exists")
        }))?;
        let created = partner(&row)?;
        let detail = serde_json::json!({"name": name, "timeZone": time_zone});
        audit::record(
            &mut tx,
            &self.now(),
            actor,
            "partner.create",
            &format!("partner:{key}"),
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// One partner by key.
    pub async fn partner(&self, key: &str) -> Result<Partner, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT id, key, name, created_at, time_zone, security_contact FROM partners \
             WHERE key = $1",
        )
        .bind(key)
        .fetch_optional(&self.read)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no partner with key `{key}`")))?;
        Ok(partner(&row)?)
    }

    /// Every partner, or only the one with `only_id`.
    pub async fn partners(&self, only_id: Option<i64>) -> Result<Vec<Partner>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT id, key, name, created_at, time_zone, security_contact FROM partners \
             WHERE ($1 < 0 OR id = $1) ORDER BY key",
        )
        .bind(only_id.unwrap_or(-1))
        .fetch_all(&self.read)
        .await?;
        Ok(rows.iter().map(partner).collect::<Result<_, _>>()?)
    }
}

impl Store {
    /// How many users and partners the database holds besides the named ones (the demo's
    /// check that it is not seeding a real installation).
    pub async fn data_other_than(
        &self,
        emails: &[&str],
        partner_keys: &[&str],
    ) -> Result<(i64, i64), StoreError> {
        let users: i64 = sqlx::query_scalar::<Any, i64>("SELECT COUNT(*) FROM users")
            .fetch_one(&self.read)
            .await?;
        let partners: i64 = sqlx::query_scalar::<Any, i64>("SELECT COUNT(*) FROM partners")
            .fetch_one(&self.read)
            .await?;
        let mut known_users = 0;
        for email in emails {
            known_users +=
                sqlx::query_scalar::<Any, i64>("SELECT COUNT(*) FROM users WHERE email = $1")
                    .bind(*email)
                    .fetch_one(&self.read)
                    .await?;
        }
        let mut known_partners = 0;
        for key in partner_keys {
            known_partners +=
                sqlx::query_scalar::<Any, i64>("SELECT COUNT(*) FROM partners WHERE key = $1")
                    .bind(*key)
                    .fetch_one(&self.read)
                    .await?;
        }
        Ok((users - known_users, partners - known_partners))
    }
}
