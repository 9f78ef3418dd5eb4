//! Settings → People: the users an admin manages (role, teams, scope, active, paused and
//! why, pool access, caps, tags, time zone, a new password), their API tokens and the teams
//! as a tree. A team admin sees and changes only what is inside their scope; the app decides
//! that, the page shows what the app lists.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use leadpool_app::directory::{NewMember, UserChanges};
use leadpool_app::models::{Team, User};
use leadpool_app::{AppError, Member};
use leadpool_domain::{Permission, Role, TeamId, UserId};
use serde::Deserialize;

use super::{SectionPage, Unread, count, path_id, picked, require, said, show};
use crate::AppState;
use crate::ui::directory::role_label;
use crate::ui::error::UiError;
use crate::ui::flash::{Flash, Said};
use crate::ui::render_status;
use crate::ui::session::{Posted, Signed};
use crate::ui::tokens::{self, RevokeForm, TokenForm, Tokens};
use crate::ui::view::{Choice, Chrome};

/// The permission the section needs; the app checks each change against the scope.
const SETTING: Permission<'static> = Permission::Admin("manage people and teams");

/// Whether `m` may open this section.
pub fn may_open(m: &Member) -> bool {
    m.may(SETTING)
}

/// A user as their row and edit form show them.
#[derive(Debug)]
pub struct UserView {
    /// Their id (0 for the add form).
    pub id: i64,
    /// Their name.
    pub name: String,
    /// Their email.
    pub email: String,
    /// Their role in words.
    pub role_label: &'static str,
    /// The roles to choose from, theirs selected.
    pub roles: Vec<Choice>,
    /// Their teams in words.
    pub team_names: String,
    /// Every team, theirs ticked.
    pub teams: Vec<Choice>,
    /// The scope of an admin or ISA ("" first: the whole organization).
    pub scopes: Vec<Choice>,
    /// Active (may sign in, gets leads).
    pub active: bool,
    /// Paused: routing passes them over.
    pub paused: bool,
    /// Why they are paused ("" when they gave no reason or are not paused).
    pub pause_reason: String,
    /// Their time zone's IANA name ("" for UTC).
    pub time_zone: String,
    /// May see and claim pool leads.
    pub pool_access: bool,
    /// Their own cap on new leads ("" for the organization's).
    pub max_new: String,
    /// Their own minimum ("" for the organization's).
    pub min_new: String,
    /// Their tags, comma-separated.
    pub tags: String,
}

/// A team in the tree.
#[derive(Debug)]
pub struct TeamView {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// How deep it sits (0: top level), for indenting.
    pub depth: usize,
    /// The teams it may move under, its parent selected ("" first: top level).
    pub parents: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "settings_people.html", blocks = ["settings"])]
struct PeoplePage {
    chrome: Chrome,
    flash: Option<Flash>,
    users: Vec<UserView>,
    new_user: UserView,
    teams: Vec<TeamView>,
    new_team_parents: Vec<Choice>,
    tokens: Tokens,
}

/// The teams in tree order (each parent before its subteams), with their depth.
fn tree(teams: &[Team]) -> Vec<(&Team, usize)> {
    fn walk<'t>(
        all: &'t [Team],
        parent: Option<TeamId>,
        depth: usize,
        out: &mut Vec<(&'t Team, usize)>,
    ) {
        let mut here: Vec<&Team> = all.iter().filter(|t| t.parent_id == parent).collect();
        here.sort_by(|a, b| a.name.cmp(&b.name));
        for t in here {
            out.push((t, depth));
            walk(all, Some(t.id), depth + 1, out);
        }
    }
    let mut out = Vec::with_capacity(teams.len());
    walk(teams, None, 0, &mut out);
    // A team whose parent the viewer may not list still shows, at the top level.
    for t in teams {
        if !out.iter().any(|(x, _)| x.id == t.id) {
            out.push((t, 0));
        }
    }
    out
}

fn user_view(u: Option<&User>, teams: &[Team]) -> UserView {
    let role = u.map_or(Role::Agent, |u| u.role);
    let mine = |t: TeamId| u.is_some_and(|u| u.teams.contains(&t));
    let scope = u.and_then(|u| u.scope_team_id);
    UserView {
        id: u.map_or(0, |u| u.id.get()),
        name: u.map(|u| u.name.clone()).unwrap_or_default(),
        email: u.map(|u| u.email.clone()).unwrap_or_default(),
        role_label: role_label(role),
        roles: Role::ALL
            .into_iter()
            .map(|r| Choice::new(r.as_str(), role_label(r), r == role))
            .collect(),
        team_names: teams
            .iter()
            .filter(|t| mine(t.id))
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        teams: tree(teams)
            .into_iter()
            .map(|(t, depth)| {
                Choice::new(
                    t.id,
                    format!("{}{}", "— ".repeat(depth), t.name),
                    mine(t.id),
                )
            })
            .collect(),
        scopes: std::iter::once(Choice::new("", "The whole organization", scope.is_none()))
            .chain(
                teams
                    .iter()
                    .map(|t| Choice::new(t.id, format!("Team {}", t.name), Some(t.id) == scope)),
            )
            .collect(),
        active: u.is_none_or(|u| u.active),
        paused: u.is_some_and(|u| u.paused),
        pause_reason: u.and_then(|u| u.pause_reason.clone()).unwrap_or_default(),
        time_zone: u.and_then(|u| u.time_zone.clone()).unwrap_or_default(),
        pool_access: u.is_none_or(|u| u.pool_access),
        max_new: u
            .and_then(|u| u.max_new_leads)
            .map(|n| n.to_string())
            .unwrap_or_default(),
        min_new: u
            .and_then(|u| u.min_new_leads)
            .map(|n| n.to_string())
            .unwrap_or_default(),
        tags: u.map(|u| u.tags.join(", ")).unwrap_or_default(),
    }
}

impl SectionPage for PeoplePage {
    async fn load(s: &AppState, signed: &Signed, flash: Option<Flash>) -> Result<Self, UiError> {
        let m = &signed.member;
        require(m, SETTING)?;
        let mut users = s.app.list_users(m, None, None).await?;
        users.sort_by_key(|u| u.name.to_lowercase());
        let teams = s.app.list_teams(m).await?;
        let parents = |own: Option<&Team>| {
            std::iter::once(Choice::new(
                "",
                "Top level",
                own.is_none_or(|t| t.parent_id.is_none()),
            ))
            .chain(
                teams
                    .iter()
                    .filter(|p| own.is_none_or(|t| t.id != p.id))
                    .map(|p| {
                        Choice::new(p.id, &p.name, own.and_then(|t| t.parent_id) == Some(p.id))
                    }),
            )
            .collect::<Vec<_>>()
        };
        Ok(PeoplePage {
            chrome: Chrome::signed_in("People", m, &signed.csrf),
            flash,
            users: users.iter().map(|u| user_view(Some(u), &teams)).collect(),
            new_user: user_view(None, &teams),
            teams: tree(&teams)
                .into_iter()
                .map(|(t, depth)| TeamView {
                    id: t.id.get(),
                    name: t.name.clone(),
                    depth,
                    parents: parents(Some(t)),
                })
                .collect(),
            new_team_parents: parents(None),
            tokens: Tokens::managed(s, m).await?,
        })
    }

    fn render(&self, status: StatusCode) -> Result<Response, UiError> {
        render_status(status, self, &self.as_settings())
    }
}

/// `GET /settings/people`: the section.
pub async fn page(State(s): State<AppState>, signed: Signed) -> Result<Response, UiError> {
    show::<PeoplePage>(&s, &signed, None).await
}

/// A user's form as posted (the add form has `email` and no `active`/`paused`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UserForm {
    email: String,
    name: String,
    role: String,
    team: Vec<String>,
    scope: String,
    active: String,
    paused: String,
    pause_reason: String,
    time_zone: String,
    pool_access: String,
    max_new: String,
    min_new: String,
    tags: String,
    password: String,
}

impl UserForm {
    fn role(&self) -> Result<Role, Unread> {
        Role::parse(&self.role).ok_or_else(|| "Role: pick one from the list.".to_owned())
    }

    fn teams(&self) -> Result<Vec<TeamId>, Unread> {
        let mut out = Vec::with_capacity(self.team.len());
        for t in &self.team {
            out.extend(picked("Teams", t, TeamId::new)?);
        }
        Ok(out)
    }

    fn tags(&self) -> Vec<String> {
        self.tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn password(&self) -> Option<String> {
        Some(self.password.clone()).filter(|p| !p.is_empty())
    }

    fn new_member(&self) -> Result<NewMember, Unread> {
        Ok(NewMember {
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role()?,
            password: self.password(),
            teams: self.teams()?,
            tags: self.tags(),
            scope_team_id: picked("Scope", &self.scope, TeamId::new)?,
        })
    }

    fn changes(&self) -> Result<UserChanges, Unread> {
        Ok(UserChanges {
            name: Some(self.name.clone()),
            role: Some(self.role()?),
            active: Some(self.active == "yes"),
            teams: Some(self.teams()?),
            tags: Some(self.tags()),
            scope_team_id: Some(picked("Scope", &self.scope, TeamId::new)?),
            password: self.password(),
            pool_access: Some(self.pool_access == "yes"),
            max_new_leads: Some(count("Most new leads", &self.max_new)?),
            min_new_leads: Some(count("Fewest new leads", &self.min_new)?),
            time_zone: Some(self.time_zone.clone()),
        })
    }
}

/// `POST /settings/people`: adds a user.
pub async fn create_user(
    State(s): State<AppState>,
    Posted { signed, form }: Posted<UserForm>,
) -> Result<Response, UiError> {
    let (app, m) = (&s.app, &signed.member);
    let said = said(form.new_member(), |new| async move {
        app.create_user(m, new)
            .await
            .map(|u| format!("{} added as {}.", u.name, role_label(u.role)))
    })
    .await?;
    show::<PeoplePage>(&s, &signed, Some(said)).await
}

/// `POST /settings/people/{id}`: changes a user, and pauses or resumes them.
pub async fn update_user(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<UserForm>,
) -> Result<Response, UiError> {
    let id = path_id(&id, UserId::new);
    let (app, m) = (&s.app, &signed.member);
    let paused = form.paused == "yes";
    let reason = Some(form.pause_reason.clone()).filter(|r| paused && !r.trim().is_empty());
    let said = said(form.changes(), |changes| async move {
        let user = app.update_user(m, id, changes).await?;
        let user = if (user.paused, user.pause_reason.as_deref()) == (paused, reason.as_deref()) {
            user
        } else {
            app.set_paused(m, Some(id), paused, reason).await?
        };
        Ok::<_, AppError>(format!("{} saved.", user.name))
    })
    .await?;
    show::<PeoplePage>(&s, &signed, Some(said)).await
}

/// A team's form as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TeamForm {
    name: String,
    parent: String,
}

/// `POST /settings/teams`: adds a team.
pub async fn create_team(
    State(s): State<AppState>,
    Posted { signed, form }: Posted<TeamForm>,
) -> Result<Response, UiError> {
    let (app, m) = (&s.app, &signed.member);
    let name = form.name;
    let said = said(
        picked("Under", &form.parent, TeamId::new),
        |parent| async move {
            app.create_team(m, &name, parent)
                .await
                .map(|t| format!("Team {} added.", t.name))
        },
    )
    .await?;
    show::<PeoplePage>(&s, &signed, Some(said)).await
}

/// `POST /settings/teams/{id}`: renames or moves a team.
pub async fn update_team(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<TeamForm>,
) -> Result<Response, UiError> {
    let id = path_id(&id, TeamId::new);
    let (app, m) = (&s.app, &signed.member);
    let name = form.name;
    let said = said(
        picked("Under", &form.parent, TeamId::new),
        |parent| async move {
            app.update_team(m, id, Some(&name), Some(parent))
                .await
                .map(|t| format!("Team {} saved.", t.name))
        },
    )
    .await?;
    show::<PeoplePage>(&s, &signed, Some(said)).await
}

/// `POST /settings/tokens`: makes an API token for someone the admin manages, shown once.
pub async fn make_token(
    State(s): State<AppState>,
    Posted { signed, form }: Posted<TokenForm>,
) -> Result<Response, UiError> {
    let m = &signed.member;
    require(m, SETTING)?;
    let (said, fresh) = match picked("For", &form.user, UserId::new) {
        Ok(Some(holder)) => tokens::make(&s, m, holder, &form.name).await?,
        Ok(None) => (
            Said::refused(StatusCode::UNPROCESSABLE_ENTITY, "For: pick a person."),
            None,
        ),
        Err(text) => (Said::refused(StatusCode::UNPROCESSABLE_ENTITY, text), None),
    };
    let mut page = PeoplePage::load(&s, &signed, Some(said.flash)).await?;
    page.tokens.fresh = fresh;
    SectionPage::render(&page, said.status)
}

/// `POST /settings/tokens/{id}/revoke`: revokes an API token of someone the admin manages.
pub async fn revoke_token(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<RevokeForm>,
) -> Result<Response, UiError> {
    let m = &signed.member;
    require(m, SETTING)?;
    let holder = path_id(&form.user, UserId::new);
    let said = tokens::revoke(&s, m, holder, id.parse().unwrap_or(-1)).await?;
    show::<PeoplePage>(&s, &signed, Some(said)).await
}
