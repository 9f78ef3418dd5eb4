//! `GET /live`: the signed-in person's events as Server-Sent Events, as they commit. Each
//! event's `id` is its outbox id, so a browser that reconnects sends `Last-Event-ID` and gets
//! what it missed first. A comment every 15 s keeps proxies from closing a quiet stream; the
//! session is looked at again every minute (`WebConfig::live_session_check`) and the stream
//! ends when it is gone (signed out, password changed, user deactivated).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use leadpool_app::live::LiveStream;
use leadpool_app::{App, AppError};
use serde::Deserialize;
use serde_json::json;

use super::session::Signed;
use crate::{ApiError, AppState};

/// How often a quiet stream sends a keep-alive comment.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Where to resume when the browser has no `Last-Event-ID` yet.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LiveQuery {
    /// Send the person's events after this outbox id first.
    after: Option<i64>,
}

/// The stream's state between two events.
struct Open {
    app: App,
    session: String,
    stream: LiveStream,
    /// How often the session is looked at.
    check_every: Duration,
    /// When the session is next looked at, however busy the stream is.
    next_check: tokio::time::Instant,
}

/// `GET /live`: the event stream. `409 too_many_streams` past the per-person cap.
pub async fn stream(
    State(s): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Query(q): Query<LiveQuery>,
) -> Result<Response, ApiError> {
    // The browser's own position wins over the page's: it is newer after a reconnect.
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(q.after);
    let stream = s.app.live_stream(&signed.member, resume).await?;
    let open = Open {
        app: s.app.clone(),
        session: signed.session,
        stream,
        check_every: s.config.live_session_check,
        next_check: tokio::time::Instant::now() + s.config.live_session_check,
    };
    let events = futures_util::stream::unfold(open, next_event);
    let mut res = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response();
    // A buffering proxy (nginx) would hold events back until its buffer fills.
    res.headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(res)
}

/// The next event to send, or `None` to end the stream: at shutdown, when the session is
/// gone, or when the store cannot be read.
async fn next_event(mut open: Open) -> Option<(Result<Event, Infallible>, Open)> {
    loop {
        tokio::select! {
            next = open.stream.next() => {
                let e = match next? {
                    Ok(e) => e,
                    Err(e) => {
                        tracing::warn!(error = %e, "a live stream cannot catch up; ending it");
                        return None;
                    }
                };
                let data = json!({ "lead_id": e.lead_id, "at": e.at, "payload": e.payload });
                let event = Event::default()
                    .id(e.id.to_string())
                    .event(e.kind)
                    .data(data.to_string());
                return Some((Ok(event), open));
            }
            () = tokio::time::sleep_until(open.next_check) => {
                open.next_check += open.check_every;
                // Only a session that is gone ends the stream; a busy database is no reason
                // to drop it: look again next minute.
                if let Err(AppError::Unauthenticated(_)) = open.app.session(&open.session).await {
                    return None;
                }
            }
        }
    }
}
