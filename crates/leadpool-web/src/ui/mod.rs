//! The web pages: HTML rendered on the server from compile-checked askama templates
//! (`templates/`), made live with htmx; the script, the stylesheet and a little hand-written
//! JS are embedded in the binary ([`assets`]). A page answers an htmx request with just the
//! fragment it swaps and anything else with the whole page; errors become a friendly page or
//! fragment in [`error`]. Sign-in uses the same server-side sessions as the API; every
//! unsafe request must carry the session's CSRF token ([`session`]).

mod account;
mod assets;
mod directory;
mod error;
mod filters;
mod flash;
mod leads;
mod live;
mod moves;
mod offers;
mod queue;
mod queue_filters;
mod routing;
mod session;
mod settings;
mod tasks;
mod tokens;
mod view;
mod work;

use askama::Template;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use crate::AppState;
pub use error::UiError;

/// Every page, form action and asset of the web UI.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(session::home))
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/leads", get(leads::list))
        .route("/leads/rows", get(leads::more_rows))
        .route("/leads/move", post(moves::apply))
        .route("/leads/{id}", get(leads::detail))
        .route("/leads/{id}/claim", post(work::claim))
        .route("/leads/{id}/contact", post(work::contact))
        .route("/leads/{id}/status", post(work::status))
        .route("/leads/{id}/edit", post(work::edit))
        .route("/leads/{id}/give-back", post(work::give_back))
        .route("/leads/{id}/note", post(work::note))
        .route("/leads/{id}/tasks", post(tasks::add))
        .route("/leads/{id}/tasks/{task}/complete", post(tasks::complete))
        .route("/leads/{id}/tasks/{task}/reassign", post(tasks::reassign))
        .route("/leads/{id}/tasks/{task}/delete", post(tasks::delete))
        .route("/tasks", get(tasks::page))
        .route("/account", get(account::page))
        .route("/account/password", post(account::change_password))
        .route("/account/email", post(account::set_email))
        .route("/account/time-zone", post(account::set_time_zone))
        .route("/account/sign-out-others", post(account::sign_out_others))
        .route("/account/tokens", post(account::make_token))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
        .route("/leads/{id}/routing", get(routing::page))
        .route("/leads/{id}/reassign", post(routing::reassign))
        .route("/leads/{id}/cancel-offer", post(routing::cancel_offer))
        .route("/live", get(live::stream))
        .route("/offers", get(offers::page))
        .route("/offers/count", get(offers::count))
        .route("/offers/pause", post(offers::pause))
        .route("/offers/{id}/{answer}", post(offers::answer))
        .route("/queue", get(queue::page))
        .route("/queue/rows", get(queue::more_rows))
        .route("/queue/assign", post(queue::assign))
        .route("/settings", get(settings::hub))
        .route(
            "/settings/pools",
            get(settings::pools_page).post(settings::create_pool),
        )
        .route("/settings/pools/{id}", post(settings::update_pool))
        .route("/settings/pool-settings", post(settings::save_settings))
        .route(
            "/settings/people",
            get(settings::people_page).post(settings::create_user),
        )
        .route("/settings/people/{id}", post(settings::update_user))
        .route("/settings/teams", post(settings::create_team))
        .route("/settings/tokens", post(settings::make_token))
        .route("/settings/tokens/{id}/revoke", post(settings::revoke_token))
        .route("/settings/teams/{id}", post(settings::update_team))
        .route("/settings/reject-reasons", post(settings::add_reason))
        .route(
            "/settings/reject-reasons/{id}/remove",
            post(settings::remove_reason),
        )
        .route(
            "/settings/statuses",
            get(settings::statuses_page).post(settings::create_status),
        )
        .route("/settings/statuses/{id}", post(settings::update_status))
        .route("/settings/statuses/{id}/move", post(settings::move_status))
        .route("/settings/statuses/{id}/expiry", post(settings::set_expiry))
        .route(
            "/settings/statuses/{id}/expiry/remove",
            post(settings::remove_expiry),
        )
        .route(
            "/settings/time",
            get(settings::time_page).post(settings::create_calendar),
        )
        .route("/settings/time/{id}", post(settings::update_calendar))
        .route(
            "/settings/time/{id}/delete",
            post(settings::delete_calendar),
        )
        .route("/settings/time/{id}/holidays", post(settings::add_holiday))
        .route(
            "/settings/time/{id}/holidays/remove",
            post(settings::remove_holiday),
        )
        .route("/settings/time/{id}/preview", post(settings::preview))
        .route("/settings/routing", get(settings::routing_page))
        .route("/settings/deliveries", get(settings::deliveries_page))
        .route(
            "/settings/deliveries/{id}/retry",
            post(settings::retry_delivery),
        )
        .route("/settings/routing/try", post(settings::try_rules))
        .route("/settings/sources", post(settings::create_source))
        .route("/settings/sources/{id}", post(settings::update_source))
        .route("/settings/sources/{id}/rotate", post(settings::rotate_key))
        .route("/settings/groups", post(settings::create_group))
        .route("/settings/groups/{id}", post(settings::update_group))
        .route("/settings/groups/{id}/delete", post(settings::delete_group))
        .route("/settings/rules", post(settings::create_rule))
        .route("/settings/rules/try", post(settings::try_new_rule))
        .route("/settings/rules/{id}", post(settings::update_rule))
        .route("/settings/rules/{id}/try", post(settings::try_changed_rule))
        .route("/settings/rules/{id}/move", post(settings::move_rule))
        .route("/settings/rules/{id}/toggle", post(settings::toggle_rule))
        .route("/settings/rules/{id}/delete", post(settings::delete_rule))
        .route(
            "/settings/reassignment-groups",
            post(settings::create_reassignment),
        )
        .route(
            "/settings/reassignment-groups/{id}",
            post(settings::update_reassignment),
        )
        .route(
            "/settings/reassignment-groups/{id}/delete",
            post(settings::delete_reassignment),
        )
        .route("/assets/{file}", get(assets::serve))
        // Here rather than on the whole router: a page's answer needs the UI's headers.
        .fallback(error::no_route)
        .layer(middleware::from_fn(context))
}

/// How the request being served wants its answer.
#[derive(Debug, Clone, Copy)]
struct Wants {
    /// An htmx request that swaps part of the page: answer with the fragment only.
    fragment: bool,
}

tokio::task_local! {
    static WANTS: Wants;
}

impl Wants {
    fn of(headers: &HeaderMap) -> Self {
        let is = |name: &str, value: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case(value))
        };
        // A history restore and a swap of the whole body want the full page even from htmx.
        Self {
            fragment: is("hx-request", "true")
                && !is("hx-history-restore-request", "true")
                && !is("hx-request-type", "full"),
        }
    }

    /// What the request being served wants; a full page outside a UI request.
    fn current() -> Self {
        WANTS.try_with(|w| *w).unwrap_or(Self { fragment: false })
    }
}

/// The script, style and framing rules of every UI response. Scripts and styles come only
/// from `/assets`, so an injected tag cannot run. (Caching and sniffing are ruled for every
/// answer, in [`crate::error::shape`].)
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

async fn context(req: Request, next: Next) -> Response {
    let wants = Wants::of(req.headers());
    let mut res = WANTS.scope(wants, view::serving(next.run(req))).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    // The same URL answers a fragment or a page depending on this header.
    h.append(header::VARY, HeaderValue::from_static("HX-Request"));
    res
}

/// Renders a template as an HTML response with `status`.
fn render(status: StatusCode, t: &impl Template) -> Result<Response, UiError> {
    let body = t
        .render()
        .map_err(|e| UiError::internal(format!("rendering a template: {e}")))?;
    Ok((status, Html(body)).into_response())
}

/// Renders the fragment for htmx requests and the whole page otherwise.
fn render_page(page: &impl Template, fragment: &impl Template) -> Result<Response, UiError> {
    render_status(StatusCode::OK, page, fragment)
}

/// Renders, with `status`, the fragment for htmx requests and the whole page otherwise.
fn render_status(
    status: StatusCode,
    page: &impl Template,
    fragment: &impl Template,
) -> Result<Response, UiError> {
    if Wants::current().fragment {
        render(status, fragment)
    } else {
        render(status, page)
    }
}
