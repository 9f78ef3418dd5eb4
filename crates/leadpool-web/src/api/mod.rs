//! The JSON API under `/api/v1`, one module per resource (routes, handlers and DTOs
//! together). Routes and their OpenAPI documentation are registered together: a handler's
//! annotation lists what only it can answer, and `answers` adds what every operation of its
//! shape can (401 and 403 when signed in, 400/408/413/415/422 for a JSON body, 400 and 404
//! for a path id, 500 and 503 always); `links` links each create to the operations on what
//! it made.

mod answers;
pub mod auth;
pub mod calendars;
pub mod email;
pub mod leads;
mod links;
pub mod offers;
pub mod orgs;
pub mod pool;
pub mod routing;
pub mod sources;
pub mod statuses;
pub mod tasks;
pub mod teams;
pub mod users;
pub mod webhooks;

use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "leadpool API", description = "Lead distribution and lead pool engine. Errors are always {\"error\": {\"code\", \"message\", \"details\"}}."),
    modifiers(&Security),
    components(schemas(crate::error::ErrorBody))
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::extract::SESSION_COOKIE,
            ))),
        );
        components.add_security_scheme(
            "intake_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Intake-Key"))),
        );
    }
}

/// Every API route, and the OpenAPI document describing them with every answer each can give.
pub fn routes_and_document() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut doc) = routes().split_for_parts();
    answers::complete(&mut doc);
    links::add(&mut doc);
    (routes, doc)
}

/// The OpenAPI document of the API, as `/api/v1/openapi.json` serves it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes_and_document().1
}

/// Every API route with its annotations.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(auth::routes())
        .merge(orgs::routes())
        .merge(teams::routes())
        .merge(users::routes())
        .merge(sources::routes())
        .merge(statuses::routes())
        .merge(leads::routes())
        .merge(calendars::routes())
        .merge(pool::routes())
        .merge(routing::routes())
        .merge(offers::routes())
        .merge(tasks::routes())
        .merge(webhooks::routes())
        .merge(email::routes())
}

/// Serde helper for PATCH fields where `null` means "clear" and absence means "keep".
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    serde::Deserialize::deserialize(d).map(Some)
}
