//! Distribution settings as admins write them: agent groups, routing rules in priority
//! order, and reassignment groups with the teams they are available to. Every reference a
//! setting makes (group, agent, pool, calendar, source, team) is checked against the
//! organization before it is stored, and every problem is reported under the field it is
//! about.
//!
//! Groups and rules are organization-level: only an admin of the whole organization changes
//! them. A team admin may change reassignment groups available only to teams in their scope.

mod checks;

use std::collections::HashSet;

use leadpool_domain::Permission;
use leadpool_domain::routing::{GroupEntry, Plan, Rule};
use leadpool_domain::validate::Errors;
use leadpool_domain::{GroupId, ReassignmentId, RuleId, TeamId};
use leadpool_store::Tx;
use leadpool_store::routing::{Group, Reassignment, RuleSettings};

use checks::{check_group, check_reassignment, check_rule, hold_group};

use crate::{App, AppError, Member};

/// What organization admins need to change groups and routing rules, as refusals name it.
pub const ROUTING: Permission<'static> = Permission::OrgSetting("groups and routing rules");

/// Longest name of a group, rule or reassignment group.
pub const MAX_NAME: usize = 100;
/// Most entries one group may have.
pub const MAX_ENTRIES: usize = 500;
/// Largest weight (leads per round) of a group entry.
pub const MAX_WEIGHT: u32 = 100;
/// Most teams a reassignment group may be available to.
const MAX_TEAMS: usize = 500;
/// Most conditions of each kind one rule may have.
const MAX_CONDITIONS: usize = 100;

/// A group as an admin writes it.
#[derive(Debug, Clone, Default)]
pub struct GroupInput {
    /// Its name (1 to 100 characters, unique in the organization).
    pub name: String,
    /// Its entries in line order.
    pub entries: Vec<GroupEntry>,
}

/// A rule not saved yet, tried in a dry run as if it were.
#[derive(Debug, Clone)]
pub struct DraftRule {
    /// The saved rule it stands in for, in that rule's place; `None`: added after the last.
    pub replaces: Option<RuleId>,
    /// Its settings as they would be saved.
    pub settings: RuleSettings,
}

impl DraftRule {
    /// The draft as a rule, with the id of the rule it stands in for.
    pub fn rule(self) -> Rule {
        Rule {
            // Never a stored id: a new rule's round-robin turn starts at the first member.
            id: self.replaces.unwrap_or(RuleId::new(0)),
            name: self.settings.name,
            enabled: self.settings.enabled,
            conditions: self.settings.conditions,
            plan: self.settings.plan,
        }
    }

    /// The rules as they would be with the draft saved, the draft checked as saving it
    /// checks it (organization admins: who may save a rule may try one).
    pub(crate) async fn in_place(
        self,
        tx: &mut Tx,
        m: &Member,
        rules: &[Rule],
    ) -> Result<Vec<Rule>, AppError> {
        m.require(ROUTING)?;
        let draft = Self {
            replaces: self.replaces,
            settings: check_rule(tx, m.viewer.org, self.settings).await?,
        }
        .rule();
        let mut out = rules.to_vec();
        match self.replaces {
            None => out.push(draft),
            Some(id) => {
                let at = out
                    .iter()
                    .position(|x| x.id == id)
                    .ok_or(AppError::NotFound { what: "rule" })?;
                out[at] = draft;
            }
        }
        Ok(out)
    }
}

/// A reassignment group as an admin writes it.
#[derive(Debug, Clone)]
pub struct ReassignmentInput {
    /// Its name (1 to 100 characters, unique in the organization).
    pub name: String,
    /// What it does; the fallback must name the default assignee.
    pub plan: Plan,
    /// The teams whose members may use it; empty: the whole organization.
    pub teams: Vec<TeamId>,
}

/// Whether a reassignment group available to `teams` is one `m` may see and use: one for
/// the whole organization always; otherwise one of its teams must be one of `m`'s teams or
/// inside their scope (an organization-wide scope covers every team). Triggering a group must
/// use the same test, so a list never offers what would then be refused.
pub(crate) fn available_to(m: &Member, teams: &[TeamId]) -> bool {
    teams.is_empty()
        || teams
            .iter()
            .any(|t| m.user.teams.contains(t) || m.viewer.scope.covers(Some(*t)))
}

/// A reassignment group `m` may see: one limited to teams out of their sight is not found,
/// as it is missing from their list, whatever is then asked of it.
async fn reassignment_in_sight(
    tx: &mut Tx,
    m: &Member,
    id: ReassignmentId,
) -> Result<Reassignment, AppError> {
    let r = tx
        .reassignment(m.viewer.org, id)
        .await
        .map_err(AppError::from_store("reassignment group"))?;
    if available_to(m, &r.teams) {
        Ok(r)
    } else {
        Err(AppError::NotFound {
            what: "reassignment group",
        })
    }
}

impl App {
    /// Every group, by name (admins and ISAs).
    #[tracing::instrument(name = "list_groups", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn list_groups(&self, m: &Member) -> Result<Vec<Group>, AppError> {
        m.require(Permission::Staff("read distribution settings"))?;
        let mut tx = self.store().read().await?;
        let groups = tx.groups(m.viewer.org).await?;
        tx.commit().await?;
        Ok(groups)
    }

    /// One group (admins and ISAs).
    #[tracing::instrument(name = "get_group", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn get_group(&self, m: &Member, id: GroupId) -> Result<Group, AppError> {
        m.require(Permission::Staff("read distribution settings"))?;
        let mut tx = self.store().read().await?;
        let g = tx
            .group(m.viewer.org, id)
            .await
            .map_err(AppError::from_store("group"))?;
        tx.commit().await?;
        Ok(g)
    }

    /// Creates a group (organization admins).
    #[tracing::instrument(name = "create_group", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn create_group(&self, m: &Member, input: GroupInput) -> Result<Group, AppError> {
        m.require(ROUTING)?;
        let org = m.viewer.org;
        let mut tx = self.store().write().await?;
        let g = check_group(&mut tx, org, input).await?;
        let group = tx
            .insert_group(org, &g.name, &g.entries, self.now())
            .await
            .map_err(AppError::from_store("group"))?;
        tx.commit().await?;
        Ok(group)
    }

    /// Renames a group and replaces its entries (organization admins); rules using it pick
    /// from the new entries from the next lead on.
    #[tracing::instrument(name = "update_group", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn update_group(
        &self,
        m: &Member,
        id: GroupId,
        input: GroupInput,
    ) -> Result<Group, AppError> {
        m.require(ROUTING)?;
        let org = m.viewer.org;
        let mut tx = self.store().write().await?;
        tx.group(org, id)
            .await
            .map_err(AppError::from_store("group"))?;
        let g = check_group(&mut tx, org, input).await?;
        let group = tx
            .update_group(org, id, &g.name, &g.entries, self.now())
            .await
            .map_err(AppError::from_store("group"))?;
        tx.commit().await?;
        Ok(group)
    }

    /// Deletes a group no rule or reassignment group uses (organization admins).
    #[tracing::instrument(name = "delete_group", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn delete_group(&self, m: &Member, id: GroupId) -> Result<(), AppError> {
        m.require(ROUTING)?;
        let org = m.viewer.org;
        let mut tx = self.store().write().await?;
        let group = tx
            .group(org, id)
            .await
            .map_err(AppError::from_store("group"))?;
        // Deleted before the rules are read, so a rule being saved with this group either
        // waits for this and is refused, or is seen here (see `hold_group`).
        tx.delete_group(org, id)
            .await
            .map_err(AppError::from_store("group"))?;
        let mut in_use_by: Vec<String> = tx
            .rules(org)
            .await?
            .into_iter()
            .filter(|r| r.plan.group_id == Some(id))
            .map(|r| format!("rule `{}`", r.name))
            .collect();
        in_use_by.extend(
            tx.reassignments(org)
                .await?
                .into_iter()
                .filter(|r| r.plan.group_id == Some(id))
                .map(|r| format!("reassignment group `{}`", r.name)),
        );
        if !in_use_by.is_empty() {
            return Err(AppError::Conflict {
                code: "in_use",
                message: format!(
                    "group `{}` is used by {}; give them another group first",
                    group.name,
                    in_use_by.join(", ")
                ),
            });
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every rule in priority order, first match wins (admins and ISAs).
    #[tracing::instrument(name = "list_rules", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn list_rules(&self, m: &Member) -> Result<Vec<Rule>, AppError> {
        m.require(Permission::Staff("read distribution settings"))?;
        let mut tx = self.store().read().await?;
        let rules = tx.rules(m.viewer.org).await?;
        tx.commit().await?;
        Ok(rules)
    }

    /// Adds a rule after the last one (organization admins).
    #[tracing::instrument(name = "create_rule", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn create_rule(&self, m: &Member, input: RuleSettings) -> Result<Rule, AppError> {
        m.require(ROUTING)?;
        let org = m.viewer.org;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let r = check_rule(&mut tx, org, input).await?;
        hold_group(&mut tx, org, &r.plan, now).await?;
        let rule = tx
            .insert_rule(org, &r, now)
            .await
            .map_err(AppError::from_store("rule"))?;
        tx.commit().await?;
        Ok(rule)
    }

    /// Replaces a rule's name, conditions and plan, or turns it on or off, keeping its place
    /// (organization admins).
    #[tracing::instrument(name = "update_rule", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn update_rule(
        &self,
        m: &Member,
        id: RuleId,
        input: RuleSettings,
    ) -> Result<Rule, AppError> {
        m.require(ROUTING)?;
        let org = m.viewer.org;
        let now = self.now();
        let mut tx = self.store().write().await?;
        if !tx.rules(org).await?.iter().any(|r| r.id == id) {
            return Err(AppError::NotFound { what: "rule" });
        }
        let r = check_rule(&mut tx, org, input).await?;
        hold_group(&mut tx, org, &r.plan, now).await?;
        let rule = tx
            .update_rule(org, id, &r, now)
            .await
            .map_err(AppError::from_store("rule"))?;
        tx.commit().await?;
        Ok(rule)
    }

    /// Deletes a rule (organization admins); leads it already routed keep their owners.
    #[tracing::instrument(name = "delete_rule", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn delete_rule(&self, m: &Member, id: RuleId) -> Result<(), AppError> {
        m.require(ROUTING)?;
        let mut tx = self.store().write().await?;
        tx.delete_rule(m.viewer.org, id)
            .await
            .map_err(AppError::from_store("rule"))?;
        tx.commit().await?;
        Ok(())
    }

    /// Puts the rules in this priority order (organization admins); `ids` names every rule
    /// of the organization once, so no rule is left in an unintended place.
    #[tracing::instrument(name = "reorder_rules", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn reorder_rules(&self, m: &Member, ids: &[RuleId]) -> Result<Vec<Rule>, AppError> {
        m.require(ROUTING)?;
        let org = m.viewer.org;
        let mut tx = self.store().write().await?;
        let rules = tx.rules(org).await?;
        let mut e = Errors::default();
        let mut seen = HashSet::new();
        for (i, id) in ids.iter().enumerate() {
            if !rules.iter().any(|r| r.id == *id) {
                e.push(
                    format!("ids[{i}]"),
                    format!("no rule {id} in this organization"),
                );
            } else if !seen.insert(*id) {
                e.push(format!("ids[{i}]"), format!("rule {id} is named twice"));
            }
        }
        let left_out: Vec<String> = rules
            .iter()
            .filter(|r| !ids.contains(&r.id))
            .map(|r| format!("{} (`{}`)", r.id, r.name))
            .collect();
        if !left_out.is_empty() {
            e.push(
                "ids",
                format!("name every rule once; missing: {}", left_out.join(", ")),
            );
        }
        e.finish(|| ())?;
        tx.reorder_rules(org, ids).await?;
        let rules = tx.rules(org).await?;
        tx.commit().await?;
        Ok(rules)
    }

    /// The reassignment groups `m` may use, by name (admins: all; ISAs: those available to
    /// them).
    #[tracing::instrument(name = "list_reassignment_groups", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn list_reassignment_groups(
        &self,
        m: &Member,
    ) -> Result<Vec<Reassignment>, AppError> {
        m.require(Permission::Staff("read distribution settings"))?;
        let org = m.viewer.org;
        let mut tx = self.store().read().await?;
        let all = tx.reassignments(org).await?;
        tx.commit().await?;
        // Admins too: a team admin's scope is their team, and a group limited to another
        // team would be refused when they use it.
        Ok(all
            .into_iter()
            .filter(|r| available_to(m, &r.teams))
            .collect())
    }

    /// One reassignment group, if `m` may use it.
    #[tracing::instrument(name = "get_reassignment_group", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn get_reassignment_group(
        &self,
        m: &Member,
        id: ReassignmentId,
    ) -> Result<Reassignment, AppError> {
        m.require(Permission::Staff("read distribution settings"))?;
        let mut tx = self.store().read().await?;
        let r = reassignment_in_sight(&mut tx, m, id).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Creates a reassignment group (organization admins, or team admins for teams in
    /// their scope).
    #[tracing::instrument(name = "create_reassignment_group", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn create_reassignment_group(
        &self,
        m: &Member,
        input: ReassignmentInput,
    ) -> Result<Reassignment, AppError> {
        m.require(Permission::Teams {
            what: "reassignment groups",
            teams: &input.teams,
        })?;
        let org = m.viewer.org;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let r = check_reassignment(&mut tx, org, input).await?;
        hold_group(&mut tx, org, &r.plan, now).await?;
        let created = tx
            .insert_reassignment(org, &r.name, &r.plan, &r.teams, now)
            .await
            .map_err(AppError::from_store("reassignment group"))?;
        tx.commit().await?;
        Ok(created)
    }

    /// Replaces a reassignment group's name, plan and teams; a team admin may change only
    /// one available to teams in their scope, and keep it so.
    #[tracing::instrument(name = "update_reassignment_group", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn update_reassignment_group(
        &self,
        m: &Member,
        id: ReassignmentId,
        input: ReassignmentInput,
    ) -> Result<Reassignment, AppError> {
        m.require(Permission::Admin("change reassignment groups"))?;
        let org = m.viewer.org;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let old = reassignment_in_sight(&mut tx, m, id).await?;
        for teams in [&old.teams, &input.teams] {
            m.require(Permission::Teams {
                what: "reassignment groups",
                teams,
            })?;
        }
        let r = check_reassignment(&mut tx, org, input).await?;
        hold_group(&mut tx, org, &r.plan, now).await?;
        let updated = tx
            .update_reassignment(org, id, &r.name, &r.plan, &r.teams, now)
            .await
            .map_err(AppError::from_store("reassignment group"))?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Deletes a reassignment group (organization admins, or team admins for one available
    /// only to teams in their scope).
    #[tracing::instrument(name = "delete_reassignment_group", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn delete_reassignment_group(
        &self,
        m: &Member,
        id: ReassignmentId,
    ) -> Result<(), AppError> {
        m.require(Permission::Admin("change reassignment groups"))?;
        let org = m.viewer.org;
        let mut tx = self.store().write().await?;
        let old = reassignment_in_sight(&mut tx, m, id).await?;
        m.require(Permission::Teams {
            what: "reassignment groups",
            teams: &old.teams,
        })?;
        tx.delete_reassignment(org, id)
            .await
            .map_err(AppError::from_store("reassignment group"))?;
        tx.commit().await?;
        Ok(())
    }
}
