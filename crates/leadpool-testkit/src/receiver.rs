//! A webhook receiver for tests: an axum server on a free port of 127.0.0.1 that keeps
//! every request it gets and answers with the statuses it was given, optionally after a
//! pause (a slow CRM, so that deliveries are in flight when an instance dies).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: String,
}

impl Received {
    /// A header's value as text; empty when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default)]
struct Inbox {
    got: Arc<Mutex<Vec<Received>>>,
    /// Statuses to answer with, in order; 204 once they run out.
    answers: Arc<Mutex<VecDeque<u16>>>,
    /// How long each answer waits after the request is kept.
    pause: Duration,
}

/// A webhook receiver on 127.0.0.1, stopped when dropped.
#[derive(Debug)]
pub struct Receiver {
    /// Where to post.
    pub url: String,
    inbox: Inbox,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Receiver {
    /// A receiver answering `answers` in turn and then 204, at once.
    pub async fn start(answers: &[u16]) -> Self {
        Self::serve(Inbox {
            answers: Arc::new(Mutex::new(answers.iter().copied().collect())),
            ..Inbox::default()
        })
        .await
    }

    /// A receiver that keeps each request as it arrives and answers 204 `pause` later.
    pub async fn slow(pause: Duration) -> Self {
        Self::serve(Inbox {
            pause,
            ..Inbox::default()
        })
        .await
    }

    async fn serve(inbox: Inbox) -> Self {
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the receiver");
        let addr = listener.local_addr().expect("the receiver's address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url: format!("http://{addr}/hook"),
            inbox,
            server,
        }
    }

    /// Every request so far, in arrival order.
    pub fn got(&self) -> Vec<Received> {
        self.inbox.got.lock().expect("the inbox").clone()
    }
}

async fn receive(State(inbox): State<Inbox>, headers: HeaderMap, body: String) -> StatusCode {
    inbox
        .got
        .lock()
        .expect("the inbox")
        .push(Received { headers, body });
    let status = inbox
        .answers
        .lock()
        .expect("the answers")
        .pop_front()
        .unwrap_or(204);
    tokio::time::sleep(inbox.pause).await;
    StatusCode::from_u16(status).expect("a status code")
}
