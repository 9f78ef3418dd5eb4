//! Settings → Routing: where leads come from and where they go. Sources with their intake
//! keys, agent groups, rules in priority order (first match wins) with a panel that tries
//! them on a sample lead, and reassignment groups for leads already in the system. The forms
//! and their words are in `rules`; this module holds the page and the sources.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use leadpool_app::distribute::DryRunInput;
use leadpool_app::models::Source;
use leadpool_app::routing_settings::ROUTING;
use leadpool_app::{AppError, Member};
use leadpool_domain::routing::Rule;
use leadpool_domain::{RuleId, SourceId, TeamId};
use serde::Deserialize;

use super::rules::{self, GroupView, Names, ReassignView, RuleView};
use super::{SectionPage, Unread, path_id, picked, require, said, show};
use crate::AppState;
use crate::ui::error::UiError;
use crate::ui::flash::{Flash, Said};
use crate::ui::offers::NoFields;
use crate::ui::render_status;
use crate::ui::routing::Why;
use crate::ui::session::{Posted, Signed};
use crate::ui::view::{Choice, Chrome, Zone};

/// Whether `m` may open this section: rules and groups are the organization's.
pub fn may_open(m: &Member) -> bool {
    m.may(ROUTING)
}

/// A source as its row and form show it.
#[derive(Debug)]
pub struct SourceView {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The team its leads belong to, in words.
    pub team_name: String,
    /// The teams to choose from ("" first: the organization).
    pub teams: Vec<Choice>,
    /// The last characters of its key.
    pub key_hint: String,
    /// Whether it takes leads.
    pub active: bool,
}

/// An intake key just made, shown this once.
#[derive(Debug)]
pub struct NewKey {
    /// The source's name.
    pub source: String,
    /// The key.
    pub key: String,
}

/// The dry-run panel: a sample lead and, once tried, where it would go.
#[derive(Debug, Default)]
pub struct TryView {
    /// The sources to pick from, the one tried selected.
    pub sources: Vec<Choice>,
    /// The source tried.
    pub source: Option<SourceId>,
    /// Tags as typed.
    pub tags: String,
    /// Fields as typed, `name = value` a line.
    pub fields: String,
    /// The decision, once tried.
    pub result: Option<Why>,
}

#[derive(Template)]
#[template(path = "settings_routing.html", blocks = ["settings"])]
struct RoutingPage {
    chrome: Chrome,
    flash: Option<Flash>,
    new_key: Option<NewKey>,
    sources: Vec<SourceView>,
    new_source_teams: Vec<Choice>,
    groups: Vec<GroupView>,
    new_group: GroupView,
    rules: Vec<RuleView>,
    new_rule: RuleView,
    reassignments: Vec<ReassignView>,
    new_reassignment: ReassignView,
    tried: TryView,
}

impl SectionPage for RoutingPage {
    async fn load(s: &AppState, signed: &Signed, flash: Option<Flash>) -> Result<Self, UiError> {
        require(&signed.member, ROUTING)?;
        let names = Names::load(&s.app, &signed.member).await?;
        Self::with_names(s, signed, flash, &names).await
    }

    fn render(&self, status: StatusCode) -> Result<Response, UiError> {
        render_status(status, self, &self.as_settings())
    }
}

impl RoutingPage {
    /// The page for `signed` with the names it refers to already read.
    async fn with_names(
        s: &AppState,
        signed: &Signed,
        flash: Option<Flash>,
        names: &Names,
    ) -> Result<Self, UiError> {
        let m = &signed.member;
        let team_choices = |chosen: Option<TeamId>| {
            std::iter::once(Choice::new("", "The whole organization", chosen.is_none()))
                .chain(
                    names
                        .teams
                        .iter()
                        .map(|(id, name)| Choice::new(id, name, Some(*id) == chosen)),
                )
                .collect::<Vec<_>>()
        };
        let sources = names
            .sources
            .iter()
            .map(|src| SourceView {
                id: src.id.get(),
                name: src.name.clone(),
                team_name: src
                    .team_id
                    .map_or_else(|| "The whole organization".to_owned(), |t| names.team(t)),
                teams: team_choices(src.team_id),
                key_hint: src.key_hint.clone(),
                active: src.active,
            })
            .collect();
        let rule_list = s.app.list_rules(m).await?;
        let last = rule_list.len().saturating_sub(1);
        let rules = rule_list
            .iter()
            .enumerate()
            .map(|(i, r)| RuleView::of(r, i == 0, i == last, names))
            .collect();
        let reassignments = s
            .app
            .list_reassignment_groups(m)
            .await?
            .iter()
            .map(|g| ReassignView::of(g, names))
            .collect();
        Ok(RoutingPage {
            chrome: Chrome::signed_in("Routing", m, &signed.csrf),
            flash,
            new_key: None,
            new_source_teams: team_choices(None),
            sources,
            groups: names
                .groups
                .iter()
                .map(|g| GroupView::of(g, names))
                .collect(),
            new_group: GroupView::blank(names),
            rules,
            new_rule: RuleView::blank(names),
            reassignments,
            new_reassignment: ReassignView::blank(names),
            tried: TryView::of(names, None),
        })
    }
}

impl TryView {
    /// A blank sample lead, or one from `source`.
    pub fn of(names: &Names, source: Option<SourceId>) -> Self {
        Self {
            sources: names
                .sources
                .iter()
                .map(|src| Choice::new(src.id, &src.name, Some(src.id) == source))
                .collect(),
            source,
            ..Self::default()
        }
    }
}

/// `GET /settings/routing`: the section.
pub async fn page(State(s): State<AppState>, signed: Signed) -> Result<Response, UiError> {
    show::<RoutingPage>(&s, &signed, None).await
}

/// Shows the section after a form said `said`, with a key made just now or a dry run.
async fn answer(
    s: &AppState,
    signed: &Signed,
    said: Said,
    new_key: Option<NewKey>,
    tried: Option<TryView>,
) -> Result<Response, UiError> {
    let mut page = RoutingPage::load(s, signed, Some(said.flash)).await?;
    page.new_key = new_key;
    if let Some(t) = tried {
        page.tried = with_sources(t, &page.tried.sources);
    }
    SectionPage::render(&page, said.status)
}

/// `tried` offering `sources`, the one it tried selected.
fn with_sources(tried: TryView, sources: &[Choice]) -> TryView {
    let picked = tried.source.map(|id| id.to_string());
    TryView {
        sources: sources
            .iter()
            .map(|c| Choice::new(&c.value, &c.label, Some(&c.value) == picked.as_ref()))
            .collect(),
        ..tried
    }
}

/// Shows the section after a rule form was tried: that form open and as typed (`draft`,
/// when it could be read), beside what trying it showed.
pub(super) async fn show_tried_rule(
    s: &AppState,
    signed: &Signed,
    said: Said,
    replaces: Option<RuleId>,
    draft: Option<Rule>,
    trial: TryView,
) -> Result<Response, UiError> {
    require(&signed.member, ROUTING)?;
    let names = Names::load(&s.app, &signed.member).await?;
    let mut page = RoutingPage::with_names(s, signed, Some(said.flash), &names).await?;
    let row = replaces.and_then(|id| page.rules.iter_mut().find(|r| r.id == id.get()));
    let form = match row {
        Some(r) => &mut r.form,
        // The rule was deleted meanwhile: what was typed stays, in the add form.
        None => &mut page.new_rule.form,
    };
    if let Some(d) = draft {
        *form = RuleView::of(&d, false, false, &names).form;
    }
    form.trial = with_sources(trial, &page.tried.sources);
    form.open = true;
    SectionPage::render(&page, said.status)
}

/// Shows the section after a rule, group or reassignment group form.
pub(super) async fn show_routing(
    s: &AppState,
    signed: &Signed,
    said: Said,
) -> Result<Response, UiError> {
    show::<RoutingPage>(s, signed, Some(said)).await
}

/// A source's form as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SourceForm {
    name: String,
    team: String,
    active: String,
}

/// `POST /settings/sources`: adds a source and shows its intake key once.
pub async fn create_source(
    State(s): State<AppState>,
    Posted { signed, form }: Posted<SourceForm>,
) -> Result<Response, UiError> {
    let m = &signed.member;
    let team = match picked("Team", &form.team, TeamId::new) {
        Ok(t) => t,
        Err(text) => return refused(&s, &signed, text).await,
    };
    let made = s.app.create_source(m, &form.name, team).await;
    key_made(&s, &signed, made, |name| {
        format!("Source “{name}” added. Copy its intake key now: it is not shown again.")
    })
    .await
}

/// Shows the section with a key just `made` for a source, or why it was not.
async fn key_made(
    s: &AppState,
    signed: &Signed,
    made: Result<(Source, String), AppError>,
    words: impl FnOnce(&str) -> String,
) -> Result<Response, UiError> {
    match made {
        Ok((source, key)) => {
            let said = Said::done(words(&source.name));
            let key = NewKey {
                source: source.name,
                key,
            };
            answer(s, signed, said, Some(key), None).await
        }
        Err(e) => answer(s, signed, Said::of(Err(e))?, None, None).await,
    }
}

/// The section saying why a field could not be read.
async fn refused(s: &AppState, signed: &Signed, text: Unread) -> Result<Response, UiError> {
    let said = Said::refused(StatusCode::UNPROCESSABLE_ENTITY, text);
    answer(s, signed, said, None, None).await
}

/// `POST /settings/sources/{id}`: renames a source, moves it to a team, turns it on or off.
pub async fn update_source(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted<SourceForm>,
) -> Result<Response, UiError> {
    let id = path_id(&id, SourceId::new);
    let (app, m) = (&s.app, &signed.member);
    let said = said(picked("Team", &form.team, TeamId::new), |team| async move {
        let active = form.active == "yes";
        app.update_source(m, id, Some(&form.name), Some(team), Some(active))
            .await
            .map(|src| {
                let state = if src.active {
                    "takes leads"
                } else {
                    "is off: its intake key is refused until it is turned back on"
                };
                format!("Source “{}” saved; it {state}.", src.name)
            })
    })
    .await?;
    show::<RoutingPage>(&s, &signed, Some(said)).await
}

/// `POST /settings/sources/{id}/rotate`: replaces a source's intake key; the old one stops
/// working at once.
pub async fn rotate_key(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, .. }: Posted<NoFields>,
) -> Result<Response, UiError> {
    let id = path_id(&id, SourceId::new);
    let made = s.app.rotate_source_key(&signed.member, id).await;
    key_made(&s, &signed, made, |name| {
        format!(
            "Source “{name}” has a new intake key; the old one no longer works. Copy the new one \
             now: it is not shown again."
        )
    })
    .await
}

/// The dry-run form as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TryForm {
    source: String,
    tags: String,
    fields: String,
}

/// `POST /settings/routing/try`: where a sample lead from a source would go under the rules
/// as saved, with the whole decision; nothing is written.
pub async fn try_rules(
    State(s): State<AppState>,
    Posted { signed, form }: Posted<TryForm>,
) -> Result<Response, UiError> {
    let m = &signed.member;
    let read = picked("Source", &form.source, SourceId::new).and_then(|source| {
        let source = source.ok_or_else(|| "Source: pick one from the list.".to_owned())?;
        Ok(DryRunInput {
            lead_id: None,
            source_id: Some(source),
            fields: rules::sample_fields(&form.fields)?,
            tags: rules::tag_list(&form.tags),
            rule: None,
        })
    });
    let mut tried = TryView {
        source: picked("Source", &form.source, SourceId::new).ok().flatten(),
        tags: form.tags.clone(),
        fields: form.fields.clone(),
        ..TryView::default()
    };
    let said = match read {
        Err(text) => Said::refused(StatusCode::UNPROCESSABLE_ENTITY, text),
        Ok(input) => dry_run(&s, m, input, "if it arrived now", &mut tried).await?,
    };
    answer(&s, &signed, said, None, Some(tried)).await
}

/// Runs `input` without writing anything: the decision goes in `tried`, and the page says
/// where the lead would go; `when` says under which rules ("if it arrived now").
pub(super) async fn dry_run(
    s: &AppState,
    m: &Member,
    input: DryRunInput,
    when: &str,
    tried: &mut TryView,
) -> Result<Said, UiError> {
    let run = s.app.dry_run(m, input).await.map(|run| {
        let why = Why::of_trace(when.to_owned(), None, run.trace, &Zone::of(m));
        let line = format!("Tried, nothing saved: {}", why.summary);
        tried.result = Some(why);
        line
    });
    Said::of(run)
}
