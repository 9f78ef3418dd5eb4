//! API tokens and browser sessions. Only SHA-256 digests of secrets are stored.

use leadpool_domain::{OrgId, Timestamp, UserId};

use crate::users::{LinkedRow, User, linked_user_columns};
use crate::{Sql, StoreError, Tx};

/// An API token's metadata (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiToken {
    /// Its id.
    pub id: i64,
    /// Whose it is.
    pub user_id: UserId,
    /// What it is for, in the user's words.
    pub name: String,
    /// When it was made.
    pub created_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    user_id: i64,
    name: String,
    created_at: i64,
}

impl From<TokenRow> for ApiToken {
    fn from(r: TokenRow) -> Self {
        Self {
            id: r.id,
            user_id: UserId::new(r.user_id),
            name: r.name,
            created_at: Timestamp::from_millis(r.created_at),
        }
    }
}

#[derive(sqlx::FromRow)]
struct Csrf {
    csrf_token: String,
}

impl Tx {
    /// Stores a new token's digest.
    pub async fn insert_token(
        &mut self,
        user: UserId,
        name: &str,
        digest: &str,
        now: Timestamp,
    ) -> Result<ApiToken, StoreError> {
        let q = Sql::new(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, user_id, name, created_at",
        )
        .bind(user)
        .bind(name)
        .bind(digest)
        .bind(now);
        self.fetch_one::<TokenRow>(&q).await.map(Into::into)
    }

    /// A user's API tokens, oldest first (the caller has checked the user's organization).
    pub async fn tokens_of(&mut self, user: UserId) -> Result<Vec<ApiToken>, StoreError> {
        let q = Sql::new(
            "SELECT id, user_id, name, created_at FROM api_tokens WHERE user_id = $1 ORDER BY id",
        )
        .bind(user);
        self.tokens(&q).await
    }

    /// Every API token of the organization's users, oldest first.
    pub async fn org_tokens(&mut self, org: OrgId) -> Result<Vec<ApiToken>, StoreError> {
        let q = Sql::new(
            "SELECT t.id, t.user_id, t.name, t.created_at FROM api_tokens t \
             JOIN users u ON u.id = t.user_id WHERE u.org_id = $1 ORDER BY t.id",
        )
        .bind(org);
        self.tokens(&q).await
    }

    async fn tokens(&mut self, q: &Sql) -> Result<Vec<ApiToken>, StoreError> {
        Ok(self
            .fetch_all::<TokenRow>(q)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Deletes one of a user's API tokens; `NotFound` when the user has no such token.
    pub async fn delete_token(&mut self, user: UserId, id: i64) -> Result<(), StoreError> {
        let q = Sql::new("DELETE FROM api_tokens WHERE user_id = $1 AND id = $2")
            .bind(user)
            .bind(id);
        match self.execute(&q).await? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    /// The user a token digest belongs to.
    pub async fn user_by_token(&mut self, digest: &str) -> Result<User, StoreError> {
        let q = Sql::new(&format!(
            "SELECT {} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
            linked_user_columns(self.backend())
        ))
        .bind(digest);
        self.fetch_one::<LinkedRow>(&q).await?.into_user()
    }

    /// Stores a new session's digest with its CSRF token.
    pub async fn insert_session(
        &mut self,
        digest: &str,
        user: UserId,
        csrf: &str,
        now: Timestamp,
        expires: Timestamp,
    ) -> Result<(), StoreError> {
        let q = Sql::new("INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(digest)
            .bind(user)
            .bind(csrf)
            .bind(now)
            .bind(expires);
        self.execute(&q).await.map(drop)
    }

    /// The user and CSRF token of a session that has not expired at `now`.
    pub async fn session(
        &mut self,
        digest: &str,
        now: Timestamp,
    ) -> Result<(User, String), StoreError> {
        let q = Sql::new(&format!(
            "SELECT {} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1 AND s.expires_at > $2",
            linked_user_columns(self.backend())
        ))
        .bind(digest)
        .bind(now);
        let user = self.fetch_one::<LinkedRow>(&q).await?.into_user()?;
        let csrf = self
            .fetch_one::<Csrf>(
                &Sql::new("SELECT csrf_token FROM sessions WHERE id_hash = $1").bind(digest),
            )
            .await?;
        Ok((user, csrf.csrf_token))
    }

    /// Ends a session.
    pub async fn delete_session(&mut self, digest: &str) -> Result<(), StoreError> {
        self.execute(&Sql::new("DELETE FROM sessions WHERE id_hash = $1").bind(digest))
            .await
            .map(drop)
    }

    /// Ends every session of `user` but the one with digest `keep`; returns how many.
    pub async fn delete_other_sessions(
        &mut self,
        user: UserId,
        keep: &str,
    ) -> Result<u64, StoreError> {
        self.execute(
            &Sql::new("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
                .bind(user)
                .bind(keep),
        )
        .await
    }

    /// Forgets sessions that expired before `now`; returns how many.
    pub async fn delete_expired_sessions(&mut self, now: Timestamp) -> Result<u64, StoreError> {
        self.execute(&Sql::new("DELETE FROM sessions WHERE expires_at <= $1").bind(now))
            .await
    }
}

/// A run of wrong passwords for one address: how many, and when the latest came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInFailures {
    /// Wrong passwords in the run.
    pub failures: u32,
    /// When the latest of them came.
    pub last: Timestamp,
}

#[derive(sqlx::FromRow)]
struct FailuresRow {
    failures: i64,
    last_at: i64,
}

impl Tx {
    /// The run of wrong passwords recorded for `address`, if any.
    pub async fn sign_in_failures(
        &mut self,
        address: &str,
    ) -> Result<Option<SignInFailures>, StoreError> {
        let q = Sql::new("SELECT failures, last_at FROM sign_in_failures WHERE address = $1")
            .bind(address);
        Ok(self
            .fetch_optional::<FailuresRow>(&q)
            .await?
            .map(|r| SignInFailures {
                failures: u32::try_from(r.failures).unwrap_or(u32::MAX),
                last: Timestamp::from_millis(r.last_at),
            }))
    }

    /// Adds a wrong password at `now` to `address`'s run in one statement, so instances
    /// counting at once lose no failure; a run whose latest failure came before `stale` starts
    /// afresh, and such runs of other addresses are forgotten.
    pub async fn record_sign_in_failure(
        &mut self,
        address: &str,
        now: Timestamp,
        stale: Timestamp,
    ) -> Result<(), StoreError> {
        self.execute(
            &Sql::new("DELETE FROM sign_in_failures WHERE last_at < $1 AND address <> $2")
                .bind(stale)
                .bind(address),
        )
        .await?;
        let q = Sql::new(
            "INSERT INTO sign_in_failures (address, failures, last_at) VALUES ($1, 1, $2) \
             ON CONFLICT (address) DO UPDATE SET \
             failures = CASE WHEN sign_in_failures.last_at < $3 THEN 1 ELSE sign_in_failures.failures + 1 END, \
             last_at = excluded.last_at",
        )
        .bind(address)
        .bind(now)
        .bind(stale);
        self.execute(&q).await.map(drop)
    }

    /// Ends `address`'s run of wrong passwords (it signed in).
    pub async fn clear_sign_in_failures(&mut self, address: &str) -> Result<(), StoreError> {
        self.execute(&Sql::new("DELETE FROM sign_in_failures WHERE address = $1").bind(address))
            .await
            .map(drop)
    }
}
