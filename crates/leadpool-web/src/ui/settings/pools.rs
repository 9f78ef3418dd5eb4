//! Settings → Pools and caps: the organization's pools (team, blind mode, reserve time,
//! the calendar counting it, rejection cooldown), its caps on new leads and rejection pool,
//! which calls make the caller the owner (seed 002), and the reasons agents give leads back.

use std::time::Duration;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use leadpool_app::Member;
use leadpool_app::models::OrgPoolSettings;
use leadpool_app::pool::{PoolChanges, PoolInput};
use leadpool_domain::pool::{CallOwnership, Caps, DEFAULT_REJECT_COOLDOWN};
use leadpool_domain::{Permission, PoolId, TeamId};
use serde::Deserialize;

use super::{
    DurationView, SectionPage, Unread, count, duration, path_id, picked, require, said, show, words,
};
use crate::AppState;
use crate::ui::error::UiError;
use crate::ui::flash::{Flash, Said};
use crate::ui::offers::NoFields;
use crate::ui::render_status;
use crate::ui::session::{Posted, Signed};
use crate::ui::view::{Choice, Chrome};

/// The permission every form here needs, as the app words its refusal.
const SETTING: Permission<'static> = Permission::OrgSetting("pools and their settings");

/// Whether `m` may open this section.
pub fn may_open(m: &Member) -> bool {
    m.may(SETTING)
}

/// A pool as its row and its edit form show it.
#[derive(Debug)]
pub struct PoolView {
    /// Its id (0 for the add form).
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The organization's "Lead Pool".
    pub is_default: bool,
    /// The team it is kept to, in words.
    pub team_name: String,
    /// The teams to choose from ("" first: every agent with pool access).
    pub teams: Vec<Choice>,
    /// Phone and email hidden until claimed.
    pub blind: bool,
    /// The reserve time after a claim.
    pub reserve: DurationView,
    /// The reserve time in words.
    pub reserve_words: String,
    /// How long a rejecter waits to claim the lead back.
    pub cooldown: DurationView,
    /// The cooldown in words.
    pub cooldown_words: String,
    /// The calendars to count the reserve time in ("" first: the organization's default).
    pub calendars: Vec<Choice>,
}

/// The organization-wide settings as their form shows them.
#[derive(Debug)]
pub struct CapsView {
    /// The cap on new leads ("" for none).
    pub max_new: String,
    /// The minimum routing tops up first.
    pub min_new: String,
    /// Where rejected leads go ("" first: the default pool).
    pub reject_pools: Vec<Choice>,
    /// Calling a lead makes the caller the owner.
    pub outbound: bool,
    /// Answering a lead's call does.
    pub inbound: bool,
    /// Receiving a transferred call does.
    pub transfer: bool,
}

#[derive(Template)]
#[template(path = "settings_pools.html", blocks = ["settings"])]
struct PoolsPage {
    chrome: Chrome,
    flash: Option<Flash>,
    pools: Vec<PoolView>,
    new_pool: PoolView,
    caps: CapsView,
    reasons: Vec<Choice>,
}

impl SectionPage for PoolsPage {
    async fn load(s: &AppState, signed: &Signed, flash: Option<Flash>) -> Result<Self, UiError> {
        let m = &signed.member;
        require(m, SETTING)?;
        let pools = s.app.list_pools(m).await?;
        let teams = s.app.list_teams(m).await?;
        let calendars = s.app.list_calendars(m).await?;
        let settings = s.app.pool_settings(m).await?;
        let reasons = s.app.reject_reasons(m).await?;
        let team_choices = |chosen: Option<TeamId>| {
            std::iter::once(Choice::new(
                "",
                "Every agent with pool access",
                chosen.is_none(),
            ))
            .chain(
                teams
                    .iter()
                    .map(|t| Choice::new(t.id, &t.name, Some(t.id) == chosen)),
            )
            .collect::<Vec<_>>()
        };
        let calendar_choices = |chosen: Option<i64>| {
            std::iter::once(Choice::new(
                "",
                "The organization's default",
                chosen.is_none(),
            ))
            .chain(
                calendars
                    .iter()
                    .map(|c| Choice::new(c.id, &c.name, Some(c.id) == chosen)),
            )
            .collect::<Vec<_>>()
        };
        let view = |id: i64,
                    name: String,
                    is_default: bool,
                    team: Option<TeamId>,
                    blind: bool,
                    reserve: Option<Duration>,
                    cooldown: Duration,
                    calendar: Option<i64>| PoolView {
            id,
            name,
            is_default,
            team_name: team
                .and_then(|t| teams.iter().find(|x| x.id == t))
                .map_or_else(
                    || "Every agent with pool access".to_owned(),
                    |t| format!("Team {}", t.name),
                ),
            teams: team_choices(team),
            blind,
            reserve: DurationView::of(reserve),
            reserve_words: words(reserve),
            cooldown: DurationView::of(Some(cooldown)),
            cooldown_words: words(Some(cooldown).filter(|c| !c.is_zero())),
            calendars: calendar_choices(calendar),
        };
        Ok(PoolsPage {
            chrome: Chrome::signed_in("Pools and caps", m, &signed.csrf),
            flash,
            new_pool: view(
                0,
                String::new(),
                false,
                None,
                false,
                None,
                DEFAULT_REJECT_COOLDOWN,
                None,
            ),
            pools: pools
                .iter()
                .map(|p| {
                    view(
                        p.id.get(),
                        p.name.clone(),
                        p.is_default,
                        p.team_id,
                        p.blind,
                        p.reserve,
                        p.reject_cooldown,
                        p.calendar_id,
                    )
                })
                .collect(),
            caps: CapsView {
                max_new: settings
                    .caps
                    .max_new
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
                min_new: settings.caps.min_new.to_string(),
                reject_pools: std::iter::once(Choice::new(
                    "",
                    "The default pool",
                    settings.reject_pool.is_none(),
                ))
                .chain(
                    pools
                        .iter()
                        .map(|p| Choice::new(p.id, &p.name, Some(p.id) == settings.reject_pool)),
                )
                .collect(),
                outbound: settings.calls.outbound,
                inbound: settings.calls.inbound,
                transfer: settings.calls.transfer,
            },
            reasons: reasons
                .into_iter()
                .map(|r| Choice::new(r.id, r.label, false))
                .collect(),
        })
    }

    fn render(&self, status: StatusCode) -> Result<Response, UiError> {
        render_status(status, self, &self.as_settings())
    }
}

/// `GET /settings/pools`: the section.
pub async fn page(State(s): State<AppState>, signed: Signed) -> Result<Response, UiError> {
    show::<PoolsPage>(&s, &signed, None).await
}

/// A pool's form as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PoolForm {
    name: String,
    team: String,
    blind: String,
    reserve_amount: String,
    reserve_unit: String,
    cooldown_amount: String,
    cooldown_unit: String,
    calendar: String,
}

impl PoolForm {
    fn input(&self) -> Result<PoolInput, Unread> {
        Ok(PoolInput {
            name: self.name.clone(),
            team_id: picked("Team", &self.team, TeamId::new)?,
            blind: self.blind == "yes",
            reserve: duration("Reserve time", &self.reserve_amount, &self.reserve_unit)?,
            calendar_id: picked("Calendar", &self.calendar, |c| c)?,
            // Empty is no cooldown at all: the form starts filled with the default.
            reject_cooldown: Some(
                duration("Cooldown", &self.cooldown_amount, &self.cooldown_unit)?
                    .unwrap_or_default(),
            ),
        })
    }
}

/// `POST /settings/pools`: adds a pool.
pub async fn create_pool(
    State(s): State<AppState>,
    Posted { signed, form }: Posted<PoolForm>,
) -> Result<Response, UiError> {
    let (app, m) = (&s.app, &signed.member);
    let said = said(form.input(), |input| async move {
        app.create_pool(m, input)
            .await
            .map(|p| format!("Pool “{}” added.", p.name))
    })
    .await?;
    show::<PoolsPage>(&s, &signed, Some(said)).await
}

/// `POST /settings/pools/{id}`: changes a pool; a new reserve time applies to claims from
/// now on.
pub async fn update_pool(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<PoolForm>,
) -> Result<Response, UiError> {
    let id = path_id(&id, PoolId::new);
    let (app, m) = (&s.app, &signed.member);
    let said = said(form.input(), |input| async move {
        let changes = PoolChanges {
            name: Some(input.name),
            team_id: Some(input.team_id),
            blind: Some(input.blind),
            reserve: Some(input.reserve),
            calendar_id: Some(input.calendar_id),
            reject_cooldown: input.reject_cooldown,
        };
        app.update_pool(m, id, changes).await.map(|p| {
            format!(
                "Pool “{}” saved. A new reserve time applies to claims from now on.",
                p.name
            )
        })
    })
    .await?;
    show::<PoolsPage>(&s, &signed, Some(said)).await
}

/// The organization-wide form as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CapsForm {
    max_new: String,
    min_new: String,
    reject_pool: String,
    outbound: String,
    inbound: String,
    transfer: String,
}

impl CapsForm {
    fn settings(&self) -> Result<OrgPoolSettings, Unread> {
        Ok(OrgPoolSettings {
            caps: Caps {
                max_new: count("Most new leads", &self.max_new)?,
                min_new: count("Fewest new leads", &self.min_new)?.unwrap_or(0),
            },
            reject_pool: picked("Rejected leads go to", &self.reject_pool, PoolId::new)?,
            calls: CallOwnership {
                outbound: self.outbound == "yes",
                inbound: self.inbound == "yes",
                transfer: self.transfer == "yes",
            },
        })
    }
}

/// `POST /settings/pool-settings`: caps, the rejection pool and ownership by call.
pub async fn save_settings(
    State(s): State<AppState>,
    Posted { signed, form }: Posted<CapsForm>,
) -> Result<Response, UiError> {
    let (app, m) = (&s.app, &signed.member);
    let said = said(form.settings(), |settings| async move {
        app.set_pool_settings(m, settings)
            .await
            .map(|_| "Caps and call ownership saved.".to_owned())
    })
    .await?;
    show::<PoolsPage>(&s, &signed, Some(said)).await
}

/// A new rejection reason as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReasonForm {
    label: String,
}

/// `POST /settings/reject-reasons`: adds a reason agents may give.
pub async fn add_reason(
    State(s): State<AppState>,
    Posted { signed, form }: Posted<ReasonForm>,
) -> Result<Response, UiError> {
    let said = Said::of(
        s.app
            .add_reject_reason(&signed.member, &form.label)
            .await
            .map(|r| format!("Reason “{}” added.", r.label)),
    )?;
    show::<PoolsPage>(&s, &signed, Some(said)).await
}

/// `POST /settings/reject-reasons/{id}/remove`: removes a reason; past rejections keep
/// their words.
pub async fn remove_reason(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, .. }: Posted<NoFields>,
) -> Result<Response, UiError> {
    let id = path_id(&id, std::convert::identity);
    let label = s
        .app
        .reject_reasons(&signed.member)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .map(|r| r.label);
    let said = match label {
        None => Said::lost("That reason was already removed."),
        Some(label) => Said::of(
            s.app
                .remove_reject_reason(&signed.member, id)
                .await
                .map(|()| format!("Reason “{label}” removed; past rejections keep it.")),
        )?,
    };
    show::<PoolsPage>(&s, &signed, Some(said)).await
}
