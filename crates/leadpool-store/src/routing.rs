//! Distribution settings: agent groups, routing rules in priority order, and reassignment
//! groups with the teams they are available to.

use leadpool_domain::routing::{Conditions, GroupEntry, Plan, Router, Rule};
use leadpool_domain::{GroupId, OrgId, ReassignmentId, RuleId, TeamId, Timestamp};

use crate::{Sql, StoreError, Tx, from_json, to_json};

/// A named, ordered set of agents (by individual or by tag) with weights.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Group {
    /// Its id.
    pub id: GroupId,
    /// Its name.
    pub name: String,
    /// Its entries in line order.
    pub entries: Vec<GroupEntry>,
}

/// A reassignment group (seed 004): members and a strategy for leads already in the system,
/// a default assignee, and the teams it is available to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reassignment {
    /// Its id.
    pub id: ReassignmentId,
    /// Its name.
    pub name: String,
    /// What it does; the fallback is the default assignee.
    pub plan: Plan,
    /// Teams whose members may trigger it; empty: the whole organization.
    pub teams: Vec<TeamId>,
}

#[derive(sqlx::FromRow)]
struct GroupRow {
    id: i64,
    name: String,
    entries: String,
}

#[derive(sqlx::FromRow)]
struct RuleRow {
    id: i64,
    name: String,
    enabled: bool,
    conditions: String,
    plan: String,
}

#[derive(sqlx::FromRow)]
struct ReassignmentRow {
    id: i64,
    name: String,
    plan: String,
}

#[derive(sqlx::FromRow)]
struct TeamLink {
    reassignment_id: i64,
    team_id: i64,
}

#[derive(sqlx::FromRow)]
struct MaxRow {
    n: Option<i64>,
}

impl TryFrom<GroupRow> for Group {
    type Error = StoreError;
    fn try_from(r: GroupRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: GroupId::new(r.id),
            name: r.name,
            entries: from_json("agent_groups.entries", &r.entries)?,
        })
    }
}

impl TryFrom<RuleRow> for Rule {
    type Error = StoreError;
    fn try_from(r: RuleRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: RuleId::new(r.id),
            name: r.name,
            enabled: r.enabled,
            conditions: from_json("routing_rules.conditions", &r.conditions)?,
            plan: from_json("routing_rules.plan", &r.plan)?,
        })
    }
}

/// A rule's parts as an admin writes them.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSettings {
    /// Its name.
    pub name: String,
    /// Whether it takes leads.
    pub enabled: bool,
    /// Which leads.
    pub conditions: Conditions,
    /// What it does with them.
    pub plan: Plan,
}

impl Tx {
    /// Adds a group.
    pub async fn insert_group(
        &mut self,
        org: OrgId,
        name: &str,
        entries: &[GroupEntry],
        now: Timestamp,
    ) -> Result<Group, StoreError> {
        let q = Sql::new(
            "INSERT INTO agent_groups (org_id, name, entries, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
             RETURNING id, name, entries",
        )
        .bind(org)
        .bind(name)
        .bind(to_json(&entries))
        .bind(now);
        self.fetch_one::<GroupRow>(&q).await?.try_into()
    }

    /// Renames a group or replaces its entries.
    pub async fn update_group(
        &mut self,
        org: OrgId,
        id: GroupId,
        name: &str,
        entries: &[GroupEntry],
        now: Timestamp,
    ) -> Result<Group, StoreError> {
        let q = Sql::new(
            "UPDATE agent_groups SET name = $3, entries = $4, updated_at = $5 WHERE org_id = $1 AND id = $2 \
             RETURNING id, name, entries",
        )
        .bind(org)
        .bind(id)
        .bind(name)
        .bind(to_json(&entries))
        .bind(now);
        self.fetch_one::<GroupRow>(&q).await?.try_into()
    }

    /// The group with this id.
    pub async fn group(&mut self, org: OrgId, id: GroupId) -> Result<Group, StoreError> {
        let q =
            Sql::new("SELECT id, name, entries FROM agent_groups WHERE org_id = $1 AND id = $2")
                .bind(org)
                .bind(id);
        self.fetch_one::<GroupRow>(&q).await?.try_into()
    }

    /// Every group, by name.
    pub async fn groups(&mut self, org: OrgId) -> Result<Vec<Group>, StoreError> {
        let q =
            Sql::new("SELECT id, name, entries FROM agent_groups WHERE org_id = $1 ORDER BY name")
                .bind(org);
        self.fetch_all::<GroupRow>(&q)
            .await?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }

    /// Removes a group (the caller checks no rule uses it).
    pub async fn delete_group(&mut self, org: OrgId, id: GroupId) -> Result<(), StoreError> {
        let q = Sql::new("DELETE FROM agent_groups WHERE org_id = $1 AND id = $2")
            .bind(org)
            .bind(id);
        match self.execute(&q).await? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    /// Adds a rule after the last one.
    pub async fn insert_rule(
        &mut self,
        org: OrgId,
        r: &RuleSettings,
        now: Timestamp,
    ) -> Result<Rule, StoreError> {
        let max: MaxRow = self
            .fetch_one(
                &Sql::new("SELECT MAX(position) AS n FROM routing_rules WHERE org_id = $1")
                    .bind(org),
            )
            .await?;
        let q = Sql::new(
            "INSERT INTO routing_rules (org_id, name, position, enabled, conditions, plan, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id, name, enabled, conditions, plan",
        )
        .bind(org)
        .bind(r.name.as_str())
        .bind(max.n.unwrap_or(0) + 1)
        .bind(r.enabled)
        .bind(to_json(&r.conditions))
        .bind(to_json(&r.plan))
        .bind(now);
        self.fetch_one::<RuleRow>(&q).await?.try_into()
    }

    /// Changes a rule, keeping its place.
    pub async fn update_rule(
        &mut self,
        org: OrgId,
        id: RuleId,
        r: &RuleSettings,
        now: Timestamp,
    ) -> Result<Rule, StoreError> {
        let q = Sql::new(
            "UPDATE routing_rules SET name = $3, enabled = $4, conditions = $5, plan = $6, updated_at = $7 \
             WHERE org_id = $1 AND id = $2 RETURNING id, name, enabled, conditions, plan",
        )
        .bind(org)
        .bind(id)
        .bind(r.name.as_str())
        .bind(r.enabled)
        .bind(to_json(&r.conditions))
        .bind(to_json(&r.plan))
        .bind(now);
        self.fetch_one::<RuleRow>(&q).await?.try_into()
    }

    /// Every rule in priority order (first match wins).
    pub async fn rules(&mut self, org: OrgId) -> Result<Vec<Rule>, StoreError> {
        let q = Sql::new(
            "SELECT id, name, enabled, conditions, plan FROM routing_rules WHERE org_id = $1 ORDER BY position, id",
        )
        .bind(org);
        self.fetch_all::<RuleRow>(&q)
            .await?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }

    /// Removes a rule and its round-robin position (SQLite may give a later rule its id).
    pub async fn delete_rule(&mut self, org: OrgId, id: RuleId) -> Result<(), StoreError> {
        self.forget_cursor(org, Router::Rule { rule_id: id })
            .await?;
        let q = Sql::new("DELETE FROM routing_rules WHERE org_id = $1 AND id = $2")
            .bind(org)
            .bind(id);
        match self.execute(&q).await? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    /// Puts the rules in this order (every rule of the organization, each once; checked by
    /// the caller).
    pub async fn reorder_rules(&mut self, org: OrgId, ids: &[RuleId]) -> Result<(), StoreError> {
        for (i, id) in ids.iter().enumerate() {
            let q =
                Sql::new("UPDATE routing_rules SET position = $3 WHERE org_id = $1 AND id = $2")
                    .bind(org)
                    .bind(*id)
                    .bind(i64::try_from(i).unwrap_or(i64::MAX) + 1);
            if self.execute(&q).await? == 0 {
                return Err(StoreError::NotFound);
            }
        }
        Ok(())
    }

    /// Adds a reassignment group.
    pub async fn insert_reassignment(
        &mut self,
        org: OrgId,
        name: &str,
        plan: &Plan,
        teams: &[TeamId],
        now: Timestamp,
    ) -> Result<Reassignment, StoreError> {
        let q = Sql::new(
            "INSERT INTO reassignment_groups (org_id, name, plan, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
             RETURNING id, name, plan",
        )
        .bind(org)
        .bind(name)
        .bind(to_json(plan))
        .bind(now);
        let row: ReassignmentRow = self.fetch_one(&q).await?;
        let id = ReassignmentId::new(row.id);
        self.set_reassignment_teams(id, teams).await?;
        self.reassignment(org, id).await
    }

    /// Changes a reassignment group.
    pub async fn update_reassignment(
        &mut self,
        org: OrgId,
        id: ReassignmentId,
        name: &str,
        plan: &Plan,
        teams: &[TeamId],
        now: Timestamp,
    ) -> Result<Reassignment, StoreError> {
        let q = Sql::new(
            "UPDATE reassignment_groups SET name = $3, plan = $4, updated_at = $5 WHERE org_id = $1 AND id = $2",
        )
        .bind(org)
        .bind(id)
        .bind(name)
        .bind(to_json(plan))
        .bind(now);
        if self.execute(&q).await? == 0 {
            return Err(StoreError::NotFound);
        }
        self.set_reassignment_teams(id, teams).await?;
        self.reassignment(org, id).await
    }

    async fn set_reassignment_teams(
        &mut self,
        id: ReassignmentId,
        teams: &[TeamId],
    ) -> Result<(), StoreError> {
        self.execute(
            &Sql::new("DELETE FROM reassignment_group_teams WHERE reassignment_id = $1").bind(id),
        )
        .await?;
        for t in teams {
            self.execute(
                &Sql::new(
                    "INSERT INTO reassignment_group_teams (reassignment_id, team_id) VALUES ($1, $2)",
                )
                .bind(id)
                .bind(*t),
            )
            .await?;
        }
        Ok(())
    }

    /// The reassignment group with this id.
    pub async fn reassignment(
        &mut self,
        org: OrgId,
        id: ReassignmentId,
    ) -> Result<Reassignment, StoreError> {
        let mut all = self.reassignments_where(org, Some(id)).await?;
        all.pop().ok_or(StoreError::NotFound)
    }

    /// Every reassignment group, by name.
    pub async fn reassignments(&mut self, org: OrgId) -> Result<Vec<Reassignment>, StoreError> {
        self.reassignments_where(org, None).await
    }

    async fn reassignments_where(
        &mut self,
        org: OrgId,
        id: Option<ReassignmentId>,
    ) -> Result<Vec<Reassignment>, StoreError> {
        let mut q = Sql::new("SELECT id, name, plan FROM reassignment_groups WHERE org_id = ");
        q.push_bind(org);
        if let Some(id) = id {
            q.push(" AND id = ").push_bind(id);
        }
        q.push(" ORDER BY name");
        let mut out = self
            .fetch_all::<ReassignmentRow>(&q)
            .await?
            .into_iter()
            .map(|r| {
                Ok(Reassignment {
                    id: ReassignmentId::new(r.id),
                    name: r.name,
                    plan: from_json("reassignment_groups.plan", &r.plan)?,
                    teams: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        if out.is_empty() {
            return Ok(out);
        }
        let mut q = Sql::new(
            "SELECT reassignment_id, team_id FROM reassignment_group_teams WHERE reassignment_id IN ",
        );
        q.push_list(out.iter().map(|r| r.id))
            .push(" ORDER BY team_id");
        for link in self.fetch_all::<TeamLink>(&q).await? {
            if let Some(r) = out.iter_mut().find(|r| r.id.get() == link.reassignment_id) {
                r.teams.push(TeamId::new(link.team_id));
            }
        }
        Ok(out)
    }

    /// Removes a reassignment group and its round-robin position.
    pub async fn delete_reassignment(
        &mut self,
        org: OrgId,
        id: ReassignmentId,
    ) -> Result<(), StoreError> {
        self.forget_cursor(
            org,
            Router::Reassignment {
                reassignment_id: id,
            },
        )
        .await?;
        self.execute(
            &Sql::new("DELETE FROM reassignment_group_teams WHERE reassignment_id = $1").bind(id),
        )
        .await?;
        let q = Sql::new("DELETE FROM reassignment_groups WHERE org_id = $1 AND id = $2")
            .bind(org)
            .bind(id);
        match self.execute(&q).await? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    async fn forget_cursor(&mut self, org: OrgId, router: Router) -> Result<(), StoreError> {
        self.execute(
            &Sql::new("DELETE FROM routing_cursors WHERE org_id = $1 AND router = $2")
                .bind(org)
                .bind(router.cursor_key()),
        )
        .await
        .map(drop)
    }
}
