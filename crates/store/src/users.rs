//! Users, their API tokens and their browser sessions.

use apptrust_programs::DisplayName;
use serde::Serialize;
use sqlx::{Any, AnyConnection, Row};

use crate::Page;

use crate::error::conflict_if_duplicate;
use crate::{Actor, Store, StoreError, audit, secrets};

/// What a user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A member of a partner: manages that partner's apps.
    Partner,
    /// Marketplace staff: manages everything.
    Staff,
    /// A customer's site administrator: acts on their own site's installations.
    SiteAdmin,
    /// The deployment pipeline's service account: reports what was deployed to any app, and
    /// nothing else. Versions it reports are marked as reported by the platform.
    Platform,
}

impl Role {
    /// The role as the API and the database spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Partner => "partner",
            Role::Staff => "staff",
            Role::SiteAdmin => "site-admin",
            Role::Platform => "platform",
        }
    }

    /// Reads a role.
    pub fn parse(text: &str) -> Option<Role> {
        [Role::Partner, Role::Staff, Role::SiteAdmin, Role::Platform]
            .into_iter()
            .find(|r| r.as_str() == text)
    }
}

/// A user.
#[derive(Clone, Debug, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    #[serde(skip)]
    pub partner_id: Option<i64>,
    /// The partner's key, for partner members.
    pub partner: Option<String>,
    /// The customer site, for site admins.
    pub site: Option<String>,
    /// When staff disabled the user; a disabled user's credentials are all refused.
    #[serde(rename = "disabledAt", skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<String>,
}

impl User {
    /// How the audit log names this user.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.id),
            label: format!("user:{} ({})", self.id, self.email),
        }
    }
}

/// A user to create.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub name: String,
    pub email: String,
    pub role: Role,
    /// Required for (and only for) partner members.
    pub partner: Option<String>,
    pub site: Option<String>,
}

pub(crate) const USER_COLUMNS: &str =
    "u.id, u.name, u.email, u.role, u.partner_id, p.key AS partner_key, u.site, u.disabled_at";

pub(crate) fn user(row: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role `{role}`")))?,
        partner_id: row.try_get("partner_id")?,
        partner: row.try_get("partner_key")?,
        site: row.try_get("site")?,
        disabled_at: row.try_get("disabled_at")?,
    })
}

pub(crate) fn random(prefix: &str) -> Result<String, StoreError> {
    secrets::new_secret(prefix)
        .map_err(|e| StoreError::Invalid(format!("no randomness available: {e}")))
}

async fn insert_user(
    tx: &mut AnyConnection,
    now: &str,
    new: &NewUser,
    actor: &Actor,
) -> Result<(User, String), StoreError> {
    if new.email.trim().is_empty() || !new.email.contains('@') || new.email.len() > 254 {
        return Err(StoreError::Invalid(format!(
            "`{}` is not an e-mail address",
            new.email.chars().take(80).collect::<String>()
        )));
    }
    DisplayName::parse("user name", &new.name).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let partner_id: Option<i64> = match (&new.partner, new.role) {
        (Some(key), Role::Partner) => Some(
            sqlx::query_scalar::<Any, i64>("SELECT id FROM partners WHERE key = $1")
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("no partner with key `{key}`")))?,
        ),
        (None, Role::Partner) => {
            return Err(StoreError::Invalid(
                "a partner member needs a `partner`".into(),
            ));
        }
        (Some(_), _) => {
            return Err(StoreError::Invalid(
                "only partner members belong to a partner".into(),
            ));
        }
        (None, _) => None,
    };
    let id: i64 = sqlx::query_scalar::<Any, i64>(
        "INSERT INTO users (name, email, role, partner_id, site, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(&new.name)
    .bind(&new.email)
    .bind(new.role.as_str())
    .bind(partner_id)
    .bind(&new.site)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(conflict_if_duplicate(|| {
        format!("a user with e-mail `{}` already exists", new.email)
    }))?;
    let token = crate::tokens::insert(tx, now, id, "initial", None, None).await?;
    let created = User {
        id,
        name: new.name.clone(),
        email: new.email.clone(),
        role: new.role,
        partner_id,
        partner: new.partner.clone(),
        site: new.site.clone(),
        disabled_at: None,
    };
    let detail =
        serde_json::json!({"email": new.email, "role": new.role.as_str(), "partner": new.partner});
    audit::record(tx, now, actor, "user.create", &format!("user:{id}"), detail).await?;
    Ok((created, token))
}

impl Store {
    /// Creates a user and their first API token; the token is returned once and stored hashed.
    pub async fn create_user(
        &self,
        new: &NewUser,
        actor: &Actor,
    ) -> Result<(User, String), StoreError> {
        let mut tx = self.write.begin().await?;
        let created = insert_user(&mut tx, &self.now(), new, actor).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Creates the first staff user of a fresh database. Refuses once any staff user exists, so
    /// that it cannot be used to mint staff tokens later.
    pub async fn bootstrap_staff(
        &self,
        name: &str,
        email: &str,
    ) -> Result<(User, String), StoreError> {
        let mut tx = self.write.begin().await?;
        let staff: i64 =
            sqlx::query_scalar::<Any, i64>("SELECT COUNT(*) FROM users WHERE role = 'staff'")
                .fetch_one(&mut *tx)
                .await?;
        if staff > 0 {
            return Err(StoreError::Conflict(
                "this database already has a staff user; ask them for a token instead".into(),
            ));
        }
        let new = NewUser {
            name: name.to_string(),
            email: email.to_string(),
            role: Role::Staff,
            partner: None,
            site: None,
        };
        let created = insert_user(&mut tx, &self.now(), &new, &Actor::system("bootstrap")).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// The user with this e-mail address.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u LEFT JOIN partners p ON p.id = u.partner_id \
             WHERE u.email = $1"
        );
        let row = sqlx::query::<Any>(&sql)
            .bind(email)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(user).transpose()
    }

    /// A user by id.
    pub async fn user_by_id(&self, id: i64) -> Result<User, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u LEFT JOIN partners p ON p.id = u.partner_id \
             WHERE u.id = $1"
        );
        let row = sqlx::query::<Any>(&sql)
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref()
            .map(user)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound(format!("no user {id}")))
    }

    /// Users in id order, a page at a time.
    pub async fn users(&self, page: Page) -> Result<Vec<User>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u LEFT JOIN partners p ON p.id = u.partner_id \
             WHERE u.id > $1 ORDER BY u.id LIMIT $2"
        );
        let rows = sqlx::query::<Any>(&sql)
            .bind(page.after)
            .bind(page.limit)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(user).collect()
    }

    /// Disables a user: every token is revoked, every session ended, and no credential of
    /// theirs is accepted until staff enable them again.
    pub async fn disable_user(&self, id: i64, actor: &Actor) -> Result<User, StoreError> {
        if actor.user_id == Some(id) {
            return Err(StoreError::Invalid(
                "you cannot disable yourself; ask another staff member".into(),
            ));
        }
        let now = self.now();
        let mut tx = self.write.begin().await?;
        crate::tokens::lock_user(&mut tx, id).await?;
        let changed = sqlx::query::<Any>(
            "UPDATE users SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL",
        )
        .bind(id)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() == 1 {
            let ended = crate::tokens::end_all(&mut tx, id, &now).await?;
            audit::record(
                &mut tx,
                &self.now(),
                actor,
                "user.disable",
                &format!("user:{id}"),
                ended,
            )
            .await?;
        }
        tx.commit().await?;
        self.user_by_id(id).await
    }

    /// Enables a disabled user. Their old credentials stay revoked: staff issue a new token.
    pub async fn enable_user(&self, id: i64, actor: &Actor) -> Result<User, StoreError> {
        let mut tx = self.write.begin().await?;
        let changed = sqlx::query::<Any>(
            "UPDATE users SET disabled_at = NULL WHERE id = $1 AND disabled_at IS NOT NULL",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() == 1 {
            let subject = format!("user:{id}");
            audit::record(
                &mut tx,
                &self.now(),
                actor,
                "user.enable",
                &subject,
                serde_json::json!({}),
            )
            .await?;
        }
        tx.commit().await?;
        self.user_by_id(id).await
    }
}
