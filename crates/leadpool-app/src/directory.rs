//! An organization's directory: teams, users and sources, managed by admins within their
//! scope (statuses live in `statuses`).

use leadpool_domain::Permission;
use leadpool_domain::delivery::next_digest;
use leadpool_domain::pool::Caps;
use leadpool_domain::validate::{PersonName, parse_tags};
use leadpool_domain::{Email, Role, Scope, SourceId, TeamId, Timestamp, UserId, would_cycle};
use leadpool_store::Tx;
use leadpool_store::sources::Source;
use leadpool_store::teams::Team;
use leadpool_store::users::{NewUser, User, UserFilter};

use crate::secret;
use crate::{App, AppError, Member};

/// What organization admins need to change lead sources, as refusals name it.
pub const SOURCES: Permission<'static> = Permission::OrgSetting("sources");

pub(crate) fn name_field(field: &str, s: &str) -> Result<String, AppError> {
    PersonName::parse(s)
        .map(|n| n.as_str().to_owned())
        .map_err(|m| AppError::invalid(field, m))
}

/// A time zone as a person picks it: an IANA name (stored as given, trimmed), or nothing for
/// UTC.
pub(crate) fn time_zone_field(field: &str, s: &str) -> Result<Option<String>, AppError> {
    let name = s.trim();
    if name.is_empty() {
        return Ok(None);
    }
    leadpool_domain::calendar::parse_tz(name)
        .map(|_| Some(name.to_owned()))
        .map_err(|_| {
            AppError::invalid(
                field,
                format!("`{name}` is not a time zone; use an IANA name such as America/New_York or Europe/Lisbon"),
            )
        })
}

/// The time zone a person reads times in: the one they chose, or UTC (also when the chosen
/// name is no longer in the time-zone database).
pub fn zone_of(u: &User) -> jiff::tz::TimeZone {
    zone_named(u.time_zone.as_deref())
}

/// The time zone of a chosen IANA name, or UTC for none (or a name no longer known).
pub fn zone_named(name: Option<&str>) -> jiff::tz::TimeZone {
    name.and_then(|z| leadpool_domain::calendar::parse_tz(z).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC)
}

/// After `user`'s time zone changed: their next daily digest (if they asked for one) comes
/// at 07:00 on their new clocks.
async fn replan_digest(tx: &mut Tx, user: &User, now: Timestamp) -> Result<(), AppError> {
    tx.plan_digest(user.id, next_digest(now, &zone_of(user)))
        .await
        .map_err(AppError::from)
}

/// Checks that a user's scope and teams name teams of the actor's organization, before
/// whether the actor may grant them, so another organization's team reads as a missing one.
async fn require_teams(
    tx: &mut Tx,
    m: &Member,
    scope: Option<TeamId>,
    teams: &[TeamId],
) -> Result<(), AppError> {
    if let Some(t) = scope {
        tx.team(m.viewer.org, t)
            .await
            .map_err(AppError::absent("scope_team_id", "team"))?;
    }
    for t in teams {
        tx.team(m.viewer.org, *t)
            .await
            .map_err(AppError::absent("team_ids", "team"))?;
    }
    Ok(())
}

/// Changes to a user; `None` leaves a part as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    /// New display name.
    pub name: Option<String>,
    /// New role.
    pub role: Option<Role>,
    /// Activate or deactivate.
    pub active: Option<bool>,
    /// New teams (replacing the old).
    pub teams: Option<Vec<TeamId>>,
    /// New tags (replacing the old).
    pub tags: Option<Vec<String>>,
    /// New scope: `Some(None)` is the whole organization.
    pub scope_team_id: Option<Option<TeamId>>,
    /// New password.
    pub password: Option<String>,
    /// Turn pool access on or off.
    pub pool_access: Option<bool>,
    /// Their own cap on open new leads; `Some(None)` falls back to the organization's.
    pub max_new_leads: Option<Option<u32>>,
    /// Their own minimum of open new leads; `Some(None)` falls back to the organization's.
    pub min_new_leads: Option<Option<u32>>,
    /// Their time zone's IANA name; empty: UTC.
    pub time_zone: Option<String>,
}

/// A user to create through the API.
#[derive(Debug, Clone)]
pub struct NewMember {
    /// Sign-in address.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Password, or `None` for an API-only user.
    pub password: Option<String>,
    /// Teams.
    pub teams: Vec<TeamId>,
    /// Tags.
    pub tags: Vec<String>,
    /// Scope of their rights (`None`: the organization).
    pub scope_team_id: Option<TeamId>,
}

impl App {
    /// Every team of the actor's organization.
    #[tracing::instrument(name = "list_teams", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn list_teams(&self, m: &Member) -> Result<Vec<Team>, AppError> {
        let mut tx = self.store().read().await?;
        let teams = tx.teams(m.viewer.org).await?;
        tx.commit().await?;
        Ok(teams)
    }

    /// One team.
    #[tracing::instrument(name = "get_team", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn get_team(&self, m: &Member, id: TeamId) -> Result<Team, AppError> {
        let mut tx = self.store().read().await?;
        let team = tx
            .team(m.viewer.org, id)
            .await
            .map_err(AppError::from_store("team"))?;
        tx.commit().await?;
        Ok(team)
    }

    /// Creates a team under `parent`; the actor must administer the parent.
    #[tracing::instrument(name = "create_team", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn create_team(
        &self,
        m: &Member,
        name: &str,
        parent: Option<TeamId>,
    ) -> Result<Team, AppError> {
        let name = name_field("name", name)?;
        if !m.viewer.administers(parent) {
            return Err(AppError::Forbidden(
                "you may only create teams inside your scope".into(),
            ));
        }
        let mut tx = self.store().write().await?;
        let team = tx
            .insert_team(m.viewer.org, parent, &name, self.now())
            .await
            .map_err(AppError::absent("parent_id", "team"))?;
        tx.commit().await?;
        self.forget_members();
        Ok(team)
    }

    /// Renames or moves a team; the team must be in scope, and so must a new parent.
    #[tracing::instrument(name = "update_team", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn update_team(
        &self,
        m: &Member,
        id: TeamId,
        name: Option<&str>,
        parent: Option<Option<TeamId>>,
    ) -> Result<Team, AppError> {
        let mut tx = self.store().write().await?;
        let team = tx
            .team(m.viewer.org, id)
            .await
            .map_err(AppError::from_store("team"))?;
        let new_parent = parent.unwrap_or(team.parent_id);
        // Only a move asks for the new parent: a team admin renames the team at the root of
        // their scope, whose parent they do not administer, without moving it.
        if !m.viewer.administers(Some(id)) || parent.is_some_and(|p| !m.viewer.administers(p)) {
            return Err(AppError::Forbidden(
                "you may only change teams inside your scope".into(),
            ));
        }
        let all: Vec<_> = tx
            .teams(m.viewer.org)
            .await?
            .into_iter()
            .map(|t| (t.id, t.parent_id))
            .collect();
        if would_cycle(&all, id, new_parent) {
            return Err(AppError::invalid(
                "parent_id",
                "a team cannot be moved under itself or its own subteam",
            ));
        }
        let name = name
            .map(|n| name_field("name", n))
            .transpose()?
            .unwrap_or(team.name);
        let team = tx
            .update_team(m.viewer.org, id, &name, new_parent)
            .await
            .map_err(AppError::absent("parent_id", "team"))?;
        tx.commit().await?;
        self.forget_members();
        Ok(team)
    }

    /// Users the actor may see: admins and ISAs their scope's, everyone else the whole
    /// organization's (agents need names to know who holds a lead).
    #[tracing::instrument(name = "list_users", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn list_users(
        &self,
        m: &Member,
        role: Option<Role>,
        active: Option<bool>,
    ) -> Result<Vec<User>, AppError> {
        let teams = match (&m.viewer.scope, m.viewer.role) {
            (Scope::Teams(ts), Role::Admin | Role::Isa) => Some(ts.clone()),
            _ => None,
        };
        let mut tx = self.store().read().await?;
        let users = tx
            .users(
                m.viewer.org,
                &UserFilter {
                    ids: None,
                    teams,
                    role,
                    active,
                },
            )
            .await?;
        tx.commit().await?;
        Ok(users)
    }

    /// One user of the actor's organization.
    #[tracing::instrument(name = "get_user", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn get_user(&self, m: &Member, id: UserId) -> Result<User, AppError> {
        let mut tx = self.store().read().await?;
        let user = tx
            .user(m.viewer.org, id)
            .await
            .map_err(AppError::from_store("user"))?;
        tx.commit().await?;
        Ok(user)
    }

    fn check_user_placement(
        m: &Member,
        what: &'static str,
        role: Role,
        teams: &[TeamId],
        scope: Option<TeamId>,
    ) -> Result<(), AppError> {
        // The permission refuses a team admin's user in no team too; said first as a
        // problem with the input, it names the field to fill in.
        if teams.is_empty() && m.viewer.role == Role::Admin && !m.viewer.administers_organization()
        {
            return Err(AppError::invalid(
                "team_ids",
                "a team admin must put the user in at least one of their teams",
            ));
        }
        m.require(Permission::PlaceUser {
            what,
            role,
            scope,
            teams,
        })
    }

    /// Adds a user; the actor must administer every team and the scope given.
    #[tracing::instrument(name = "create_user", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn create_user(&self, m: &Member, new: NewMember) -> Result<User, AppError> {
        let email = Email::parse(&new.email).map_err(|e| AppError::invalid("email", e))?;
        let name = name_field("name", &new.name)?;
        let tags: Vec<String> = parse_tags(&new.tags)
            .map_err(|e| AppError::invalid("tags", e))?
            .into_iter()
            .map(|t| t.as_str().to_owned())
            .collect();
        // A team admin's new users are scoped like the admin unless told otherwise: no scope
        // would mean the whole organization, which such an admin may not grant.
        let scope_team_id = new
            .scope_team_id
            .or(if m.viewer.administers_organization() {
                None
            } else {
                m.user.scope_team_id
            });
        let mut tx = self.store().write().await?;
        require_teams(&mut tx, m, scope_team_id, &new.teams).await?;
        Self::check_user_placement(m, "add users", new.role, &new.teams, scope_team_id)?;
        let password_hash = new
            .password
            .as_deref()
            .map(secret::hash_password)
            .transpose()?;
        let nu = NewUser {
            org: m.viewer.org,
            email: email.as_str().to_owned(),
            name,
            role: new.role,
            scope_team_id,
            password_hash,
        };
        let user = tx.insert_user(&nu, self.now()).await?;
        tx.set_user_teams(m.viewer.org, user.id, &new.teams).await?;
        tx.set_user_tags(m.viewer.org, user.id, &tags).await?;
        let user = tx.user(m.viewer.org, user.id).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Changes a user; the actor must administer the user's current and new placement.
    #[tracing::instrument(name = "update_user", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn update_user(
        &self,
        m: &Member,
        id: UserId,
        c: UserChanges,
    ) -> Result<User, AppError> {
        let mut tx = self.store().write().await?;
        let mut user = tx
            .user(m.viewer.org, id)
            .await
            .map_err(AppError::from_store("user"))?;
        Self::check_user_placement(
            m,
            "change users",
            user.role,
            &user.teams,
            user.scope_team_id,
        )?;
        if let Some(n) = &c.name {
            user.name = name_field("name", n)?;
        }
        if let Some(r) = c.role {
            user.role = r;
        }
        if let Some(a) = c.active {
            if !a && user.id == m.user.id {
                return Err(AppError::invalid(
                    "active",
                    "you cannot deactivate yourself",
                ));
            }
            user.active = a;
        }
        if let Some(s) = c.scope_team_id {
            user.scope_team_id = s;
        }
        if let Some(p) = c.pool_access {
            user.pool_access = p;
        }
        if let Some(max) = c.max_new_leads {
            user.max_new_leads = max;
        }
        if let Some(min) = c.min_new_leads {
            user.min_new_leads = min;
        }
        if let Some(zone) = &c.time_zone {
            user.time_zone = time_zone_field("time_zone", zone)?;
        }
        if let Some((field, why)) =
            Caps::problem(user.max_new_leads, user.min_new_leads.unwrap_or_default())
        {
            return Err(AppError::invalid(field, why));
        }
        let teams = c.teams.clone().unwrap_or_else(|| user.teams.clone());
        require_teams(&mut tx, m, user.scope_team_id, &teams).await?;
        Self::check_user_placement(m, "change users", user.role, &teams, user.scope_team_id)?;
        tx.update_user(&user).await?;
        if c.teams.is_some() {
            tx.set_user_teams(m.viewer.org, id, &teams).await?;
        }
        if let Some(tags) = &c.tags {
            let tags: Vec<String> = parse_tags(tags)
                .map_err(|e| AppError::invalid("tags", e))?
                .into_iter()
                .map(|t| t.as_str().to_owned())
                .collect();
            tx.set_user_tags(m.viewer.org, id, &tags).await?;
        }
        if let Some(p) = &c.password {
            tx.set_password(m.viewer.org, id, &secret::hash_password(p)?)
                .await?;
        }
        if c.time_zone.is_some() {
            replan_digest(&mut tx, &user, self.now()).await?;
        }
        let user = tx.user(m.viewer.org, id).await?;
        tx.commit().await?;
        self.forget_members();
        Ok(user)
    }

    /// Sets the time zone the signed-in person reads times in (empty: UTC).
    #[tracing::instrument(name = "set_time_zone", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn set_time_zone(&self, m: &Member, zone: &str) -> Result<User, AppError> {
        let zone = time_zone_field("time_zone", zone)?;
        let mut tx = self.store().write().await?;
        let mut user = tx.user(m.viewer.org, m.user.id).await?;
        user.time_zone = zone;
        tx.update_user(&user).await?;
        replan_digest(&mut tx, &user, self.now()).await?;
        tx.commit().await?;
        self.forget_members();
        Ok(user)
    }

    /// Every source (admins and ISAs).
    #[tracing::instrument(name = "list_sources", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn list_sources(&self, m: &Member) -> Result<Vec<Source>, AppError> {
        m.require(Permission::Staff("see sources"))?;
        let mut tx = self.store().read().await?;
        let sources = tx.sources(m.viewer.org).await?;
        tx.commit().await?;
        Ok(sources)
    }

    /// One source (admins and ISAs).
    #[tracing::instrument(name = "get_source", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn get_source(&self, m: &Member, id: SourceId) -> Result<Source, AppError> {
        m.require(Permission::Staff("see sources"))?;
        let mut tx = self.store().read().await?;
        let s = tx
            .source(m.viewer.org, id)
            .await
            .map_err(AppError::from_store("source"))?;
        tx.commit().await?;
        Ok(s)
    }

    /// Creates a source; returns it with its intake key, shown this once.
    #[tracing::instrument(name = "create_source", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn create_source(
        &self,
        m: &Member,
        name: &str,
        team: Option<TeamId>,
    ) -> Result<(Source, String), AppError> {
        m.require(SOURCES)?;
        self.insert_source(m.viewer.org, name, team).await
    }

    pub(crate) async fn insert_source(
        &self,
        org: leadpool_domain::OrgId,
        name: &str,
        team: Option<TeamId>,
    ) -> Result<(Source, String), AppError> {
        let name = name_field("name", name)?;
        let key = secret::new_token("src_")?;
        let mut tx = self.store().write().await?;
        let s = tx
            .insert_source(
                org,
                &name,
                team,
                &secret::digest(&key),
                &secret::hint(&key),
                self.now(),
            )
            .await
            .map_err(AppError::absent("team_id", "team"))?;
        tx.commit().await?;
        Ok((s, key))
    }

    /// Renames a source, moves it to a team or turns it on or off.
    #[tracing::instrument(name = "update_source", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn update_source(
        &self,
        m: &Member,
        id: SourceId,
        name: Option<&str>,
        team: Option<Option<TeamId>>,
        active: Option<bool>,
    ) -> Result<Source, AppError> {
        m.require(SOURCES)?;
        let mut tx = self.store().write().await?;
        let mut s = tx
            .source(m.viewer.org, id)
            .await
            .map_err(AppError::from_store("source"))?;
        if let Some(n) = name {
            s.name = name_field("name", n)?;
        }
        if let Some(t) = team {
            s.team_id = t;
        }
        if let Some(a) = active {
            s.active = a;
        }
        let s = tx
            .update_source(&s)
            .await
            .map_err(AppError::absent("team_id", "team"))?;
        tx.commit().await?;
        Ok(s)
    }

    /// Replaces a source's intake key; returns the new key, shown this once.
    #[tracing::instrument(name = "rotate_source_key", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn rotate_source_key(
        &self,
        m: &Member,
        id: SourceId,
    ) -> Result<(Source, String), AppError> {
        m.require(SOURCES)?;
        let key = secret::new_token("src_")?;
        let mut tx = self.store().write().await?;
        let s = tx
            .rotate_source_key(m.viewer.org, id, &secret::digest(&key), &secret::hint(&key))
            .await
            .map_err(AppError::from_store("source"))?;
        tx.commit().await?;
        Ok((s, key))
    }
}
