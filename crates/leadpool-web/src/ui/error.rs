//! Errors as people see them: a friendly page, or for an htmx request a message fragment
//! swapped where the answer was going; never a stack trace. Server errors hide their cause,
//! log it once with the request id, and show that id. A missing or lapsed session sends the
//! browser to sign in.

use askama::Template;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use leadpool_app::AppError;

use super::Wants;
use super::session::Signed;
use super::view::Chrome;
use crate::AppState;
use crate::error::{REQUEST_ID, not_found, status_of};

/// Why a UI request did not get its page.
#[derive(Debug)]
pub enum UiError {
    /// Nobody is signed in (or the session lapsed): sign in, then come back to `next`.
    SignIn {
        /// The page to return to afterwards.
        next: Option<String>,
    },
    /// Anything else, shown on an error page.
    Shown {
        /// The HTTP status.
        status: StatusCode,
        /// The headline.
        title: &'static str,
        /// What happened and what to do, for people.
        message: String,
        /// The real cause of a server error: logged, never shown.
        internal: Option<String>,
    },
}

impl UiError {
    /// An error page with this status, headline and message.
    pub fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        Self::Shown {
            status,
            title,
            message: message.into(),
            internal: None,
        }
    }

    /// A server fault: the cause is logged, the person sees the request id.
    pub fn internal(cause: impl Into<String>) -> Self {
        Self::Shown {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            title: "Something went wrong",
            message: "leadpool could not finish this. Try again; if it keeps happening, give \
                      your administrator the request id below."
                .to_owned(),
            internal: Some(cause.into()),
        }
    }

    /// Input that could not be read.
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Please check what you entered",
            message,
        )
    }
}

impl From<AppError> for UiError {
    fn from(e: AppError) -> Self {
        let status = status_of(&e);
        let (title, message) = match e {
            AppError::Unauthenticated(_) => return Self::SignIn { next: None },
            AppError::Internal(cause) => return Self::internal(cause),
            AppError::Invalid(i) => ("Please check what you entered", i.to_string()),
            AppError::NotFound { what } => (
                "Not found",
                format!("This {what} does not exist, or it is not yours to see."),
            ),
            AppError::Forbidden(m) => ("Not allowed", m),
            AppError::Conflict { message, .. } => ("That clashes with a change", message),
            AppError::Throttled { retry_after_secs } => (
                "Too many tries",
                format!(
                    "Too many failed sign-ins for this address. Try again in {retry_after_secs} seconds."
                ),
            ),
            AppError::Busy => (
                "leadpool is busy",
                "Too much is happening at once. Try again in a moment.".to_owned(),
            ),
        };
        Self::new(status, title, message)
    }
}

/// What no route answers: a browser asking for a page outside the API gets the same
/// friendly page as a missing lead, in the frame of the viewer's other pages; the API and
/// every other client the JSON error.
pub async fn no_route(State(state): State<AppState>, req: Request) -> Response {
    let page = !req.uri().path().starts_with("/api/")
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"));
    if page {
        let (mut parts, _) = req.into_parts();
        // Reading the session remembers the viewer for the page's frame; without one (or
        // with a lapsed one) the page is drawn signed out rather than sending to sign in.
        let _signed_out = Signed::from_request_parts(&mut parts, &state).await;
        UiError::new(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no page at this address. Check the link, or start again from the lead list.",
        )
        .into_response()
    } else {
        not_found().await.into_response()
    }
}

#[derive(Template)]
#[template(path = "error.html", blocks = ["message"])]
struct ErrorPage {
    chrome: Chrome,
    title: &'static str,
    message: String,
    request_id: Option<String>,
    /// The whole page, not the fragment htmx swaps in: the title is then the page's h1.
    whole: bool,
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let fragment = Wants::current().fragment;
        match self {
            Self::SignIn { next } => {
                let to = next.map_or_else(
                    || "/login".to_owned(),
                    |n| {
                        format!(
                            "/login?{}",
                            serde_html_form::to_string([("next", n)]).unwrap_or_default()
                        )
                    },
                );
                if fragment {
                    // htmx follows HX-Redirect with a full page load; a 303 would be followed
                    // inside fetch and the login page swapped into the list.
                    let mut res = (StatusCode::UNAUTHORIZED, "sign in again").into_response();
                    if let Ok(v) = HeaderValue::from_str(&to) {
                        res.headers_mut().insert("hx-redirect", v);
                    }
                    res
                } else {
                    Redirect::to(&to).into_response()
                }
            }
            Self::Shown {
                status,
                title,
                message,
                internal,
            } => {
                let request_id = REQUEST_ID.try_with(Clone::clone).ok();
                if let Some(cause) = internal {
                    tracing::error!(request_id = request_id.as_deref().unwrap_or("-"), %cause, "page failed");
                }
                let page = ErrorPage {
                    chrome: Chrome::of_viewer(title),
                    title,
                    message,
                    request_id,
                    whole: !fragment,
                };
                let html = if fragment {
                    page.as_message().render()
                } else {
                    page.render()
                };
                match html {
                    Ok(body) => (status, Html(body)).into_response(),
                    Err(e) => {
                        tracing::error!(error = %e, "rendering the error page");
                        (
                            StatusCode::INTERNAL_SERVER_ERROR,
                            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                            "internal error",
                        )
                            .into_response()
                    }
                }
            }
        }
    }
}
