//! A site's policy against an app's badges: what an installation of the app would break.

use apptrust_store::badges;
use apptrust_store::{Connection, StoreError};

/// Why an installation of app `app_id` breaks a policy requiring `required` badges (empty when
/// it does not): one reason per badge the app does not carry.
pub async fn breaks_in(
    connection: &mut Connection,
    required: &[String],
    app_id: i64,
) -> Result<Vec<String>, StoreError> {
    let mut reasons = Vec::new();
    for badge in required {
        let status = badges::load_in(connection, app_id, badge).await?;
        match status {
            Some(b) if b.status == "APPROVED" => {}
            Some(b) if b.reasons.is_empty() => reasons.push(format!(
                "the site requires the `{badge}` badge, and the app's is {}",
                b.status
            )),
            Some(b) => reasons.push(format!(
                "the site requires the `{badge}` badge, and the app's is {} ({})",
                b.status,
                b.reasons.join(", ")
            )),
            None => reasons.push(format!(
                "the site requires the `{badge}` badge, and the app has never carried it"
            )),
        }
    }
    Ok(reasons)
}
