//! Browser sessions. A session is opened with an API token and ends when it expires, when its
//! user signs it out or ends it from another session, when the token it was opened with (or one
//! above it) is revoked, or when its user is disabled.

use serde::Serialize;
use sqlx::{Any, Row};

use crate::users::{USER_COLUMNS, User, random, user};
use crate::{Page, Store, StoreError, audit, secrets};

/// Live sessions one user may hold; opening another ends the oldest.
pub const MAX_LIVE_SESSIONS: i64 = 20;

/// A live session: the user, the token that state-changing requests must echo, and the
/// credentials behind it.
#[derive(Clone, Debug)]
pub struct Session {
    pub id: i64,
    pub user: User,
    pub csrf_token: String,
    /// The token it was opened with.
    pub token_id: Option<i64>,
}

/// A session as its user sees it in the list.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub id: i64,
    pub created_at: String,
    pub expires_at: String,
    /// The token it was opened with.
    pub token_id: Option<i64>,
}

/// A session that was just opened.
#[derive(Clone, Debug)]
pub struct OpenedSession {
    /// For the cookie.
    pub secret: String,
    pub csrf_token: String,
    pub expires_at: String,
    /// Seconds until it expires.
    pub max_age: i64,
}

impl Store {
    /// Opens a browser session with a token; it ends no later than the token expires.
    pub async fn create_session(
        &self,
        user: &User,
        token_id: i64,
        token_expires_at: Option<&str>,
        hours: i64,
    ) -> Result<OpenedSession, StoreError> {
        let secret = random("ses_")?;
        let csrf = random("csrf_")?;
        let now = self.now();
        let mut expires_at = self.from_now(hours * 3600);
        if let Some(token_end) = token_expires_at
            && token_end < expires_at.as_str()
        {
            expires_at = token_end.to_string();
        }
        let max_age = self.seconds_until(&expires_at).max(0);
        let mut tx = self.write.begin().await?;
        // Checked again under the user's lock: a sign-in that passed just before its token was
        // revoked, or its user disabled, must not open a session after it.
        crate::tokens::lock_user(&mut tx, user.id).await?;
        let live: i64 = sqlx::query_scalar::<Any, i64>(
            "SELECT COUNT(*) FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.id = $1 AND t.user_id = $2 AND t.revoked_at IS NULL \
             AND (t.expires_at IS NULL OR t.expires_at > $3) AND u.disabled_at IS NULL",
        )
        .bind(token_id)
        .bind(user.id)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        if live != 1 {
            return Err(StoreError::Conflict(
                "the token was revoked or has expired, or its user was disabled".into(),
            ));
        }
        sqlx::query::<Any>(
            "INSERT INTO sessions (user_id, session_hash, csrf_token, created_at, expires_at, \
               token_id) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(user.id)
        .bind(secrets::hash(&secret))
        .bind(&csrf)
        .bind(&now)
        .bind(&expires_at)
        .bind(token_id)
        .execute(&mut *tx)
        .await?;
        // Keep the newest sessions only, so that signing in in a loop cannot pile them up.
        let ended = sqlx::query::<Any>(
            "UPDATE sessions SET ended_at = $2 WHERE id IN ( \
               SELECT id FROM sessions WHERE user_id = $1 AND ended_at IS NULL \
               AND expires_at > $2 ORDER BY id DESC LIMIT -1 OFFSET $3)",
        );
        let ended = match self.kind {
            crate::DatabaseKind::Sqlite => ended,
            crate::DatabaseKind::Postgres => sqlx::query::<Any>(
                "UPDATE sessions SET ended_at = $2 WHERE id IN ( \
                   SELECT id FROM sessions WHERE user_id = $1 AND ended_at IS NULL \
                   AND expires_at > $2 ORDER BY id DESC OFFSET $3)",
            ),
        };
        ended
            .bind(user.id)
            .bind(&now)
            .bind(MAX_LIVE_SESSIONS)
            .execute(&mut *tx)
            .await?;
        let detail = serde_json::json!({"token": token_id});
        audit::record(
            &mut tx,
            &self.now(),
            &user.actor(),
            "session.create",
            &format!("user:{}", user.id),
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(OpenedSession {
            secret,
            csrf_token: csrf,
            expires_at,
            max_age,
        })
    }

    /// The live session with this secret: not expired, not ended, its token not revoked, its
    /// user not disabled.
    pub async fn session(&self, secret: &str) -> Result<Option<Session>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.id AS session_id, s.csrf_token, s.token_id \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             LEFT JOIN partners p ON p.id = u.partner_id \
             LEFT JOIN api_tokens t ON t.id = s.token_id \
             WHERE s.session_hash = $1 AND s.expires_at > $2 AND s.ended_at IS NULL \
             AND u.disabled_at IS NULL AND (s.token_id IS NULL OR (t.revoked_at IS NULL \
               AND (t.expires_at IS NULL OR t.expires_at > $2)))"
        );
        let row = sqlx::query::<Any>(&sql)
            .bind(secrets::hash(secret))
            .bind(self.now())
            .fetch_optional(&self.read)
            .await?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some(Session {
                id: row.try_get("session_id")?,
                user: user(&row)?,
                csrf_token: row.try_get("csrf_token")?,
                token_id: row.try_get("token_id")?,
            })),
        }
    }

    /// A user's live sessions in id order, a page at a time.
    pub async fn sessions(&self, user_id: i64, page: Page) -> Result<Vec<SessionInfo>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT id, created_at, expires_at, token_id FROM sessions \
             WHERE user_id = $1 AND ended_at IS NULL AND expires_at > $2 AND id > $3 \
             ORDER BY id LIMIT $4",
        )
        .bind(user_id)
        .bind(self.now())
        .bind(page.after)
        .bind(page.limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SessionInfo {
                    id: r.try_get("id")?,
                    created_at: r.try_get("created_at")?,
                    expires_at: r.try_get("expires_at")?,
                    token_id: r.try_get("token_id")?,
                })
            })
            .collect()
    }

    /// Ends one of `user`'s sessions; not found for anyone else's or one already ended.
    pub async fn end_session(&self, user: &User, id: i64) -> Result<(), StoreError> {
        let now = self.now();
        let mut tx = self.write.begin().await?;
        let ended = sqlx::query::<Any>(
            "UPDATE sessions SET ended_at = $3 WHERE id = $1 AND user_id = $2 \
             AND ended_at IS NULL AND expires_at > $3",
        )
        .bind(id)
        .bind(user.id)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        if ended.rows_affected() != 1 {
            return Err(StoreError::NotFound(format!(
                "no live session {id} of this user"
            )));
        }
        let subject = format!("user:{}", user.id);
        audit::record(
            &mut tx,
            &self.now(),
            &user.actor(),
            "session.end",
            &subject,
            serde_json::json!({"session": id}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
