//! My account: who the signed-in person is, changing their own password (which signs them
//! out everywhere else) and ending their other sessions. Each form answers in place.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::directory::role_label;
use super::error::UiError;
use super::flash::{Flash, Said};
use super::offers::NoFields;
use super::session::{Posted, Signed};
use super::view::Chrome;
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
}

impl AccountPage {
    fn of(signed: &Signed, flash: Option<Flash>) -> Self {
        let m = &signed.member;
        Self {
            chrome: Chrome::signed_in("My account", m, &signed.csrf),
            flash,
            name: m.user.name.clone(),
            email: m.user.email.clone(),
            role: role_label(m.user.role),
        }
    }
}

/// `GET /account`.
pub async fn page(signed: Signed) -> Result<Response, UiError> {
    let page = AccountPage::of(&signed, None);
    render_page(&page, &page.as_account())
}

/// Answers a form with the page and what the form did.
fn answer(signed: &Signed, said: Said) -> Result<Response, UiError> {
    let page = AccountPage::of(signed, Some(said.flash));
    render_status(said.status, &page, &page.as_account())
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
            &signed,
            Said::refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The new password and its repetition differ; type them again.",
            ),
        );
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
    answer(&signed, said)
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
    answer(&signed, said)
}
