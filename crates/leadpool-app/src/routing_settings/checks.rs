//! The checks a distribution setting passes before it is stored: names, the references a
//! plan makes, conditions, group entries; each problem reported under its field.

use std::collections::HashSet;

use leadpool_domain::routing::{Conditions, Fallback, FieldTest, MemberRef, Plan, Strategy};
use leadpool_domain::validate::{Errors, Tag};
use leadpool_domain::{OrgId, Timestamp, UserId};
use leadpool_store::routing::RuleSettings;
use leadpool_store::users::UserFilter;
use leadpool_store::{StoreError, Tx};

use crate::AppError;

use super::{
    GroupInput, MAX_CONDITIONS, MAX_ENTRIES, MAX_NAME, MAX_TEAMS, MAX_WEIGHT, ReassignmentInput,
};

fn check_name(name: &str, e: &mut Errors) -> String {
    e.take("name", leadpool_domain::validate::label(name, MAX_NAME))
        .unwrap_or_default()
}

/// Why `user` may not be a rule's named agent, if they may not.
async fn not_an_active_agent(
    tx: &mut Tx,
    org: OrgId,
    user: UserId,
) -> Result<Option<String>, AppError> {
    match tx.user(org, user).await {
        Ok(u) if !u.role.is_agent() => Ok(Some(format!(
            "user {user} is an {}, not an agent",
            u.role.as_str()
        ))),
        Ok(u) if !u.active => Ok(Some(format!("user {user} is inactive"))),
        Ok(_) => Ok(None),
        Err(StoreError::NotFound) => Ok(Some(format!("no user {user} in this organization"))),
        Err(e) => Err(e.into()),
    }
}

/// Records under `field` that the thing `found` looked up does not exist.
fn missing<T>(
    found: Result<T, StoreError>,
    e: &mut Errors,
    field: &str,
    what: &str,
) -> Result<(), AppError> {
    match found {
        Ok(_) => Ok(()),
        Err(StoreError::NotFound) => {
            e.push(field, format!("no {what} in this organization"));
            Ok(())
        }
        Err(err) => Err(err.into()),
    }
}

/// Checks a plan's consistency and that everything it names exists in `org`.
async fn check_plan(tx: &mut Tx, org: OrgId, plan: &Plan, e: &mut Errors) -> Result<(), AppError> {
    if let Err(invalid) = plan.check() {
        for f in invalid.0 {
            e.push(format!("plan.{}", f.field), f.message);
        }
    }
    if let Some(g) = plan.group_id {
        let found = tx.group(org, g).await;
        missing(found, e, "plan.group_id", &format!("group {g}"))?;
    }
    match plan.strategy {
        Strategy::DirectAgent { user_id } => {
            if let Some(why) = not_an_active_agent(tx, org, user_id).await? {
                e.push("plan.strategy.user_id", why);
            }
        }
        Strategy::DirectPool { pool_id } => {
            let found = tx.pool(org, pool_id).await;
            missing(
                found,
                e,
                "plan.strategy.pool_id",
                &format!("pool {pool_id}"),
            )?;
        }
        Strategy::RoundRobin | Strategy::Broadcast | Strategy::LoadBalanced => {}
    }
    if let Some(c) = plan.calendar_id {
        let found = tx.calendar(org, c).await;
        missing(found, e, "plan.calendar_id", &format!("calendar {c}"))?;
    }
    match plan.fallback {
        Fallback::Agent { user_id } => {
            if let Some(why) = not_an_active_agent(tx, org, user_id).await? {
                e.push("plan.fallback.user_id", why);
            }
        }
        Fallback::Pool { pool_id } => {
            let found = tx.pool(org, pool_id).await;
            missing(
                found,
                e,
                "plan.fallback.pool_id",
                &format!("pool {pool_id}"),
            )?;
        }
        Fallback::Queue => {}
    }
    Ok(())
}

/// Takes the row lock of the plan's group until commit. Without it, on PostgreSQL a rule
/// saved while its group is being deleted could each miss the other and leave the rule
/// naming a group that is gone; with it one of them waits and then sees the other.
pub(super) async fn hold_group(
    tx: &mut Tx,
    org: OrgId,
    plan: &Plan,
    now: Timestamp,
) -> Result<(), AppError> {
    let Some(id) = plan.group_id else {
        return Ok(());
    };
    let gone = || AppError::invalid("plan.group_id", format!("group {id} was just deleted"));
    let g = tx.group(org, id).await.map_err(|e| match e {
        StoreError::NotFound => gone(),
        e => e.into(),
    })?;
    tx.update_group(org, id, &g.name, &g.entries, now)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => gone(),
            e => e.into(),
        })?;
    Ok(())
}

/// Checks and normalizes a rule's conditions: sources exist, field tests are well formed,
/// tags are tags.
async fn check_conditions(
    tx: &mut Tx,
    org: OrgId,
    c: &mut Conditions,
    e: &mut Errors,
) -> Result<(), AppError> {
    for (what, n) in [
        ("sources", c.sources.len()),
        ("fields", c.fields.len()),
        ("tags", c.tags.len()),
    ] {
        if n > MAX_CONDITIONS {
            e.push(
                format!("conditions.{what}"),
                format!("at most {MAX_CONDITIONS}"),
            );
        }
    }
    if !c.sources.is_empty() {
        let known: HashSet<_> = tx.sources(org).await?.into_iter().map(|s| s.id).collect();
        for (i, s) in c.sources.iter().enumerate() {
            if !known.contains(s) {
                e.push(
                    format!("conditions.sources[{i}]"),
                    format!("no source {s} in this organization"),
                );
            }
        }
    }
    for (i, f) in c.fields.iter_mut().enumerate() {
        let at = format!("conditions.fields[{i}]");
        f.field = f.field.trim().to_owned();
        if f.field.is_empty() {
            e.push(format!("{at}.field"), "name the custom field to test");
        }
        match &f.test {
            FieldTest::Range {
                min: None,
                max: None,
            } => {
                e.push(format!("{at}.min"), "a range needs a min, a max or both");
            }
            FieldTest::Range {
                min: Some(lo),
                max: Some(hi),
            } if lo > hi => {
                e.push(
                    format!("{at}.max"),
                    format!("the max ({hi}) is below the min ({lo})"),
                );
            }
            FieldTest::OneOf { values } if values.is_empty() => {
                e.push(format!("{at}.values"), "list at least one value");
            }
            FieldTest::Contains { text } if text.trim().is_empty() => {
                e.push(format!("{at}.text"), "give the text to look for");
            }
            _ => {}
        }
    }
    for (i, t) in c.tags.iter_mut().enumerate() {
        match Tag::parse(t) {
            Ok(tag) => tag.as_str().clone_into(t),
            Err(why) => e.push(format!("conditions.tags[{i}]"), why),
        }
    }
    Ok(())
}

/// Checks and normalizes a group: a name, weights in range, agents of the organization
/// named individually, tags that are tags.
pub(super) async fn check_group(
    tx: &mut Tx,
    org: OrgId,
    input: GroupInput,
) -> Result<GroupInput, AppError> {
    let mut e = Errors::default();
    let name = check_name(&input.name, &mut e);
    let mut entries = input.entries;
    if entries.len() > MAX_ENTRIES {
        e.push("entries", format!("at most {MAX_ENTRIES} entries"));
    }
    let ids: Vec<UserId> = entries
        .iter()
        .filter_map(|x| match x.member {
            MemberRef::User { user_id } => Some(user_id),
            MemberRef::Tag { .. } => None,
        })
        .collect();
    let users = if ids.is_empty() {
        Vec::new()
    } else {
        let filter = UserFilter {
            ids: Some(ids),
            ..UserFilter::default()
        };
        tx.users(org, &filter).await?
    };
    for (i, x) in entries.iter_mut().enumerate() {
        if !(1..=MAX_WEIGHT).contains(&x.weight) {
            e.push(
                format!("entries[{i}].weight"),
                format!("between 1 and {MAX_WEIGHT}"),
            );
        }
        match &mut x.member {
            MemberRef::User { user_id } => match users.iter().find(|u| u.id == *user_id) {
                None => e.push(
                    format!("entries[{i}].user_id"),
                    format!("no user {user_id} in this organization"),
                ),
                Some(u) if !u.role.is_agent() => e.push(
                    format!("entries[{i}].user_id"),
                    format!("user {user_id} is an {}, not an agent", u.role.as_str()),
                ),
                Some(_) => {}
            },
            MemberRef::Tag { tag } => match Tag::parse(tag) {
                Ok(t) => t.as_str().clone_into(tag),
                Err(why) => e.push(format!("entries[{i}].tag"), why),
            },
        }
    }
    Ok(e.finish(|| GroupInput { name, entries })?)
}

/// Checks and normalizes a rule: a name, its conditions and its plan.
pub(super) async fn check_rule(
    tx: &mut Tx,
    org: OrgId,
    input: RuleSettings,
) -> Result<RuleSettings, AppError> {
    let mut e = Errors::default();
    let name = check_name(&input.name, &mut e);
    let mut conditions = input.conditions;
    check_conditions(tx, org, &mut conditions, &mut e).await?;
    check_plan(tx, org, &input.plan, &mut e).await?;
    Ok(e.finish(|| RuleSettings {
        name,
        enabled: input.enabled,
        conditions,
        plan: input.plan,
    })?)
}

/// Checks and normalizes a reassignment group: its plan (never into a pool, always with a
/// default assignee) and its teams.
pub(super) async fn check_reassignment(
    tx: &mut Tx,
    org: OrgId,
    input: ReassignmentInput,
) -> Result<ReassignmentInput, AppError> {
    let mut e = Errors::default();
    let name = check_name(&input.name, &mut e);
    let plan = input.plan;
    if matches!(plan.strategy, Strategy::DirectPool { .. }) {
        e.push(
            "plan.strategy",
            "a reassignment group hands leads to agents, not into a pool; move the lead to the \
             pool instead",
        );
    }
    if !matches!(plan.fallback, Fallback::Agent { .. }) {
        e.push(
            "plan.fallback",
            "a reassignment group needs a default assignee: the agent who gets a lead nobody \
             takes ({\"kind\": \"agent\", \"user_id\": …})",
        );
    }
    check_plan(tx, org, &plan, &mut e).await?;
    let mut teams = input.teams;
    if teams.len() > MAX_TEAMS {
        e.push("teams", format!("at most {MAX_TEAMS} teams"));
    } else if !teams.is_empty() {
        let known: HashSet<_> = tx.teams(org).await?.into_iter().map(|t| t.id).collect();
        for (i, t) in teams.iter().enumerate() {
            if !known.contains(t) {
                e.push(
                    format!("teams[{i}]"),
                    format!("no team {t} in this organization"),
                );
            }
        }
    }
    teams.sort_unstable();
    teams.dedup();
    Ok(e.finish(|| ReassignmentInput { name, plan, teams })?)
}
