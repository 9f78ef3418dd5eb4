//! `/api/v1/me/email`: what the caller is emailed about (assignments, offers, leads going
//! back to a pool, webhook endpoints turned off), and whether this server sends email.

use axum::extract::State;
use leadpool_app::mail::MailSettings;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{Auth, Json};
use crate::{ApiError, AppState};

/// Routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_email, set_email))
}

/// One thing a person may be emailed about.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailChoiceDto {
    /// The event type.
    pub event_type: String,
    /// What it means, in words.
    pub label: String,
    /// Whether the caller is emailed about it.
    pub chosen: bool,
}

/// The caller's email settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailSettingsDto {
    /// Whether this server sends email (an SMTP server is configured); choices are kept
    /// either way.
    pub email_on: bool,
    /// Where the caller's letters go.
    pub address: String,
    /// Every choice, chosen or not.
    pub choices: Vec<EmailChoiceDto>,
}

impl From<MailSettings> for EmailSettingsDto {
    fn from(m: MailSettings) -> Self {
        Self {
            email_on: m.email_on,
            choices: m
                .choices()
                .into_iter()
                .map(|(t, label, chosen)| EmailChoiceDto {
                    event_type: t.as_str().to_owned(),
                    label: label.to_owned(),
                    chosen,
                })
                .collect(),
            address: m.address,
        }
    }
}

/// What to be emailed about.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailBody {
    /// The event types to be emailed about (empty: none); see `choices` for those offered.
    pub email_events: Vec<String>,
}

/// `GET /api/v1/me/email`: what the caller is emailed about.
#[utoipa::path(get, path = "/api/v1/me/email", tag = "auth",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = EmailSettingsDto)))]
async fn get_email(
    State(s): State<AppState>,
    Auth(m): Auth,
) -> Result<axum::Json<EmailSettingsDto>, ApiError> {
    Ok(axum::Json(s.app.mail_settings(&m).await?.into()))
}

/// `PUT /api/v1/me/email`: choose what the caller is emailed about.
#[utoipa::path(put, path = "/api/v1/me/email", tag = "auth", request_body = EmailBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = EmailSettingsDto)))]
async fn set_email(
    State(s): State<AppState>,
    Auth(m): Auth,
    Json(b): Json<EmailBody>,
) -> Result<axum::Json<EmailSettingsDto>, ApiError> {
    Ok(axum::Json(
        s.app.set_mail_choices(&m, &b.email_events).await?.into(),
    ))
}
