//! Setting up an installation: organizations with their defaults and first admin, and
//! users added from the command line. These run as the operator.

use leadpool_domain::pool::{Caps, DEFAULT_REJECT_COOLDOWN};
use leadpool_domain::validate::PersonName;
use leadpool_domain::{Email, Role, StatusCategory, TeamId};
use leadpool_store::Tx;
use leadpool_store::orgs::Organization;
use leadpool_store::pools::PoolSettings;
use leadpool_store::sources::Source;
use leadpool_store::teams::Team;
use leadpool_store::users::{NewUser, User};

use crate::secret;

use crate::{App, AppError};

/// The statuses a new organization starts with, the first being where new leads start.
pub const DEFAULT_STATUSES: &[(&str, StatusCategory)] = &[
    ("New", StatusCategory::New),
    ("Contacted", StatusCategory::Contacted),
    ("Working", StatusCategory::Working),
    ("Recycled", StatusCategory::New),
    ("Closed", StatusCategory::Closed),
];

/// The name of every organization's default pool.
pub const DEFAULT_POOL: &str = "Lead Pool";

/// The reasons a new organization offers agents who reject a lead (admins edit the list).
pub const DEFAULT_REJECT_REASONS: &[&str] = &[
    "Outside my area",
    "Wrong or missing contact details",
    "Duplicate of another lead",
    "No capacity to work it",
    "Other",
];

/// What is needed to create an organization.
#[derive(Debug, Clone)]
pub struct NewOrg<'a> {
    /// Short unique name (`acme-realty`).
    pub slug: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Its statuses, the first being the default.
    pub statuses: &'a [(&'a str, StatusCategory)],
}

/// A user to add from the command line or the operator API.
#[derive(Debug, Clone)]
pub struct UserSpec<'a> {
    /// Sign-in address.
    pub email: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Role.
    pub role: Role,
    /// Password (at least 10 characters), or `None` for an API-only user.
    pub password: Option<&'a str>,
    /// Teams, by name.
    pub teams: &'a [String],
}

/// Checks an organization slug: 2 to 40 lower-case letters, digits and dashes.
pub fn parse_slug(slug: &str) -> Result<&str, AppError> {
    let ok = (2..=40).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if ok {
        Ok(slug)
    } else {
        Err(AppError::invalid(
            "slug",
            format!("`{slug}` must be 2 to 40 of a-z, 0-9 and `-`, e.g. acme-realty"),
        ))
    }
}

/// A user's checked input and secrets, made before any transaction opens (hashing is slow).
struct PreparedUser {
    email: String,
    name: String,
    password_hash: Option<String>,
    token: String,
}

fn prepare_user(spec: &UserSpec<'_>) -> Result<PreparedUser, AppError> {
    let email = Email::parse(spec.email).map_err(|m| AppError::invalid("email", m))?;
    let name = PersonName::parse(spec.name).map_err(|m| AppError::invalid("name", m))?;
    let password_hash = spec.password.map(secret::hash_password).transpose()?;
    Ok(PreparedUser {
        email: email.as_str().to_owned(),
        name: name.as_str().to_owned(),
        password_hash,
        token: secret::new_token("lp_")?,
    })
}

impl App {
    /// Creates an organization with its statuses and its default pool.
    #[tracing::instrument(name = "create_org", skip_all, err(level = "debug"))]
    pub async fn create_org(&self, new: &NewOrg<'_>) -> Result<Organization, AppError> {
        let mut tx = self.store().write().await?;
        let org = self.insert_org(&mut tx, new).await?;
        tx.commit().await?;
        Ok(org)
    }

    /// Creates an organization and its first admin in one transaction, so a refused admin
    /// leaves no organization behind; returns the admin's API token too.
    /// Errors about the admin name their fields `admin_email`, `admin_name`, `admin_password`.
    #[tracing::instrument(name = "create_org_with_admin", skip_all, err(level = "debug"))]
    pub async fn create_org_with_admin(
        &self,
        new: &NewOrg<'_>,
        admin: &UserSpec<'_>,
    ) -> Result<(Organization, User, String), AppError> {
        let prepared = prepare_user(admin).map_err(|e| match e {
            AppError::Invalid(i) => AppError::Invalid(leadpool_domain::Invalid(
                i.0.into_iter()
                    .map(|f| {
                        leadpool_domain::FieldError::new(format!("admin_{}", f.field), f.message)
                    })
                    .collect(),
            )),
            other => other,
        })?;
        let mut tx = self.store().write().await?;
        let org = self.insert_org(&mut tx, new).await?;
        let (user, token) = self.insert_user(&mut tx, &org, admin, prepared).await?;
        tx.commit().await?;
        Ok((org, user, token))
    }

    async fn insert_org(&self, tx: &mut Tx, new: &NewOrg<'_>) -> Result<Organization, AppError> {
        let slug = parse_slug(new.slug.trim())?;
        let name = PersonName::parse(new.name).map_err(|m| AppError::invalid("name", m))?;
        if new.statuses.is_empty() {
            return Err(AppError::invalid(
                "statuses",
                "an organization needs at least one status",
            ));
        }
        let now = self.now();
        let org = tx.insert_org(slug, name.as_str(), now).await?;
        for (i, (status, category)) in new.statuses.iter().enumerate() {
            tx.insert_status(org.id, status, *category, i == 0, now)
                .await?;
        }
        let pool = PoolSettings {
            name: DEFAULT_POOL.to_owned(),
            team_id: None,
            blind: false,
            reserve: None,
            calendar_id: None,
            reject_cooldown: DEFAULT_REJECT_COOLDOWN,
        };
        tx.insert_pool(org.id, &pool, true, now).await?;
        for label in DEFAULT_REJECT_REASONS {
            tx.insert_reject_reason(org.id, label, now).await?;
        }
        Ok(org)
    }

    /// Every organization (operator only).
    #[tracing::instrument(name = "list_orgs", skip_all, err(level = "debug"))]
    pub async fn list_orgs(&self) -> Result<Vec<Organization>, AppError> {
        let mut tx = self.store().read().await?;
        let orgs = tx.orgs().await?;
        tx.commit().await?;
        Ok(orgs)
    }

    /// The organization with this slug.
    #[tracing::instrument(name = "org_by_slug", skip_all, err(level = "debug"))]
    pub async fn org_by_slug(&self, slug: &str) -> Result<Organization, AppError> {
        let mut tx = self.store().read().await?;
        let org = tx.org_by_slug(slug).await.map_err(|e| match e {
            leadpool_store::StoreError::NotFound => {
                AppError::invalid("org", format!("no organization has the slug `{slug}`"))
            }
            e => e.into(),
        })?;
        tx.commit().await?;
        Ok(org)
    }

    /// Adds a user to an organization as the operator, with an API token; returns the token.
    #[tracing::instrument(name = "add_user", skip_all, fields(org = %org.id), err(level = "debug"))]
    pub async fn add_user(
        &self,
        org: &Organization,
        spec: &UserSpec<'_>,
    ) -> Result<(User, String), AppError> {
        let prepared = prepare_user(spec)?;
        let mut tx = self.store().write().await?;
        let added = self.insert_user(&mut tx, org, spec, prepared).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn insert_user(
        &self,
        tx: &mut Tx,
        org: &Organization,
        spec: &UserSpec<'_>,
        p: PreparedUser,
    ) -> Result<(User, String), AppError> {
        let now = self.now();
        let mut teams: Vec<TeamId> = Vec::with_capacity(spec.teams.len());
        for t in spec.teams {
            let team = tx.team_by_name(org.id, t).await.map_err(|e| match e {
                leadpool_store::StoreError::NotFound => {
                    AppError::invalid("team", format!("`{}` has no team named `{t}`", org.slug))
                }
                e => e.into(),
            })?;
            teams.push(team.id);
        }
        let new = NewUser {
            org: org.id,
            email: p.email,
            name: p.name,
            role: spec.role,
            scope_team_id: None,
            password_hash: p.password_hash,
        };
        let mut user = tx.insert_user(&new, now).await?;
        tx.set_user_teams(org.id, user.id, &teams).await?;
        tx.insert_token(
            user.id,
            "created with the user",
            &secret::digest(&p.token),
            now,
        )
        .await?;
        user.teams = teams;
        Ok((user, p.token))
    }

    /// Adds a team (under `parent`, by name) as the operator.
    #[tracing::instrument(name = "add_team", skip_all, fields(org = %org.id), err(level = "debug"))]
    pub async fn add_team(
        &self,
        org: &Organization,
        name: &str,
        parent: Option<&str>,
    ) -> Result<Team, AppError> {
        let name = PersonName::parse(name).map_err(|m| AppError::invalid("name", m))?;
        let mut tx = self.store().write().await?;
        let parent = match parent {
            Some(p) => Some(
                tx.team_by_name(org.id, p)
                    .await
                    .map_err(AppError::from_store("parent team"))?
                    .id,
            ),
            None => None,
        };
        let team = tx
            .insert_team(org.id, parent, name.as_str(), self.now())
            .await?;
        tx.commit().await?;
        Ok(team)
    }

    /// Sets a user's tags, active flag and own cap on open new leads as the operator.
    #[tracing::instrument(name = "set_user_profile", skip_all, fields(org = %org.id), err(level = "debug"))]
    pub async fn set_user_profile(
        &self,
        org: &Organization,
        user: &User,
        tags: &[String],
        active: bool,
        max_new_leads: Option<u32>,
    ) -> Result<(), AppError> {
        if let Some((field, message)) = Caps::problem(max_new_leads, 0) {
            return Err(AppError::invalid(field, message));
        }
        let tags: Vec<String> = leadpool_domain::validate::parse_tags(tags)
            .map_err(|m| AppError::invalid("tags", m))?
            .into_iter()
            .map(|t| t.as_str().to_owned())
            .collect();
        let mut tx = self.store().write().await?;
        let mut u = tx
            .user(org.id, user.id)
            .await
            .map_err(AppError::from_store("user"))?;
        u.active = active;
        u.max_new_leads = max_new_leads;
        tx.update_user(&u).await?;
        tx.set_user_tags(org.id, u.id, &tags).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a source as the operator; returns it with its intake key, shown this once.
    #[tracing::instrument(name = "add_source", skip_all, fields(org = %org.id), err(level = "debug"))]
    pub async fn add_source(
        &self,
        org: &Organization,
        name: &str,
    ) -> Result<(Source, String), AppError> {
        self.insert_source(org.id, name, None).await
    }

    /// Issues a fresh API token for a user as the operator (the secret is shown once).
    #[tracing::instrument(name = "issue_token", skip_all, err(level = "debug"))]
    pub async fn issue_token(&self, user: &User, name: &str) -> Result<String, AppError> {
        let token = secret::new_token("lp_")?;
        let mut tx = self.store().write().await?;
        tx.insert_token(user.id, name, &secret::digest(&token), self.now())
            .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The user of `org` with this email.
    #[tracing::instrument(name = "user_by_email", skip_all, fields(org = %org.id), err(level = "debug"))]
    pub async fn user_by_email(&self, org: &Organization, email: &str) -> Result<User, AppError> {
        let mut tx = self.store().read().await?;
        let users = tx
            .users(org.id, &leadpool_store::users::UserFilter::default())
            .await?;
        tx.commit().await?;
        let email = email.trim().to_lowercase();
        users.into_iter().find(|u| u.email == email).ok_or_else(|| {
            AppError::invalid("email", format!("`{email}` is not a user of {}", org.slug))
        })
    }

    /// The source of `org` with this name (any case), as the operator names it on the
    /// command line; the refusal lists the sources there are.
    #[tracing::instrument(name = "source_by_name", skip_all, fields(org = %org.id), err(level = "debug"))]
    pub async fn source_by_name(&self, org: &Organization, name: &str) -> Result<Source, AppError> {
        let mut tx = self.store().read().await?;
        let mut sources = tx.sources(org.id).await?;
        tx.commit().await?;
        if let Some(i) = sources
            .iter()
            .position(|s| s.name.eq_ignore_ascii_case(name))
        {
            return Ok(sources.swap_remove(i));
        }
        let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
        let known = if names.is_empty() {
            "(none yet)".to_owned()
        } else {
            names.join(", ")
        };
        Err(AppError::invalid(
            "source",
            format!(
                "`{name}` is not a source of {}; its sources are: {known}",
                org.slug
            ),
        ))
    }
}
