//! The installation's administration from the command line: organizations, users and
//! lead sources.

use std::path::Path;

use anyhow::Context;
use leadpool_app::bootstrap::{DEFAULT_STATUSES, NewOrg, UserSpec};
use leadpool_domain::Role;

use crate::cli::{OrgCommand, SourceCommand, UserCommand};
use crate::run::{explain, open_app, password_or_generated};

/// `leadpool org create` and `leadpool org list`.
pub async fn org(file: Option<&Path>, command: OrgCommand) -> anyhow::Result<()> {
    match command {
        OrgCommand::Create {
            slug,
            name,
            admin_email,
            admin_name,
            admin_password,
            db,
        } => {
            let app = open_app(file, &db).await?;
            let (password, generated) = password_or_generated(admin_password)?;
            let spec = UserSpec {
                email: &admin_email,
                name: &admin_name,
                role: Role::Admin,
                password: Some(&password),
                teams: &[],
            };
            let new = NewOrg {
                slug: &slug,
                name: &name,
                statuses: DEFAULT_STATUSES,
            };
            let (org, admin, token) = app
                .create_org_with_admin(&new, &spec)
                .await
                .map_err(explain)?;
            println!(
                "created organization {} ({}) with statuses {} and the pool \"Lead Pool\"",
                org.slug,
                org.name,
                DEFAULT_STATUSES
                    .iter()
                    .map(|s| s.0)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            println!("admin:     {}", admin.email);
            if generated {
                println!("password:  {password}");
            }
            println!("API token: {token}");
            Ok(())
        }
        OrgCommand::List { db } => {
            let app = open_app(file, &db).await?;
            for o in app.list_orgs().await? {
                println!("{}\t{}\t{}", o.slug, o.name, o.created_at);
            }
            Ok(())
        }
    }
}

/// `leadpool user add`: prints the user's API token, and the password when generated.
pub async fn user(file: Option<&Path>, command: UserCommand) -> anyhow::Result<()> {
    let UserCommand::Add {
        org,
        email,
        name,
        role,
        teams,
        password,
        db,
    } = command;
    let app = open_app(file, &db).await?;
    let org = app.org_by_slug(&org).await.map_err(explain)?;
    let role = Role::parse(&role).with_context(|| {
        format!("--role `{role}` is not a role; use admin, isa, agent or all_leads_agent")
    })?;
    let (password, generated) = password_or_generated(password)?;
    let (user, token) = app
        .add_user(
            &org,
            &UserSpec {
                email: &email,
                name: &name,
                role,
                password: Some(&password),
                teams: &teams,
            },
        )
        .await
        .map_err(explain)?;
    println!(
        "added {} ({}) to {} as {}",
        user.name,
        user.email,
        org.slug,
        user.role.as_str()
    );
    if generated {
        println!("password:  {password}");
    }
    println!("API token: {token}");
    Ok(())
}

/// `leadpool source add`: prints the source's intake key, shown this once.
pub async fn source(file: Option<&Path>, command: SourceCommand) -> anyhow::Result<()> {
    let SourceCommand::Add { org, name, db } = command;
    let app = open_app(file, &db).await?;
    let org = app.org_by_slug(&org).await.map_err(explain)?;
    let (source, key) = app.add_source(&org, &name).await.map_err(explain)?;
    println!("added source {} to {}", source.name, org.slug);
    println!("intake key: {key}");
    Ok(())
}
