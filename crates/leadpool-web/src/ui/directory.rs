//! Names for the ids a lead carries (its owner, status, source, the actors on its timeline),
//! read once per page through the use cases so the pages show people and places, not
//! numbers. Whatever the actor may not list is shown by its number instead.

use std::collections::HashMap;

use leadpool_app::models::Source;
use leadpool_app::models::Status;
use leadpool_app::models::User;
use leadpool_app::{App, AppError, Member};
use leadpool_domain::{Actor, Owner, PoolId, Role, SourceId, TeamId, UserId};

use super::view::Zone;

/// The organization's people, statuses and sources as the actor may see them.
#[derive(Debug)]
pub struct Directory {
    users: Vec<User>,
    by_id: HashMap<UserId, usize>,
    /// Statuses, in the organization's order.
    pub statuses: Vec<Status>,
    /// Sources; empty for roles that may not list them.
    pub sources: Vec<Source>,
    /// Pools the actor may see, by id and name.
    pub pools: Vec<(PoolId, String)>,
    /// Teams, by id and name.
    teams: Vec<(TeamId, String)>,
    /// The viewer's time zone.
    pub zone: Zone,
}

impl Directory {
    /// Reads the names the actor may see.
    pub async fn load(app: &App, m: &Member) -> Result<Self, AppError> {
        let users = app.list_users(m, None, None).await?;
        let statuses = app.list_statuses(m).await?;
        let sources = match app.list_sources(m).await {
            Ok(s) => s,
            // Agents may not list sources; their pages simply go without source names.
            Err(AppError::Forbidden(_)) => Vec::new(),
            Err(e) => return Err(e),
        };
        let pools = app
            .list_pools(m)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        let teams = app
            .list_teams(m)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect();
        let by_id = users.iter().enumerate().map(|(i, u)| (u.id, i)).collect();
        Ok(Self {
            users,
            by_id,
            statuses,
            sources,
            pools,
            teams,
            zone: Zone::of(m),
        })
    }

    /// A user's name.
    pub fn user(&self, id: UserId) -> String {
        self.by_id
            .get(&id)
            .and_then(|&i| self.users.get(i))
            .map_or_else(
                || "someone outside your view".to_owned(),
                |u| u.name.clone(),
            )
    }

    /// A team's name.
    pub fn team(&self, id: TeamId) -> String {
        self.teams
            .iter()
            .find(|(t, _)| *t == id)
            .map_or_else(|| "another team".to_owned(), |(_, n)| n.clone())
    }

    /// Active users of every role, by name.
    pub fn active(&self) -> Vec<&User> {
        let mut people: Vec<&User> = self.users.iter().filter(|u| u.active).collect();
        people.sort_by(|a, b| a.name.cmp(&b.name));
        people
    }

    /// Active agents the actor may hand leads to, by name.
    pub fn agents(&self) -> Vec<&User> {
        let mut agents: Vec<&User> = self
            .users
            .iter()
            .filter(|u| u.active && u.role.is_agent())
            .collect();
        agents.sort_by(|a, b| a.name.cmp(&b.name));
        agents
    }

    /// A source's name, when the actor may see sources.
    pub fn source(&self, id: SourceId) -> Option<&str> {
        self.sources
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.as_str())
    }

    /// Who holds a lead, in words.
    pub fn owner(&self, owner: Owner) -> String {
        match owner {
            Owner::Agent { user_id } => self.user(user_id),
            Owner::Pool { pool_id } => self
                .pools
                .iter()
                .find(|(id, _)| *id == pool_id)
                .map_or_else(|| "a pool outside your view".to_owned(), |(_, n)| n.clone()),
            Owner::Queue => "Assignment queue".to_owned(),
            Owner::Offer { .. } => "Being offered".to_owned(),
        }
    }

    /// Who did something on a timeline, in words.
    pub fn actor(&self, actor: Actor) -> String {
        match actor {
            Actor::User { user_id } => self.user(user_id),
            Actor::Source { source_id } => self
                .source(source_id)
                .map_or_else(|| "a lead source".to_owned(), |s| format!("source {s}")),
            Actor::System => "leadpool".to_owned(),
        }
    }
}

/// A role as people say it.
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Admin => "Admin",
        Role::Isa => "ISA",
        Role::Agent => "Agent",
        Role::AllLeadsAgent => "All-leads agent",
    }
}
