//! Signing in and out of the pages, and who is acting on each request: the session cookie
//! the API also accepts, and the session's CSRF token, which every unsafe UI request must
//! send back (htmx sends it as `X-CSRF-Token`, plain forms as a hidden `csrf` field). The
//! sign-in form has no session yet: SameSite=Lax and an Origin check keep other sites from
//! posting it.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use leadpool_app::secret::constant_time_eq;
use leadpool_app::{AppError, Member};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::view::Chrome;
use super::{UiError, render};
use crate::AppState;
use crate::extract::{CSRF_HEADER, check_urlencoded_text, session_cookie, set_session_cookie};

/// A signed-in member and their session's CSRF token.
pub struct Signed {
    /// Who is acting.
    pub member: Member,
    /// The token their unsafe requests must carry.
    pub csrf: String,
    /// The session's own id (a secret: only for ending the person's other sessions).
    pub session: String,
}

impl std::fmt::Debug for Signed {
    // The session id is a credential: it stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signed")
            .field("member", &self.member)
            .finish_non_exhaustive()
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, UiError> {
        // Only a page that was asked for directly is worth coming back to after sign-in.
        let next = (parts.method == Method::GET && !parts.headers.contains_key("hx-request"))
            .then(|| parts.uri.path_and_query().map(ToString::to_string))
            .flatten();
        let Some(id) = session_cookie(parts) else {
            return Err(UiError::SignIn { next });
        };
        match state.app.session(id).await {
            Ok((member, csrf)) => {
                super::view::remember_viewer(&member, &csrf);
                Ok(Self {
                    member,
                    csrf,
                    session: id.to_owned(),
                })
            }
            Err(AppError::Unauthenticated(_)) => Err(UiError::SignIn { next }),
            Err(e) => Err(e.into()),
        }
    }
}

/// A form posted by a signed-in member, its CSRF token checked.
#[derive(Debug)]
pub struct Posted<T> {
    /// Who posted it.
    pub signed: Signed,
    /// The form's fields.
    pub form: T,
}

#[derive(Deserialize, Default)]
struct CsrfField {
    csrf: Option<String>,
}

impl<T: DeserializeOwned> FromRequest<AppState> for Posted<T> {
    type Rejection = UiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, UiError> {
        let (mut parts, body) = req.into_parts();
        let signed = Signed::from_request_parts(&mut parts, state).await?;
        let header_token = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = form_bytes(Request::from_parts(parts, body), state).await?;
        let sent = header_token.or_else(|| {
            serde_html_form::from_bytes::<CsrfField>(&bytes)
                .ok()
                .and_then(|f| f.csrf)
        });
        if !sent.is_some_and(|s| constant_time_eq(&s, &signed.csrf)) {
            return Err(UiError::new(
                StatusCode::FORBIDDEN,
                "This form has expired",
                "The form did not carry this session's security token (it may be from an \
                 older sign-in, or from another site). Reload the page and try again.",
            ));
        }
        let form = parse_form(&bytes)?;
        Ok(Self { signed, form })
    }
}

/// The body of a form post, within the router's size limit.
async fn form_bytes(req: Request, state: &AppState) -> Result<Bytes, UiError> {
    Bytes::from_request(req, state).await.map_err(|e| {
        if crate::error::body_timed_out(&e) {
            return UiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "The form stopped arriving",
                "The connection stalled while sending the form. Try again.",
            );
        }
        UiError::new(
            e.status(),
            "The form could not be read",
            "The form was too large or broke off. Reload the page and try again.",
        )
    })
}

fn parse_form<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, UiError> {
    read_urlencoded(bytes, "form")
}

/// Reads a form body or query string (`what` names it for people), its texts held to the
/// one control-character rule.
pub(crate) fn read_urlencoded<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, UiError> {
    check_urlencoded_text(bytes).map_err(|e| {
        UiError::bad_input(format!("The {what} could not be read: {}.", e.message()))
    })?;
    serde_html_form::from_bytes(bytes)
        .map_err(|e| UiError::bad_input(format!("The {what} could not be read: {e}.")))
}

/// Where to go after sign-in: a path on this site, never another site's address. Browsers
/// drop tabs and line breaks from a URL and read `\\` as `/`, so `/%09/evil.example` or
/// `/\\evil.example` would leave the site: the path must hold only printable ASCII (what a
/// browser percent-encodes) and, as written and once decoded, start with one `/` and hold
/// no backslash or control character.
fn local_path(next: Option<&str>) -> &str {
    let on_this_site = |p: &str| {
        p.starts_with('/')
            && !p.starts_with("//")
            && !p.chars().any(|c| c == '\\' || c.is_control())
    };
    next.filter(|n| {
        n.bytes().all(|b| b.is_ascii_graphic())
            && on_this_site(n)
            && on_this_site(&percent_decoded(n))
    })
    .unwrap_or("/leads")
}

/// `text` with each `%XX` replaced by its byte (invalid UTF-8 lossily).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `GET /`: the lead list, or sign-in.
pub async fn home(parts: Parts, State(s): State<AppState>) -> Redirect {
    let signed_in = match session_cookie(&parts) {
        Some(id) => s.app.session(id).await.is_ok(),
        None => false,
    };
    Redirect::to(if signed_in { "/leads" } else { "/login" })
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct NextParam {
    next: Option<String>,
}

/// `GET /login`: the sign-in form (or straight on, when already signed in).
pub async fn login_page(parts: Parts, State(s): State<AppState>) -> Result<Response, UiError> {
    let next = parts
        .uri
        .query()
        .and_then(|q| serde_html_form::from_str::<NextParam>(q).ok())
        .and_then(|p| p.next);
    if let Some(id) = session_cookie(&parts)
        && s.app.session(id).await.is_ok()
    {
        return Ok(Redirect::to(local_path(next.as_deref())).into_response());
    }
    render(
        StatusCode::OK,
        &LoginPage {
            chrome: Chrome::anonymous("Sign in"),
            email: String::new(),
            next: local_path(next.as_deref()).to_owned(),
            error: None,
        },
    )
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

/// Whether a sign-in post comes from one of our own pages. Browsers say so in
/// `Sec-Fetch-Site`, which no page can forge; older ones send only `Origin`, which must then
/// name this host. A request with neither is no browser's cross-site post.
fn same_origin(headers: &HeaderMap) -> bool {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = get("sec-fetch-site") {
        return site == "same-origin" || site == "none";
    }
    match (get("origin"), get("host")) {
        (None, _) => true,
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority == host),
        (Some(_), None) => false,
    }
}

/// `POST /login`: checks the password, opens a session and sets its cookie.
pub async fn login(State(s): State<AppState>, req: Request) -> Result<Response, UiError> {
    if !same_origin(req.headers()) {
        return Err(UiError::new(
            StatusCode::FORBIDDEN,
            "Sign in from leadpool itself",
            "This sign-in came from another site, so it was refused. Open leadpool's own \
             sign-in page and try there.",
        ));
    }
    let (parts, body) = req.into_parts();
    let cookie_parts = parts.clone();
    let bytes = form_bytes(Request::from_parts(parts, body), &s).await?;
    let form: LoginForm = parse_form(&bytes)?;
    let next = local_path(form.next.as_deref()).to_owned();
    match s.app.login(&form.email, &form.password).await {
        Ok((_, session)) => {
            let cookie = set_session_cookie(
                &s.config,
                &cookie_parts,
                Some(&session.id),
                s.app.store_session_ttl_secs(),
            );
            let mut res = Redirect::to(&next).into_response();
            res.headers_mut().insert(header::SET_COOKIE, cookie);
            Ok(res)
        }
        // The same words whether the address is unknown or the password wrong: the form must
        // not tell anyone which addresses have accounts.
        Err(AppError::Unauthenticated(_)) => render(
            StatusCode::UNAUTHORIZED,
            &LoginPage {
                chrome: Chrome::anonymous("Sign in"),
                email: form.email,
                next,
                error: Some("That email and password do not match an active account.".into()),
            },
        ),
        Err(AppError::Throttled { retry_after_secs }) => render(
            StatusCode::TOO_MANY_REQUESTS,
            &LoginPage {
                chrome: Chrome::anonymous("Sign in"),
                email: form.email,
                next,
                error: Some(format!(
                    "Too many failed sign-ins for this address. Try again in {retry_after_secs} seconds."
                )),
            },
        ),
        Err(e) => Err(e.into()),
    }
}

/// `POST /logout`: ends the session and clears its cookie. Needs the CSRF token while the
/// session lives, so another site cannot sign people out.
pub async fn logout(State(s): State<AppState>, req: Request) -> Result<Response, UiError> {
    let (parts, body) = req.into_parts();
    let session = session_cookie(&parts).map(str::to_owned);
    let cleared = set_session_cookie(&s.config, &parts, None, 0);
    let req = Request::from_parts(parts, body);
    if let Some(id) = session {
        match Posted::<CsrfField>::from_request(req, &s).await {
            Ok(_) => s.app.logout(&id).await?,
            // Already over: nothing to end, just clear the cookie.
            Err(UiError::SignIn { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().insert(header::SET_COOKIE, cleared);
    Ok(res)
}
