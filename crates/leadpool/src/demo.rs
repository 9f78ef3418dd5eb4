//! Stores the demo organization ([`crate::demo_data`]) through the same use cases a real
//! installation uses, so the demo exercises the real code paths.

use std::collections::HashMap;

use anyhow::Context;
use leadpool_app::App;
use leadpool_app::import::PreparedLead;
use leadpool_domain::lead::{LeadDraft, LeadInput};
use leadpool_domain::{Owner, Role, StatusCategory, Timestamp};
use leadpool_store::orgs::Organization;

use crate::demo_data::{self, DEMO_PASSWORD, DemoOwner, DemoPlan};

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
        let (user, _) = app.add_user(&org, &spec).await?;
        app.set_user_profile(&org, &user, &u.tags, u.active).await?;
        agents.insert(u.email.clone(), user);
    }
    let mut sources = HashMap::new();
    let mut keys = Vec::new();
    for s in &plan.sources {
        let (source, key) = app.add_source(&org, &s.name).await?;
        keys.push((s.name.clone(), key));
        sources.insert(s.name.clone(), source.id);
    }
    let mut tx = app.store().read().await?;
    let status_ids: HashMap<String, _> = tx
        .statuses(org.id)
        .await?
        .into_iter()
        .map(|s| (s.name, s.id))
        .collect();
    let teams: HashMap<String, _> = tx
        .teams(org.id)
        .await?
        .into_iter()
        .map(|t| (t.name, t.id))
        .collect();
    let pool = tx
        .pools(org.id)
        .await?
        .into_iter()
        .find(|p| p.name == plan.pool_name || p.is_default)
        .context("the demo has no pool")?;
    tx.commit().await?;
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
    app.insert_prepared(&org, rows, "demo data", &|_| {})
        .await?;
    Ok((org, keys))
}
