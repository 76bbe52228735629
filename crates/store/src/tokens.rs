//! API tokens. A token is shown once and stored as a SHA-256 hash. Each remembers the token that
//! issued it (directly, or through a session opened with it), so that revoking a token also
//! revokes every token issued under it and ends every session opened with any of them: a stolen
//! token cannot outlive its revocation by minting successors.

use serde::Serialize;
use sqlx::{Any, AnyConnection, Row};

use crate::users::{USER_COLUMNS, User, random, user};
use crate::{Actor, Page, Store, StoreError, audit, secrets};

/// An API token as its owner sees it (never the secret).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    pub id: i64,
    pub label: String,
    pub created_at: String,
    /// After this time the token is refused; `None`: until revoked.
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    /// The token that issued this one (directly or through a session), if any.
    pub issued_by_token: Option<i64>,
}

/// Who a live token belongs to, and which token it is.
#[derive(Clone, Debug)]
pub struct TokenHolder {
    pub user: User,
    pub token_id: i64,
    pub expires_at: Option<String>,
}

/// A token to issue.
#[derive(Clone, Debug)]
pub struct NewToken<'a> {
    pub label: &'a str,
    /// Stored form (see [`clock::parse`]); must be in the future.
    pub expires_at: Option<String>,
    /// The token behind the request that asks for this one.
    pub parent: Option<i64>,
}

/// Inserts a token and returns its secret.
pub(crate) async fn insert(
    tx: &mut AnyConnection,
    now: &str,
    user_id: i64,
    label: &str,
    expires_at: Option<&str>,
    parent: Option<i64>,
) -> Result<String, StoreError> {
    let token = random("apt_")?;
    sqlx::query::<Any>(
        "INSERT INTO api_tokens (user_id, token_hash, label, created_at, expires_at, \
           parent_token_id) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(user_id)
    .bind(secrets::hash(&token))
    .bind(label)
    .bind(now)
    .bind(expires_at)
    .bind(parent)
    .execute(&mut *tx)
    .await?;
    Ok(token)
}

/// Takes the user's row lock (PostgreSQL; SQLite has one writer): token issue, revocation,
/// sign-in and disabling of one user happen one after another.
pub(crate) async fn lock_user(tx: &mut AnyConnection, user_id: i64) -> Result<(), StoreError> {
    // Not `SET id = id`: SQLite would then check every row that refers to the user.
    sqlx::query::<Any>("UPDATE users SET disabled_at = disabled_at WHERE id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Revokes every live token of a user and ends every session; returns what was ended, for the
/// audit log.
pub(crate) async fn end_all(
    tx: &mut AnyConnection,
    user_id: i64,
    now: &str,
) -> Result<serde_json::Value, StoreError> {
    lock_user(tx, user_id).await?;
    let tokens = sqlx::query::<Any>(
        "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let sessions = sqlx::query::<Any>(
        "UPDATE sessions SET ended_at = $2 WHERE user_id = $1 AND ended_at IS NULL \
         AND expires_at > $2",
    )
    .bind(user_id)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(serde_json::json!({"tokensRevoked": tokens, "sessionsEnded": sessions}))
}

/// The ids of a token and of every token issued under it, at any depth.
const TOKEN_TREE: &str = "WITH RECURSIVE tree(id) AS ( \
       SELECT id FROM api_tokens WHERE id = $1 \
       UNION SELECT t.id FROM api_tokens t JOIN tree ON t.parent_token_id = tree.id) \
     SELECT id FROM tree";

impl Store {
    /// Issues another API token for a user, refused once they hold `max_live` live tokens. A
    /// token issued under another never outlives it: its expiry is the parent's when it asks for
    /// none or a later one. The parent is checked again inside the transaction, so a request
    /// that passed authentication just before its token was revoked cannot mint a survivor.
    pub async fn create_token(
        &self,
        user: &User,
        new: &NewToken<'_>,
        max_live: i64,
        actor: &Actor,
    ) -> Result<(TokenInfo, String), StoreError> {
        let label = new.label.trim();
        if label.is_empty() || label.chars().count() > 100 {
            return Err(StoreError::Invalid(
                "a token label must be 1 to 100 characters".into(),
            ));
        }
        let now = self.now();
        if new
            .expires_at
            .as_deref()
            .is_some_and(|at| at <= now.as_str())
        {
            return Err(StoreError::Invalid(
                "`expiresAt` must be in the future".into(),
            ));
        }
        let mut tx = self.write.begin().await?;
        // Serialises token issue, revocation and disabling per user (a row lock on PostgreSQL;
        // SQLite has one writer), so the cap holds and no issue slips past a revocation.
        let enabled = sqlx::query::<Any>(
            "UPDATE users SET disabled_at = disabled_at WHERE id = $1 AND disabled_at IS NULL",
        )
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
        if enabled.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!(
                "user {} is disabled",
                user.id
            )));
        }
        let mut expires_at = new.expires_at.clone();
        if let Some(parent) = new.parent {
            let row = sqlx::query::<Any>(
                "SELECT expires_at FROM api_tokens WHERE id = $1 AND user_id = $2 \
                 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $3)",
            )
            .bind(parent)
            .bind(user.id)
            .bind(&now)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| {
                StoreError::Conflict(
                    "the token behind this request was revoked or has expired".into(),
                )
            })?;
            let parent_expiry: Option<String> = row.try_get("expires_at")?;
            if let Some(limit) = parent_expiry
                && expires_at.as_ref().is_none_or(|asked| *asked > limit)
            {
                expires_at = Some(limit);
            }
        }
        let live: i64 = sqlx::query_scalar::<Any, i64>(
            "SELECT COUNT(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL \
             AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(user.id)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        if live >= max_live {
            return Err(StoreError::Conflict(format!(
                "this user holds {live} live tokens, the most allowed (`max-tokens-per-user`); \
                 revoke one first"
            )));
        }
        let token = insert(
            &mut tx,
            &self.now(),
            user.id,
            label,
            expires_at.as_deref(),
            new.parent,
        )
        .await?;
        let id: i64 =
            sqlx::query_scalar::<Any, i64>("SELECT id FROM api_tokens WHERE token_hash = $1")
                .bind(secrets::hash(&token))
                .fetch_one(&mut *tx)
                .await?;
        let detail = serde_json::json!({"token": id, "label": label, "expiresAt": expires_at});
        // Issued by the user themselves, or by staff (or the demo) for them.
        let action = if actor.user_id == Some(user.id) {
            "token.create"
        } else {
            "token.issue"
        };
        let subject = format!("user:{}", user.id);
        audit::record(&mut tx, &self.now(), actor, action, &subject, detail).await?;
        tx.commit().await?;
        let info = TokenInfo {
            id,
            label: label.to_string(),
            created_at: now,
            expires_at,
            revoked_at: None,
            issued_by_token: new.parent,
        };
        Ok((info, token))
    }

    /// The holder of a live token: known, not revoked, not expired, its user not disabled.
    pub async fn token_holder(&self, token: &str) -> Result<Option<TokenHolder>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, t.id AS token_id, t.expires_at AS token_expires_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             LEFT JOIN partners p ON p.id = u.partner_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL \
             AND (t.expires_at IS NULL OR t.expires_at > $2) AND u.disabled_at IS NULL"
        );
        let row = sqlx::query::<Any>(&sql)
            .bind(secrets::hash(token))
            .bind(self.now())
            .fetch_optional(&self.read)
            .await?;
        row.map(|row| {
            Ok(TokenHolder {
                user: user(&row)?,
                token_id: row.try_get("token_id")?,
                expires_at: row.try_get("token_expires_at")?,
            })
        })
        .transpose()
    }

    /// A user's tokens in id order, a page at a time (never the secrets, which are not stored).
    pub async fn tokens(&self, user_id: i64, page: Page) -> Result<Vec<TokenInfo>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT id, label, created_at, expires_at, revoked_at, parent_token_id \
             FROM api_tokens WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(user_id)
        .bind(page.after)
        .bind(page.limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenInfo {
                    id: r.try_get("id")?,
                    label: r.try_get("label")?,
                    created_at: r.try_get("created_at")?,
                    expires_at: r.try_get("expires_at")?,
                    revoked_at: r.try_get("revoked_at")?,
                    issued_by_token: r.try_get("parent_token_id")?,
                })
            })
            .collect()
    }

    /// Revokes one of `owner`'s tokens, every token issued under it, and every session opened
    /// with any of them; refused (not found) for anyone else's token.
    pub async fn revoke_token(
        &self,
        owner: &User,
        id: i64,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let now = self.now();
        let mut tx = self.write.begin().await?;
        lock_user(&mut tx, owner.id).await?;
        let revoked = sqlx::query::<Any>(
            "UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(owner.id)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        if revoked.rows_affected() != 1 {
            return Err(StoreError::NotFound(format!(
                "no live token {id} of this user"
            )));
        }
        let descendants = sqlx::query::<Any>(&format!(
            "UPDATE api_tokens SET revoked_at = $2 WHERE revoked_at IS NULL AND id IN ({TOKEN_TREE})"
        ))
        .bind(id)
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let sessions = sqlx::query::<Any>(&format!(
            "UPDATE sessions SET ended_at = $2 WHERE ended_at IS NULL AND token_id IN ({TOKEN_TREE})"
        ))
        .bind(id)
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let subject = format!("user:{}", owner.id);
        let detail = serde_json::json!({
            "token": id, "tokensIssuedUnderItRevoked": descendants, "sessionsEnded": sessions,
        });
        audit::record(
            &mut tx,
            &self.now(),
            actor,
            "token.revoke",
            &subject,
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Revokes every token of a user and ends every session (staff, for a lost or leaked
    /// credential).
    pub async fn revoke_all_tokens(
        &self,
        user_id: i64,
        actor: &Actor,
    ) -> Result<serde_json::Value, StoreError> {
        self.user_by_id(user_id).await?;
        let mut tx = self.write.begin().await?;
        let ended = end_all(&mut tx, user_id, &self.now()).await?;
        let subject = format!("user:{user_id}");
        audit::record(
            &mut tx,
            &self.now(),
            actor,
            "token.revoke-all",
            &subject,
            ended.clone(),
        )
        .await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Issues a token for another user (staff: after enabling a user, or for a lost token).
    /// Refused for staff users: a token for another staff member would let one act as the other.
    pub async fn issue_token_for(
        &self,
        user_id: i64,
        new: &NewToken<'_>,
        max_live: i64,
        actor: &Actor,
    ) -> Result<(TokenInfo, String), StoreError> {
        let user = self.user_by_id(user_id).await?;
        if user.role == crate::users::Role::Staff {
            return Err(StoreError::Invalid(
                "staff tokens are not issued by others; a staff member who lost theirs is given \
                 a new staff user"
                    .into(),
            ));
        }
        self.create_token(&user, new, max_live, actor).await
    }
}
