//! Users, their API tokens and their browser sessions.

use apptrust_programs::DisplayName;
use serde::Serialize;
use sqlx::{Any, AnyConnection, Row};

use crate::error::conflict_if_duplicate;
use crate::{Actor, Store, StoreError, audit, clock, secrets};

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
}

impl Role {
    /// The role as the API and the database spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Partner => "partner",
            Role::Staff => "staff",
            Role::SiteAdmin => "site-admin",
        }
    }

    /// Reads a role.
    pub fn parse(text: &str) -> Option<Role> {
        [Role::Partner, Role::Staff, Role::SiteAdmin]
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

/// An API token as its owner sees it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    pub id: i64,
    pub label: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// A browser session: the user and the token that state-changing requests must echo.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
}

const USER_COLUMNS: &str =
    "u.id, u.name, u.email, u.role, u.partner_id, p.key AS partner_key, u.site";

fn user(row: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role `{role}`")))?,
        partner_id: row.try_get("partner_id")?,
        partner: row.try_get("partner_key")?,
        site: row.try_get("site")?,
    })
}

fn random(prefix: &str) -> Result<String, StoreError> {
    secrets::new_secret(prefix)
        .map_err(|e| StoreError::Invalid(format!("no randomness available: {e}")))
}

async fn insert_user(
    tx: &mut AnyConnection,
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
    .bind(clock::now())
    .fetch_one(&mut *tx)
    .await
    .map_err(conflict_if_duplicate(|| {
        format!("a user with e-mail `{}` already exists", new.email)
    }))?;
    let token = insert_token(tx, id, "initial").await?;
    let created = User {
        id,
        name: new.name.clone(),
        email: new.email.clone(),
        role: new.role,
        partner_id,
        partner: new.partner.clone(),
        site: new.site.clone(),
    };
    let detail =
        serde_json::json!({"email": new.email, "role": new.role.as_str(), "partner": new.partner});
    audit::record(tx, actor, "user.create", &format!("user:{id}"), detail).await?;
    Ok((created, token))
}

async fn insert_token(
    tx: &mut AnyConnection,
    user_id: i64,
    label: &str,
) -> Result<String, StoreError> {
    let token = random("apt_")?;
    sqlx::query::<Any>(
        "INSERT INTO api_tokens (user_id, token_hash, label, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(user_id)
    .bind(secrets::hash(&token))
    .bind(label)
    .bind(clock::now())
    .execute(&mut *tx)
    .await?;
    Ok(token)
}

impl Store {
    /// Creates a user and their first API token; the token is returned once and stored hashed.
    pub async fn create_user(
        &self,
        new: &NewUser,
        actor: &Actor,
    ) -> Result<(User, String), StoreError> {
        let mut tx = self.write.begin().await?;
        let created = insert_user(&mut tx, new, actor).await?;
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
        let created = insert_user(&mut tx, &new, &Actor::system("bootstrap")).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Issues another API token for a user.
    pub async fn create_token(&self, user: &User, label: &str) -> Result<String, StoreError> {
        let mut tx = self.write.begin().await?;
        let token = insert_token(&mut tx, user.id, label).await?;
        let detail = serde_json::json!({"label": label});
        audit::record(
            &mut tx,
            &user.actor(),
            "token.create",
            &format!("user:{}", user.id),
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The user an API token belongs to, if the token is known and not revoked.
    pub async fn user_by_token(&self, token: &str) -> Result<Option<User>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             LEFT JOIN partners p ON p.id = u.partner_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
        );
        let row = sqlx::query::<Any>(&sql)
            .bind(secrets::hash(token))
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(user).transpose()
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

    /// Opens a browser session for a user; returns the session secret (for the cookie) and the
    /// CSRF token.
    pub async fn create_session(
        &self,
        user: &User,
        hours: i64,
    ) -> Result<(String, String), StoreError> {
        let secret = random("ses_")?;
        let csrf = random("csrf_")?;
        let mut tx = self.write.begin().await?;
        sqlx::query::<Any>(
            "INSERT INTO sessions (user_id, session_hash, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(user.id)
        .bind(secrets::hash(&secret))
        .bind(&csrf)
        .bind(clock::now())
        .bind(clock::from_now(hours * 3600))
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            &user.actor(),
            "session.create",
            &format!("user:{}", user.id),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok((secret, csrf))
    }

    /// The live session with this secret.
    pub async fn session(&self, secret: &str) -> Result<Option<Session>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id \
             LEFT JOIN partners p ON p.id = u.partner_id \
             WHERE s.session_hash = $1 AND s.expires_at > $2"
        );
        let row = sqlx::query::<Any>(&sql)
            .bind(secrets::hash(secret))
            .bind(clock::now())
            .fetch_optional(&self.read)
            .await?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some(Session {
                user: user(&row)?,
                csrf_token: row.try_get("csrf_token")?,
            })),
        }
    }

    /// Ends a session.
    pub async fn end_session(&self, user: &User, secret: &str) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        sqlx::query::<Any>("UPDATE sessions SET expires_at = $2 WHERE session_hash = $1")
            .bind(secrets::hash(secret))
            .bind(clock::now())
            .execute(&mut *tx)
            .await?;
        let subject = format!("user:{}", user.id);
        audit::record(
            &mut tx,
            &user.actor(),
            "session.end",
            &subject,
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A user's API tokens (never the secrets, which are not stored).
    pub async fn tokens(&self, user: &User) -> Result<Vec<TokenInfo>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT id, label, created_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id",
        )
        .bind(user.id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenInfo {
                    id: r.try_get("id")?,
                    label: r.try_get("label")?,
                    created_at: r.try_get("created_at")?,
                    revoked_at: r.try_get("revoked_at")?,
                })
            })
            .collect()
    }

    /// Revokes one of `owner`'s tokens; refused (not found) for anyone else's.
    pub async fn revoke_token(
        &self,
        owner: &User,
        id: i64,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let revoked = sqlx::query::<Any>(
            "UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(owner.id)
        .bind(clock::now())
        .execute(&mut *tx)
        .await?;
        if revoked.rows_affected() != 1 {
            return Err(StoreError::NotFound(format!(
                "no live token {id} of this user"
            )));
        }
        let subject = format!("user:{}", owner.id);
        audit::record(
            &mut tx,
            actor,
            "token.revoke",
            &subject,
            serde_json::json!({"token": id}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
