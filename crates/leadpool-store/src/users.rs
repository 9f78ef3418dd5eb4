//! Users, their teams and tags.

use leadpool_domain::{OrgId, Role, TeamId, Timestamp, UserId};

use crate::dialect::user_links;
use crate::{Backend, Sql, StoreError, Tx, from_json};

/// A person who signs in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    /// Their id.
    pub id: UserId,
    /// Their organization.
    pub org: OrgId,
    /// Their sign-in address (unique across the installation).
    pub email: String,
    /// Their display name.
    pub name: String,
    /// What they may do.
    pub role: Role,
    /// Only active users sign in, receive or claim leads.
    pub active: bool,
    /// The team whose subtree their rights reach; `None`: the whole organization.
    pub scope_team_id: Option<TeamId>,
    /// Teams they belong to.
    pub teams: Vec<TeamId>,
    /// Their tags (groups may select agents by tag).
    pub tags: Vec<String>,
    /// Whether they may see and claim from pools (on unless an admin turns it off).
    pub pool_access: bool,
    /// Their own cap on open new leads, over the organization's.
    pub max_new_leads: Option<u32>,
    /// Their own minimum of open new leads, over the organization's.
    pub min_new_leads: Option<u32>,
    /// Whether they paused themselves: distribution passes them over, keeping their place.
    pub paused: bool,
    /// Why they are paused, when they said (cleared on resuming).
    pub pause_reason: Option<String>,
    /// The IANA time zone they read times in (`None`: UTC).
    pub time_zone: Option<String>,
    /// When they were added.
    pub created_at: Timestamp,
}

/// What is needed to add a user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Their organization.
    pub org: OrgId,
    /// Sign-in address, already lower-cased and checked.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Scope of their rights.
    pub scope_team_id: Option<TeamId>,
    /// An Argon2id PHC string, or `None` for token-only users.
    pub password_hash: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct Row {
    id: i64,
    org_id: i64,
    email: String,
    name: String,
    role: String,
    active: bool,
    scope_team_id: Option<i64>,
    pool_access: bool,
    max_new_leads: Option<i64>,
    min_new_leads: Option<i64>,
    paused: bool,
    pause_reason: Option<String>,
    time_zone: Option<String>,
    created_at: i64,
}

impl Row {
    pub(crate) fn into_user(self) -> Result<User, StoreError> {
        let role = Role::parse(&self.role)
            .ok_or_else(|| StoreError::Corrupt(format!("users.role `{}`", self.role)))?;
        Ok(User {
            id: UserId::new(self.id),
            org: OrgId::new(self.org_id),
            email: self.email,
            name: self.name,
            role,
            active: self.active,
            scope_team_id: self.scope_team_id.map(TeamId::new),
            teams: Vec::new(),
            tags: Vec::new(),
            pool_access: self.pool_access,
            max_new_leads: self
                .max_new_leads
                .map(count("users.max_new_leads"))
                .transpose()?,
            min_new_leads: self
                .min_new_leads
                .map(count("users.min_new_leads"))
                .transpose()?,
            paused: self.paused,
            pause_reason: self.pause_reason,
            time_zone: self.time_zone,
            created_at: Timestamp::from_millis(self.created_at),
        })
    }
}

/// Reads a stored count (a cap) that must fit a `u32`.
pub(crate) fn count(column: &'static str) -> impl Fn(i64) -> Result<u32, StoreError> {
    move |n| u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("{column} {n}")))
}

const USER_COLUMNS: &str = "u.id, u.org_id, u.email, u.name, u.role, u.active, u.scope_team_id, u.pool_access, \
     u.max_new_leads, u.min_new_leads, u.paused, u.pause_reason, u.time_zone, u.created_at";

/// The columns of users aliased `u` with their teams (ids, comma-separated, in id order)
/// and tags (a JSON array, in tag order): one statement for any number of users.
pub(crate) fn linked_user_columns(b: Backend) -> String {
    let links = user_links(b);
    format!("{USER_COLUMNS}, {links}")
}

/// A user's row with their teams and tags (see [`linked_user_columns`]).
#[derive(sqlx::FromRow)]
pub(crate) struct LinkedRow {
    #[sqlx(flatten)]
    user: Row,
    team_ids: Option<String>,
    tags: Option<String>,
}

impl LinkedRow {
    pub(crate) fn into_user(self) -> Result<User, StoreError> {
        let mut user = self.user.into_user()?;
        for id in self.team_ids.iter().flat_map(|t| t.split(',')) {
            let id = id
                .trim()
                .parse::<i64>()
                .map_err(|_| StoreError::Corrupt(format!("team_members.team_id `{id}`")))?;
            user.teams.push(TeamId::new(id));
        }
        if let Some(tags) = self.tags {
            user.tags = from_json("user_tags.tag", &tags)?;
        }
        Ok(user)
    }
}

#[derive(sqlx::FromRow)]
struct Hash {
    password_hash: Option<String>,
}

/// Which users to list.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Only these users (`None`: everyone).
    pub ids: Option<Vec<UserId>>,
    /// Only members of one of these teams (`None`: everyone).
    pub teams: Option<Vec<TeamId>>,
    /// Only users with this role.
    pub role: Option<Role>,
    /// Only active (or inactive) users.
    pub active: Option<bool>,
}

impl Tx {
    /// Adds a user; a taken email is `Conflict { users_email_key }`.
    pub async fn insert_user(&mut self, u: &NewUser, now: Timestamp) -> Result<User, StoreError> {
        let q = Sql::new(&format!(
            "INSERT INTO users (org_id, email, name, role, active, scope_team_id, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {}",
            USER_COLUMNS.replace("u.", "")
        ))
        .bind(u.org)
        .bind(u.email.as_str())
        .bind(u.name.as_str())
        .bind(u.role.as_str())
        .bind(true)
        .bind(u.scope_team_id)
        .bind(u.password_hash.clone())
        .bind(now);
        self.fetch_one::<Row>(&q).await?.into_user()
    }

    /// The user with this id in this organization, with their teams and tags.
    pub async fn user(&mut self, org: OrgId, id: UserId) -> Result<User, StoreError> {
        let q = Sql::new(&format!(
            "SELECT {} FROM users u WHERE u.org_id = $1 AND u.id = $2",
            linked_user_columns(self.backend())
        ))
        .bind(org)
        .bind(id);
        self.fetch_one::<LinkedRow>(&q).await?.into_user()
    }

    /// The user signing in with this email, and their password hash.
    pub async fn user_for_login(
        &mut self,
        email: &str,
    ) -> Result<(User, Option<String>), StoreError> {
        let q = Sql::new(&format!(
            "SELECT {} FROM users u WHERE u.email = $1",
            linked_user_columns(self.backend())
        ))
        .bind(email);
        let user = self.fetch_one::<LinkedRow>(&q).await?.into_user()?;
        let hash = self.password_hash(user.id).await?;
        Ok((user, hash))
    }

    /// A user's password hash (`None`: they sign in with a token only).
    pub async fn password_hash(&mut self, id: UserId) -> Result<Option<String>, StoreError> {
        self.fetch_one::<Hash>(&Sql::new("SELECT password_hash FROM users WHERE id = $1").bind(id))
            .await
            .map(|h| h.password_hash)
    }

    /// Users of the organization matching `filter`, by id.
    pub async fn users(
        &mut self,
        org: OrgId,
        filter: &UserFilter,
    ) -> Result<Vec<User>, StoreError> {
        let mut q = Sql::new(&format!(
            "SELECT {} FROM users u WHERE u.org_id = ",
            linked_user_columns(self.backend())
        ));
        q.push_bind(org);
        if let Some(ids) = &filter.ids {
            q.push(" AND u.id IN ").push_list(ids.iter().copied());
        }
        if let Some(teams) = &filter.teams {
            q.push(" AND u.id IN (SELECT user_id FROM team_members WHERE team_id IN ");
            q.push_list(teams.iter().copied());
            q.push(")");
        }
        if let Some(role) = filter.role {
            q.push(" AND u.role = ").push_bind(role.as_str());
        }
        if let Some(active) = filter.active {
            q.push(" AND u.active = ").push_bind(active);
        }
        q.push(" ORDER BY u.id");
        self.fetch_all::<LinkedRow>(&q)
            .await?
            .into_iter()
            .map(LinkedRow::into_user)
            .collect()
    }

    /// Changes a user's name, role, active flag, scope, pool access, caps, pause and time zone.
    pub async fn update_user(&mut self, u: &User) -> Result<(), StoreError> {
        let q = Sql::new("UPDATE users SET name = $3, role = $4, active = $5, scope_team_id = $6, pool_access = $7, \
             max_new_leads = $8, min_new_leads = $9, paused = $10, pause_reason = $11, time_zone = $12 \
             WHERE org_id = $1 AND id = $2")
            .bind(u.org)
            .bind(u.id)
            .bind(u.name.as_str())
            .bind(u.role.as_str())
            .bind(u.active)
            .bind(u.scope_team_id)
            .bind(u.pool_access)
            .bind(u.max_new_leads.map(i64::from))
            .bind(u.min_new_leads.map(i64::from))
            .bind(u.paused)
            .bind(u.pause_reason.as_deref())
            .bind(u.time_zone.as_deref());
        match self.execute(&q).await? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    /// Replaces a user's password hash.
    pub async fn set_password(
        &mut self,
        org: OrgId,
        id: UserId,
        hash: &str,
    ) -> Result<(), StoreError> {
        let q = Sql::new("UPDATE users SET password_hash = $3 WHERE org_id = $1 AND id = $2")
            .bind(org)
            .bind(id)
            .bind(hash);
        match self.execute(&q).await? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    /// Replaces the teams a user belongs to (all must be of the user's organization).
    pub async fn set_user_teams(
        &mut self,
        org: OrgId,
        id: UserId,
        teams: &[TeamId],
    ) -> Result<(), StoreError> {
        self.require_user(org, id).await?;
        for t in teams {
            self.team(org, *t).await?;
        }
        self.execute(&Sql::new("DELETE FROM team_members WHERE user_id = $1").bind(id))
            .await?;
        for t in teams {
            self.execute(
                &Sql::new("INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)")
                    .bind(*t)
                    .bind(id),
            )
            .await?;
        }
        Ok(())
    }

    /// Replaces the tags of a user of this organization.
    pub async fn set_user_tags(
        &mut self,
        org: OrgId,
        id: UserId,
        tags: &[String],
    ) -> Result<(), StoreError> {
        self.require_user(org, id).await?;
        self.execute(&Sql::new("DELETE FROM user_tags WHERE user_id = $1").bind(id))
            .await?;
        for t in tags {
            self.execute(
                &Sql::new("INSERT INTO user_tags (user_id, tag) VALUES ($1, $2)")
                    .bind(id)
                    .bind(t.as_str()),
            )
            .await?;
        }
        Ok(())
    }

    /// `NotFound` unless the user belongs to this organization.
    async fn require_user(&mut self, org: OrgId, id: UserId) -> Result<(), StoreError> {
        let q = Sql::new("SELECT COUNT(*) AS n FROM users WHERE org_id = $1 AND id = $2")
            .bind(org)
            .bind(id);
        match self.fetch_one::<Count>(&q).await?.n {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }
}

#[derive(sqlx::FromRow)]
struct Count {
    n: i64,
}
