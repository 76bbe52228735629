//! Go-to-market list editions (spec §4): each month staff publish the list of apps that carry an
//! approval program's badge, as JSON and CSV. An edition is immutable once published; the apps
//! new since the previous edition are marked, and each listed app's partner is told.

use apptrust_programs::catalog::{Catalog, Grant};
use apptrust_store::editions::{self, EditionRow};
use apptrust_store::{Actor, Connection, Store, StoreError, audit, notifications};
use serde::{Deserialize, Serialize};

use crate::badges::APPROVED;

/// One app on a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub app: String,
    pub name: String,
    pub partner: String,
    /// Since when it carries the badge.
    pub since: String,
    pub requirement_set: Option<String>,
    /// Not on the previous edition.
    pub new: bool,
}

/// An edition, published or previewed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edition {
    pub program: String,
    pub month: String,
    /// `None` for a preview.
    pub published_at: Option<String>,
    pub published_by: Option<String>,
    pub entries: Vec<Entry>,
}

/// The program's key, if it is an approval program.
fn approval_program<'a>(
    catalog: &'a Catalog,
    program: &str,
) -> Result<(&'a str, &'a str), StoreError> {
    let definition = catalog
        .program(program)
        .ok_or_else(|| StoreError::NotFound(format!("no program `{program}`")))?;
    if definition.grant != Grant::Approval {
        return Err(StoreError::NotFound(format!(
            "`{}` has no go-to-market list: its badge is not granted by approval",
            definition.key
        )));
    }
    Ok((&definition.key, &definition.badge))
}

/// Checks `month` (`YYYY-MM`) and that it has begun.
fn checked_month(month: &str, today: &str) -> Result<(), StoreError> {
    let bytes = month.as_bytes();
    let well_formed = bytes.len() == 7
        && bytes[4] == b'-'
        && month[..4].bytes().all(|b| b.is_ascii_digit())
        && month[5..]
            .parse::<u8>()
            .is_ok_and(|m| (1..=12).contains(&m));
    if !well_formed {
        return Err(StoreError::Invalid(format!(
            "`{month}` is not a month (`YYYY-MM`)"
        )));
    }
    if month > &today[..7] {
        return Err(StoreError::Invalid(format!(
            "the {month} edition cannot be published before its month"
        )));
    }
    Ok(())
}

async fn entries_in(
    connection: &mut Connection,
    program: &str,
    badge: &str,
    month: &str,
) -> Result<Vec<(i64, Entry)>, StoreError> {
    let previous: Vec<Entry> = match editions::previous_in(connection, program, month).await? {
        Some(edition) => serde_json::from_str(&edition.entries)
            .map_err(|e| StoreError::Corrupt(format!("edition {}: {e}", edition.month)))?,
        None => Vec::new(),
    };
    Ok(editions::holders_in(connection, badge, APPROVED)
        .await?
        .into_iter()
        .map(|h| {
            let entry = Entry {
                new: !previous.iter().any(|p| p.app == h.app_key),
                app: h.app_key,
                name: h.app_name,
                partner: h.partner,
                since: h.since,
                requirement_set: h.requirement_set,
            };
            (h.app_id, entry)
        })
        .collect())
}

/// What the `month` edition would hold if published now.
pub async fn preview(
    store: &Store,
    catalog: &Catalog,
    program: &str,
    month: &str,
) -> Result<Edition, StoreError> {
    let (key, badge) = approval_program(catalog, program)?;
    checked_month(month, &store.today())?;
    let mut connection = store.reader().await?;
    Ok(Edition {
        program: key.to_string(),
        month: month.to_string(),
        published_at: None,
        published_by: None,
        entries: entries_in(&mut connection, key, badge, month)
            .await?
            .into_iter()
            .map(|(_, e)| e)
            .collect(),
    })
}

/// Publishes the `month` edition: the apps carrying the badge now. Once only.
pub async fn publish(
    store: &Store,
    catalog: &Catalog,
    program: &str,
    month: &str,
    actor: &Actor,
) -> Result<Edition, StoreError> {
    let (key, badge) = approval_program(catalog, program)?;
    checked_month(month, &store.today())?;
    let now = store.now();
    let mut tx = store.begin().await?;
    let listed = entries_in(tx.connection(), key, badge, month).await?;
    let entries: Vec<Entry> = listed.iter().map(|(_, e)| e.clone()).collect();
    editions::insert_in(
        tx.connection(),
        &EditionRow {
            program: key.to_string(),
            month: month.to_string(),
            published_at: now.clone(),
            published_by: actor.label.clone(),
            entries: serde_json::to_string(&entries)?,
        },
    )
    .await?;
    for (app_id, entry) in &listed {
        notifications::record_in(
            tx.connection(),
            &now,
            notifications::EDITION_PUBLISHED,
            *app_id,
            &format!("edition:{key}:{month}"),
            serde_json::json!({"program": key, "month": month, "new": entry.new}),
        )
        .await?;
    }
    audit::record(
        tx.connection(),
        &now,
        actor,
        "edition.publish",
        &format!("edition:{key}:{month}"),
        serde_json::json!({"apps": entries.len()}),
    )
    .await?;
    tx.commit().await?;
    Ok(Edition {
        program: key.to_string(),
        month: month.to_string(),
        published_at: Some(now),
        published_by: Some(actor.label.clone()),
        entries,
    })
}

/// A published edition.
pub async fn read(
    store: &Store,
    catalog: &Catalog,
    program: &str,
    month: &str,
) -> Result<Edition, StoreError> {
    let (key, _) = approval_program(catalog, program)?;
    let row = store
        .edition(key, month)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no {month} edition of `{key}`")))?;
    Ok(Edition {
        entries: serde_json::from_str(&row.entries)
            .map_err(|e| StoreError::Corrupt(format!("edition {month}: {e}")))?,
        program: row.program,
        month: row.month,
        published_at: Some(row.published_at),
        published_by: Some(row.published_by),
    })
}

/// The edition as CSV (RFC 4180): a header, then one line per app.
pub fn csv(edition: &Edition) -> String {
    let field = |value: &str| {
        if value.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", value.replace('"', "\"\""))
        } else {
            value.to_string()
        }
    };
    let mut out = String::from("app,name,partner,since,requirementSet,new\r\n");
    for e in &edition.entries {
        let line = [
            field(&e.app),
            field(&e.name),
            field(&e.partner),
            field(&e.since),
            field(e.requirement_set.as_deref().unwrap_or("")),
            e.new.to_string(),
        ]
        .join(",");
        out.push_str(&line);
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let edition = Edition {
            program: "cloud-fortified".into(),
            month: "2027-01".into(),
            published_at: None,
            published_by: None,
            entries: vec![Entry {
                app: "com.acme.a".into(),
                name: "Reports, \"Pro\"".into(),
                partner: "Acme".into(),
                since: "2026-12-01T00:00:00.000Z".into(),
                requirement_set: None,
                new: true,
            }],
        };
        assert_eq!(
            csv(&edition),
            "app,name,partner,since,requirementSet,new\r\n\
             com.acme.a,\"Reports, \"\"Pro\"\"\",Acme,2026-12-01T00:00:00.000Z,,true\r\n"
        );
    }

    #[test]
    fn months_are_checked() {
        assert!(checked_month("2027-01", "2027-01-15").is_ok());
        assert!(checked_month("2027-02", "2027-01-15").is_err());
        assert!(checked_month("2027-13", "2027-12-15").is_err());
        assert!(checked_month("27-01", "2027-12-15").is_err());
    }
}
