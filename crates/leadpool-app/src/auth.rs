//! Who is acting: API tokens, password sign-in with server-side sessions, and the operator.
//! A signed-in user becomes a [`Member`], whose [`Viewer`] carries their organization and
//! their team scope already expanded to a subtree.

use std::collections::HashMap;
use std::sync::OnceLock;

use leadpool_domain::{Denied, Permission, Scope, Timestamp, UserId, Viewer, subtree};
use leadpool_store::credentials::ApiToken;
use leadpool_store::users::User;
use leadpool_store::{StoreError, Tx};

use crate::secret::{self, constant_time_eq};
use crate::{App, AppError};

/// A user of an organization, as the use cases see them.
#[derive(Debug, Clone)]
pub struct Member {
    /// The stored user.
    pub user: User,
    /// Their organization, role and scope, for the rules.
    pub viewer: Viewer,
}

impl Member {
    /// Whether this member may do `p`: the one permission check every use case asks.
    pub fn require(&self, p: Permission<'_>) -> Result<(), AppError> {
        self.viewer
            .may(p)
            .map_err(|Denied(why)| AppError::Forbidden(why))
    }

    /// Whether this member may do `p` (for pages deciding what to offer).
    pub fn may(&self, p: Permission<'_>) -> bool {
        self.viewer.may(p).is_ok()
    }
}

/// Whoever presented credentials.
#[derive(Debug, Clone)]
pub enum Principal {
    /// The installation's operator (manages organizations only).
    Operator,
    /// A user of one organization (boxed: a member carries their user and rights).
    Member(Box<Member>),
}

/// A browser session just opened: the cookie value and the CSRF token pages must echo.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The secret cookie value.
    pub id: String,
    /// The token unsafe requests must send in `X-CSRF-Token`.
    pub csrf: String,
    /// When it stops working.
    pub expires_at: Timestamp,
}

const BAD_LOGIN: &str = "email or password is wrong";

/// Members recently authenticated by API token, by token digest.
#[derive(Debug, Default)]
pub(crate) struct MemberCache {
    members: HashMap<String, (Member, Timestamp)>,
    /// Bumped by every forget, so a read racing a change does not cache what it read.
    generation: u64,
}

/// How long an API token's member is reused without reading the database again. Every
/// change to users, teams or pools made through this process forgets them at once; one made
/// through another instance shows within this time. Claims read their agents afresh anyway.
const MEMBER_TTL_MS: i64 = 5_000;
/// Most cached members; past it the cache starts over rather than grow.
const MEMBER_CACHE_MAX: usize = 10_000;

impl App {
    /// Resolves a stored user into a member with an expanded scope.
    pub(crate) async fn member(&self, user: User) -> Result<Member, AppError> {
        let mut tx = self.store().read().await?;
        let scope = match user.scope_team_id {
            None => Scope::Organization,
            Some(root) => {
                let teams: Vec<_> = tx
                    .teams(user.org)
                    .await?
                    .into_iter()
                    .map(|t| (t.id, t.parent_id))
                    .collect();
                Scope::Teams(subtree(&teams, root))
            }
        };
        let pools: Vec<_> = tx
            .pools(user.org)
            .await?
            .into_iter()
            .map(|p| p.rules())
            .filter(|p| {
                p.visible_to(
                    user.role,
                    &scope,
                    &user.teams,
                    user.active,
                    user.pool_access,
                )
            })
            .collect();
        tx.commit().await?;
        let viewer = Viewer {
            org: user.org,
            user: user.id,
            role: user.role,
            scope,
            pools: pools.iter().map(|p| p.id).collect(),
            blind_pools: pools.iter().filter(|p| p.blind).map(|p| p.id).collect(),
        };
        Ok(Member { user, viewer })
    }

    /// The principal an `Authorization: Bearer` token stands for.
    #[tracing::instrument(name = "authenticate_token", skip_all, err(level = "debug"))]
    pub async fn authenticate_token(&self, token: &str) -> Result<Principal, AppError> {
        let digest = secret::digest(token);
        if let Some(op) = &self.settings().operator_token_digest
            && constant_time_eq(op, &digest)
        {
            return Ok(Principal::Operator);
        }
        let now = self.now();
        let generation = {
            let cache = self.members_cache();
            if let Some((m, at)) = cache.members.get(&digest)
                && *at <= now
                && now.as_millis() - at.as_millis() < MEMBER_TTL_MS
            {
                return Ok(Principal::Member(Box::new(m.clone())));
            }
            cache.generation
        };
        let member = self.member_by_token(&digest).await?;
        let mut cache = self.members_cache();
        // A change made while this member was read must not be hidden behind it.
        if cache.generation == generation {
            if cache.members.len() >= MEMBER_CACHE_MAX {
                cache.members.clear();
            }
            cache.members.insert(digest, (member.clone(), now));
        }
        Ok(Principal::Member(Box::new(member)))
    }

    fn members_cache(&self) -> std::sync::MutexGuard<'_, MemberCache> {
        // The cache is only read, inserted into or cleared, so a panic elsewhere while the
        // lock was held cannot have left it half-written.
        self.inner
            .members
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Forgets every cached member: users, teams or pools changed.
    pub(crate) fn forget_members(&self) {
        let mut cache = self.members_cache();
        cache.members.clear();
        cache.generation += 1;
    }

    async fn member_by_token(&self, digest: &str) -> Result<Member, AppError> {
        let mut tx = self.store().read().await?;
        let user = match tx.user_by_token(digest).await {
            Ok(u) => u,
            Err(StoreError::NotFound) => {
                return Err(AppError::Unauthenticated("the API token is not valid"));
            }
            Err(e) => return Err(e.into()),
        };
        tx.commit().await?;
        if !user.active {
            return Err(AppError::Unauthenticated("this user is deactivated"));
        }
        self.member(user).await
    }

    /// Signs a user in with email and password and opens a session.
    #[tracing::instrument(name = "login", skip_all, err(level = "debug"))]
    pub async fn login(
        &self,
        email: &str,
        password: &str,
    ) -> Result<(Member, NewSession), AppError> {
        let email = email.trim().to_lowercase();
        let mut tx = self.store().read().await?;
        self.check_sign_in(&mut tx, &email).await?;
        let found = tx.user_for_login(&email).await;
        tx.commit().await?;
        let (user, hash) = match found {
            Ok((user, hash)) => (Some(user), hash),
            Err(StoreError::NotFound) => (None, None),
            Err(e) => return Err(e.into()),
        };
        let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
        let ok = tokio::task::spawn_blocking({
            let password = password.to_owned();
            move || secret::verify_password(&password, &hash)
        })
        .await
        .map_err(|e| AppError::Internal(format!("password check: {e}")))?;
        let Some(user) = user.filter(|u| ok && u.active) else {
            self.sign_in_failed(&email).await?;
            return Err(AppError::Unauthenticated(BAD_LOGIN));
        };
        let now = self.now();
        let ttl = i64::try_from(self.settings().session_ttl.as_millis()).unwrap_or(i64::MAX);
        let session = NewSession {
            id: secret::new_token("lps_")?,
            csrf: secret::new_token("")?,
            expires_at: now.plus_millis(ttl),
        };
        let mut tx = self.store().write().await?;
        tx.delete_expired_sessions(now).await?;
        tx.clear_sign_in_failures(&email).await?;
        tx.insert_session(
            &secret::digest(&session.id),
            user.id,
            &session.csrf,
            now,
            session.expires_at,
        )
        .await?;
        tx.commit().await?;
        Ok((self.member(user).await?, session))
    }

    /// The member and CSRF token of a live session.
    #[tracing::instrument(name = "session", skip_all, err(level = "debug"))]
    pub async fn session(&self, session_id: &str) -> Result<(Member, String), AppError> {
        let mut tx = self.store().read().await?;
        let found = tx.session(&secret::digest(session_id), self.now()).await;
        tx.commit().await?;
        match found {
            Ok((user, csrf)) if user.active => Ok((self.member(user).await?, csrf)),
            Ok(_) | Err(StoreError::NotFound) => Err(AppError::Unauthenticated(
                "the session has expired; sign in again",
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Changes the signed-in user's own password once they give the current one (wrong
    /// guesses count against sign-in throttling), and ends their other sessions: whoever
    /// signed in with the old password is signed out. Returns how many sessions ended.
    #[tracing::instrument(name = "change_password", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn change_password(
        &self,
        m: &Member,
        session_id: &str,
        current: &str,
        new: &str,
    ) -> Result<u64, AppError> {
        let email = m.user.email.as_str().to_owned();
        let mut tx = self.store().read().await?;
        self.check_sign_in(&mut tx, &email).await?;
        let hash = tx.password_hash(m.user.id).await?;
        tx.commit().await?;
        let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
        let current = current.to_owned();
        let ok = tokio::task::spawn_blocking(move || secret::verify_password(&current, &hash))
            .await
            .map_err(|e| AppError::Internal(format!("password check: {e}")))?;
        if !ok {
            self.sign_in_failed(&email).await?;
            return Err(AppError::invalid(
                "current_password",
                "is not your current password",
            ));
        }
        let new = new.to_owned();
        let hashed = tokio::task::spawn_blocking(move || secret::hash_password(&new))
            .await
            .map_err(|e| AppError::Internal(format!("password hash: {e}")))??;
        let mut tx = self.store().write().await?;
        tx.set_password(m.viewer.org, m.user.id, &hashed).await?;
        let ended = tx
            .delete_other_sessions(m.user.id, &secret::digest(session_id))
            .await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Ends every session of the signed-in user but this one (a phone left signed in
    /// somewhere); returns how many ended.
    #[tracing::instrument(name = "sign_out_elsewhere", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn sign_out_elsewhere(&self, m: &Member, session_id: &str) -> Result<u64, AppError> {
        let mut tx = self.store().write().await?;
        let ended = tx
            .delete_other_sessions(m.user.id, &secret::digest(session_id))
            .await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Ends a session.
    #[tracing::instrument(name = "logout", skip_all, err(level = "debug"))]
    pub async fn logout(&self, session_id: &str) -> Result<(), AppError> {
        let mut tx = self.store().write().await?;
        tx.delete_session(&secret::digest(session_id)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Issues an API token for `user` (themselves, or one an admin administers); returns the
    /// secret, which is never shown again.
    #[tracing::instrument(name = "create_token", skip_all, err(level = "debug"))]
    pub async fn create_token(
        &self,
        actor: &Member,
        user: UserId,
        name: &str,
    ) -> Result<(ApiToken, String), AppError> {
        let name = leadpool_domain::validate::label(name, 100)
            .map_err(|m| AppError::invalid("name", m))?;
        let name = name.as_str();
        let mut tx = self.store().write().await?;
        let target = token_holder(&mut tx, actor, user).await?;
        let token = secret::new_token("lp_")?;
        let meta = tx
            .insert_token(target.id, name, &secret::digest(&token), self.now())
            .await?;
        tx.commit().await?;
        Ok((meta, token))
    }

    /// A user's API tokens (names and dates; the secrets are never kept).
    #[tracing::instrument(name = "list_tokens", skip_all, err(level = "debug"))]
    pub async fn list_tokens(
        &self,
        actor: &Member,
        user: UserId,
    ) -> Result<Vec<ApiToken>, AppError> {
        let mut tx = self.store().read().await?;
        let target = token_holder(&mut tx, actor, user).await?;
        let tokens = tx.tokens_of(target.id).await?;
        tx.commit().await?;
        Ok(tokens)
    }

    /// Every API token whose holder `actor` manages (themselves and the users they
    /// administer), oldest first, with the holders.
    #[tracing::instrument(name = "managed_tokens", skip_all, err(level = "debug"))]
    pub async fn managed_tokens(
        &self,
        actor: &Member,
    ) -> Result<(Vec<ApiToken>, Vec<User>), AppError> {
        let mut tx = self.store().read().await?;
        let org = actor.viewer.org;
        let mut holders = tx.users(org, &Default::default()).await?;
        holders.retain(|u| manage_tokens_of(actor, u).is_none_or(|p| actor.may(p)));
        let mut tokens = tx.org_tokens(org).await?;
        tx.commit().await?;
        tokens.retain(|t| holders.iter().any(|u| u.id == t.user_id));
        Ok((tokens, holders))
    }

    /// Revokes one of a user's API tokens; it stops working at once on this instance and
    /// within the member cache's lifetime on others.
    #[tracing::instrument(name = "revoke_token", skip_all, err(level = "debug"))]
    pub async fn revoke_token(
        &self,
        actor: &Member,
        user: UserId,
        token: i64,
    ) -> Result<(), AppError> {
        let mut tx = self.store().write().await?;
        let target = token_holder(&mut tx, actor, user).await?;
        tx.delete_token(target.id, token)
            .await
            .map_err(AppError::from_store("token"))?;
        tx.commit().await?;
        self.forget_members();
        Ok(())
    }
}

/// The user whose tokens `actor` manages: themselves, or a user an admin administers.
async fn token_holder(tx: &mut Tx, actor: &Member, user: UserId) -> Result<User, AppError> {
    let target = tx
        .user(actor.viewer.org, user)
        .await
        .map_err(AppError::from_store("user"))?;
    if let Some(p) = manage_tokens_of(actor, &target) {
        actor.require(p)?;
    }
    Ok(target)
}

/// What managing `target`'s tokens asks of `actor`: nothing for their own; otherwise, as a
/// token carries its holder's rights, what changing those rights asks.
fn manage_tokens_of<'u>(actor: &Member, target: &'u User) -> Option<Permission<'u>> {
    (target.id != actor.user.id).then_some(Permission::PlaceUser {
        what: "manage other users' tokens",
        role: target.role,
        scope: target.scope_team_id,
        teams: &target.teams,
    })
}

/// A real Argon2id hash, checked when no user matches so that case costs the same time.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| secret::hash_password("no user has this password").unwrap_or_default())
}
