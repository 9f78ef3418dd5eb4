//! My account: who the signed-in person is, the time zone their pages show times in, what
//! they are emailed about, their API tokens, changing their own password (which signs them
//! out everywhere else) and ending their other sessions. Each form answers in place.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use leadpool_app::mail::MailSettings;
use serde::Deserialize;

use super::directory::role_label;
use super::error::UiError;
use super::flash::{Flash, Said};
use super::offers::NoFields;
use super::session::{Posted, Signed};
use super::tokens::{self, NewToken, RevokeForm, TokenForm, Tokens};
use super::view::{Chrome, Zone};
use super::{render_page, render_status};
use crate::AppState;

/// The account page.
#[derive(Template)]
#[template(path = "account.html", blocks = ["account"])]
pub struct AccountPage {
    chrome: Chrome,
    flash: Option<Flash>,
    name: String,
    email: String,
    role: &'static str,
    time_zone: String,
    email_on: bool,
    mail_choices: Vec<MailChoice>,
    tokens: Tokens,
}

/// One thing a person may be emailed about, as the account page offers it.
struct MailChoice {
    name: &'static str,
    label: &'static str,
    chosen: bool,
}

impl AccountPage {
    async fn of(s: &AppState, signed: &Signed, flash: Option<Flash>) -> Result<Self, UiError> {
        let m = &signed.member;
        let mail: MailSettings = s.app.mail_settings(m).await?;
        Ok(Self {
            chrome: Chrome::signed_in("My account", m, &signed.csrf),
            flash,
            name: m.user.name.clone(),
            email: m.user.email.clone(),
            role: role_label(m.user.role),
            time_zone: m.user.time_zone.clone().unwrap_or_default(),
            email_on: mail.email_on,
            mail_choices: mail
                .choices()
                .into_iter()
                .map(|(t, label, chosen)| MailChoice {
                    name: t.as_str(),
                    label,
                    chosen,
                })
                .collect(),
            tokens: Tokens::own(s, m).await?,
        })
    }
}

/// `GET /account`.
pub async fn page(State(s): State<AppState>, signed: Signed) -> Result<Response, UiError> {
    let page = AccountPage::of(&s, &signed, None).await?;
    render_page(&page, &page.as_account())
}

/// Answers a form with the page and what the form did.
async fn answer(s: &AppState, signed: &Signed, said: Said) -> Result<Response, UiError> {
    answer_with(s, signed, said, None).await
}

/// Answers a form with the page, what the form did and a token to show once.
async fn answer_with(
    s: &AppState,
    signed: &Signed,
    said: Said,
    fresh: Option<NewToken>,
) -> Result<Response, UiError> {
    let mut page = AccountPage::of(s, signed, Some(said.flash)).await?;
    page.tokens.fresh = fresh;
    render_status(said.status, &page, &page.as_account())
}

/// `POST /account/tokens`: makes an API token of one's own, shown once.
pub async fn make_token(
    State(s): State<AppState>,
    Posted { signed, form }: Posted<TokenForm>,
) -> Result<Response, UiError> {
    let m = &signed.member;
    let (said, fresh) = tokens::make(&s, m, m.user.id, &form.name).await?;
    answer_with(&s, &signed, said, fresh).await
}

/// `POST /account/tokens/{id}/revoke`: revokes one of one's own API tokens.
pub async fn revoke_token(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, .. }: Posted<RevokeForm>,
) -> Result<Response, UiError> {
    let m = &signed.member;
    let said = tokens::revoke(&s, m, m.user.id, id.parse().unwrap_or(-1)).await?;
    answer(&s, &signed, said).await
}

/// "N other sessions", in words.
fn sessions(n: u64) -> String {
    match n {
        0 => "You were not signed in anywhere else.".to_owned(),
        1 => "Your one other session was signed out.".to_owned(),
        n => format!("Your {n} other sessions were signed out."),
    }
}

/// The password form as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    repeat_password: String,
}

/// `POST /account/password`: changes the person's own password.
pub async fn change_password(
    State(s): State<AppState>,
    Posted { signed, form }: Posted<PasswordForm>,
) -> Result<Response, UiError> {
    if form.new_password != form.repeat_password {
        return answer(
            &s,
            &signed,
            Said::refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The new password and its repetition differ; type them again.",
            ),
        )
        .await;
    }
    let said = Said::of(
        s.app
            .change_password(
                &signed.member,
                &signed.session,
                &form.current_password,
                &form.new_password,
            )
            .await
            .map(|n| format!("Password changed. {}", sessions(n))),
    )?;
    answer(&s, &signed, said).await
}

/// `POST /account/sign-out-others`: ends the person's other sessions.
pub async fn sign_out_others(
    State(s): State<AppState>,
    Posted { signed, .. }: Posted<NoFields>,
) -> Result<Response, UiError> {
    let said = Said::of(
        s.app
            .sign_out_elsewhere(&signed.member, &signed.session)
            .await
            .map(sessions),
    )?;
    answer(&s, &signed, said).await
}

/// The time-zone form as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TimeZoneForm {
    time_zone: String,
}

/// `POST /account/time-zone`: the zone every page shows the person times in.
pub async fn set_time_zone(
    State(s): State<AppState>,
    Posted { mut signed, form }: Posted<TimeZoneForm>,
) -> Result<Response, UiError> {
    let said = match s.app.set_time_zone(&signed.member, &form.time_zone).await {
        Ok(user) => {
            let zone = user.time_zone.clone().unwrap_or_else(|| "UTC".to_owned());
            // The page drawn below is this request's: it reads the zone just saved.
            signed.member.user = user;
            let now = Zone::of(&signed.member).when(s.app.now());
            Said::done(format!(
                "Saved. Times are shown in {zone}; it is now {now}."
            ))
        }
        Err(e) => Said::of(Err(e))?,
    };
    answer(&s, &signed, said).await
}

/// The email form as posted: the event types ticked (none ticked: nothing is emailed).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EmailForm {
    email_events: Vec<String>,
}

/// `POST /account/email`: keeps what the person wants to be emailed about.
pub async fn set_email(
    State(s): State<AppState>,
    Posted { signed, form }: Posted<EmailForm>,
) -> Result<Response, UiError> {
    let said = Said::of(
        s.app
            .set_mail_choices(&signed.member, &form.email_events)
            .await
            .map(|m| match (m.email_on, m.chosen.types().len()) {
                (false, _) => {
                    "Saved. This server sends no email yet; your choice applies once it does."
                        .to_owned()
                }
                (true, 0) => "Saved. You will not be emailed.".to_owned(),
                (true, _) => format!("Saved. Emails go to {}.", m.address),
            }),
    )?;
    answer(&s, &signed, said).await
}
