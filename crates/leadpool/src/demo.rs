//! Stores the demo organization ([`crate::demo_data`]) through the same use cases a real
//! installation uses, so the demo exercises the real code paths: distribution is set up
//! by the demo admin, and the arriving leads go through the intake and the rules, so their
//! offers, response-window timers and timeline entries are the real ones.

use std::collections::HashMap;

use anyhow::{Context, bail};
use leadpool_app::import::{PreparedLead, Unowned};
use leadpool_app::routing_settings::{GroupInput, ReassignmentInput};
use leadpool_app::{App, Member, Principal};
use leadpool_domain::lead::{LeadDraft, LeadInput};
use leadpool_domain::routing::{Conditions, Fallback, GroupEntry, MemberRef, Plan};
use leadpool_domain::{Owner, PoolId, Role, SourceId, StatusCategory, Timestamp};
use leadpool_store::orgs::Organization;
use leadpool_store::routing::RuleSettings;
use leadpool_store::users::User;

use crate::demo_data::{
    self, DEMO_PASSWORD, DemoDistribution, DemoFallback, DemoMember, DemoOwner, DemoPlan, DemoRoute,
};

/// Why the imported leads without an owner wait in the manual queue, as the queue shows it.
const UNOWNED_IMPORT: &str = "imported without an owner: waiting for manual assignment";

/// What the banner prints about a freshly started demo.
#[derive(Debug)]
pub struct DemoLogins {
    /// The demo organization.
    pub org: Organization,
    /// (role, email) of the users worth trying.
    pub logins: Vec<(&'static str, String)>,
    /// A new API token for the demo admin.
    pub admin_token: String,
    /// Intake keys by source name, when the demo was loaded just now (keys are shown once).
    pub intake_keys: Vec<(String, String)>,
}

/// Loads the demo organization unless it is already there; either way issues a fresh admin
/// token to print.
pub async fn ensure(app: &App) -> anyhow::Result<DemoLogins> {
    let plan = demo_data::plan(20_261_125, app.now().as_millis());
    let existing = app.org_by_slug(&plan.org.slug).await.ok();
    let (org, intake_keys) = match existing {
        Some(org) => (org, Vec::new()),
        None => load(app, &plan).await?,
    };
    let admin_email = plan
        .users
        .iter()
        .find(|u| u.role == "admin")
        .map(|u| u.email.clone())
        .context("the demo plan has no admin")?;
    let admin = app.user_by_email(&org, &admin_email).await?;
    let admin_token = app.issue_token(&admin, "printed by serve --demo").await?;
    let mut logins = Vec::new();
    for role in ["admin", "isa", "agent", "all_leads_agent"] {
        if let Some(u) = plan.users.iter().find(|u| u.role == role && u.active) {
            logins.push((u.role, u.email.clone()));
        }
    }
    Ok(DemoLogins {
        org,
        logins,
        admin_token,
        intake_keys,
    })
}

async fn load(app: &App, plan: &DemoPlan) -> anyhow::Result<(Organization, Vec<(String, String)>)> {
    let statuses: Vec<(&str, StatusCategory)> = plan
        .statuses
        .iter()
        .map(|s| {
            StatusCategory::parse(s.category)
                .map(|c| (s.name.as_str(), c))
                .context("demo status category")
        })
        .collect::<anyhow::Result<_>>()?;
    let org = app
        .create_org(&leadpool_app::bootstrap::NewOrg {
            slug: &plan.org.slug,
            name: &plan.org.name,
            statuses: &statuses,
        })
        .await?;
    for t in &plan.teams {
        app.add_team(&org, &t.name, t.parent.as_deref()).await?;
    }
    let mut agents = HashMap::new();
    let mut admin_token = None;
    for u in &plan.users {
        let role = Role::parse(u.role).context("demo role")?;
        let teams: Vec<String> = u.team.iter().cloned().collect();
        let spec = leadpool_app::bootstrap::UserSpec {
            email: &u.email,
            name: &u.name,
            role,
            password: Some(DEMO_PASSWORD),
            teams: &teams,
        };
        let (user, token) = app.add_user(&org, &spec).await?;
        if role == Role::Admin {
            admin_token = Some(token);
        }
        app.set_user_profile(&org, &user, &u.tags, u.active, u.max_new_leads)
            .await?;
        agents.insert(u.email.clone(), user);
    }
    let mut sources = HashMap::new();
    let mut keys = Vec::new();
    for s in &plan.sources {
        let (source, key) = app.add_source(&org, &s.name).await?;
        keys.push((s.name.clone(), key));
        sources.insert(s.name.clone(), source.id);
    }
    let admin = member(
        app,
        admin_token
            .as_deref()
            .context("the demo plan has no admin")?,
    )
    .await?;
    let status_ids: HashMap<String, _> = app
        .list_statuses(&admin)
        .await?
        .into_iter()
        .map(|s| (s.name, s.id))
        .collect();
    let teams: HashMap<String, _> = app
        .list_teams(&admin)
        .await?
        .into_iter()
        .map(|t| (t.name, t.id))
        .collect();
    let pool = app
        .list_pools(&admin)
        .await?
        .into_iter()
        .find(|p| p.name == plan.pool_name || p.is_default)
        .context("the demo has no pool")?;
    // Before the import, so the leads the rules sent to the queue are the first it lists.
    distribute(
        app,
        &admin,
        &plan.distribution,
        &agents,
        &sources,
        &keys,
        pool.id,
    )
    .await?;
    let mut rows = Vec::with_capacity(plan.leads.len());
    for (i, l) in plan.leads.iter().enumerate() {
        let input = LeadInput {
            name: Some(l.name.clone()),
            emails: l.emails.clone(),
            phones: l.phones.clone(),
            tags: l.tags.clone(),
            fields: l.fields.clone(),
            external_id: l.external_id.clone(),
        };
        let draft = LeadDraft::parse(input).with_context(|| format!("demo lead {i}"))?;
        let owner = match &l.owner {
            DemoOwner::Agent(email) => Owner::Agent {
                user_id: agents.get(email).context("demo owner")?.id,
            },
            DemoOwner::Pool => Owner::Pool { pool_id: pool.id },
            DemoOwner::Queue => Owner::Queue,
        };
        rows.push(PreparedLead {
            line: u64::try_from(i).unwrap_or(0) + 1,
            source_id: *sources.get(&l.source).context("demo source")?,
            draft,
            status: status_ids.get(&l.status).copied(),
            owner,
            team: l.team.as_ref().and_then(|t| teams.get(t).copied()),
            created_at: Some(Timestamp::from_millis(l.created_at_ms)),
        });
    }
    let (unowned, owned): (Vec<_>, Vec<_>) =
        rows.into_iter().partition(|r| r.owner == Owner::Queue);
    app.insert_prepared(&org, owned, Unowned::Route, "demo data", &|_| {})
        .await?;
    app.insert_prepared(&org, unowned, Unowned::Queue, UNOWNED_IMPORT, &|_| {})
        .await?;
    Ok((org, keys))
}

/// The demo admin as the use cases know them, from the token made with their account.
async fn member(app: &App, token: &str) -> anyhow::Result<Member> {
    match app.authenticate_token(token).await? {
        Principal::Member(m) => Ok(*m),
        Principal::Operator => bail!("the demo admin's token is the operator's"),
    }
}

/// Sets up the groups, rules and reassignment group as the admin would, then sends the
/// arriving leads in through their sources' intake keys.
async fn distribute(
    app: &App,
    admin: &Member,
    d: &DemoDistribution,
    users: &HashMap<String, User>,
    sources: &HashMap<String, SourceId>,
    keys: &[(String, String)],
    pool: PoolId,
) -> anyhow::Result<()> {
    let user = |email: &str| {
        users
            .get(email)
            .map(|u| u.id)
            .with_context(|| format!("{email} is no demo user"))
    };
    let source = |name: &str| {
        sources
            .get(name)
            .copied()
            .with_context(|| format!("{name} is no demo source"))
    };
    let mut groups = HashMap::new();
    for g in &d.groups {
        let entries = g
            .members
            .iter()
            .map(|m| {
                let member = match m {
                    DemoMember::Agent(email) => MemberRef::User {
                        user_id: user(email)?,
                    },
                    DemoMember::Tag(tag) => MemberRef::Tag { tag: tag.clone() },
                };
                Ok(GroupEntry { member, weight: 1 })
            })
            .collect::<anyhow::Result<_>>()?;
        let stored = app
            .create_group(
                admin,
                GroupInput {
                    name: g.name.clone(),
                    entries,
                },
            )
            .await?;
        groups.insert(g.name.as_str(), stored.id);
    }
    let plan = |r: &DemoRoute| -> anyhow::Result<Plan> {
        Ok(Plan {
            strategy: r.strategy,
            group_id: Some(
                *groups
                    .get(r.group.as_str())
                    .with_context(|| format!("{} is no demo group", r.group))?,
            ),
            window_secs: Some(r.window_secs),
            calendar_id: None,
            ignore_hours: false,
            passes: 1,
            fallback: match &r.fallback {
                DemoFallback::DefaultPool => Fallback::Pool { pool_id: pool },
                DemoFallback::Queue => Fallback::Queue,
                DemoFallback::Agent(email) => Fallback::Agent {
                    user_id: user(email)?,
                },
            },
        })
    };
    for r in &d.rules {
        let settings = RuleSettings {
            name: r.name.clone(),
            enabled: r.enabled,
            conditions: Conditions {
                sources: vec![source(&r.source)?],
                ..Conditions::default()
            },
            plan: plan(&r.route)?,
        };
        app.create_rule(admin, settings).await?;
    }
    let reassignment = app
        .create_reassignment_group(
            admin,
            ReassignmentInput {
                name: d.reassignment.name.clone(),
                plan: plan(&d.reassignment.route)?,
                teams: Vec::new(),
            },
        )
        .await?;
    for a in &d.arrivals {
        let key = keys
            .iter()
            .find(|(s, _)| *s == a.source)
            .map(|(_, k)| k.as_str())
            .with_context(|| format!("no intake key for {}", a.source))?;
        let input = LeadInput {
            name: Some(a.name.clone()),
            emails: a.emails.clone(),
            phones: a.phones.clone(),
            tags: a.tags.clone(),
            fields: a.fields.clone(),
            external_id: a.external_id.clone(),
        };
        let lead = app.intake(key, input).await?.lead;
        if a.reassign {
            app.trigger_reassignment(admin, lead.id, reassignment.id)
                .await?;
        }
    }
    Ok(())
}
