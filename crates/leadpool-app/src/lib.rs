//! leadpool's use cases: one function per command, each one transaction, each taking the
//! acting user (whose organization and scope bound everything it can reach) and reading
//! the time from the injected [`Clock`].

mod error;
mod group_commit;
mod intake;
mod load;
mod setup;
mod transitions;

pub mod auth;
pub mod bootstrap;
pub mod calendars;
pub mod clock;
pub mod deliver;
pub mod directory;
pub mod distribute;
pub mod import;
pub mod leads;
pub mod live;
pub mod mail;
pub mod models;
pub mod offers;
pub mod page;
pub mod pool;
pub mod routing_settings;
pub mod secret;
pub mod statuses;
pub mod tasks;
mod throttle;
pub mod timers;
pub mod webhooks;
pub mod wording;

use std::sync::Arc;
use std::time::Duration;

pub use auth::{Member, Principal};
pub use clock::{Clock, SystemClock};
pub use error::AppError;
use leadpool_domain::Timestamp;
use leadpool_store::Store;

/// Settings the use cases need (the validated subset of the configuration).
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a browser session lasts.
    pub session_ttl: Duration,
    /// SHA-256 digest of the operator token, if one is configured.
    pub operator_token_digest: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            session_ttl: Duration::from_secs(12 * 3600),
            operator_token_digest: None,
        }
    }
}

/// The application: the store, the clock and the settings, cheap to clone.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: Arc<dyn Clock>,
    settings: Settings,
    /// Wakes this process's timer scheduler when a timer may now fall due earlier.
    timer_wake: tokio::sync::Notify,
    /// Members recently authenticated by API token, by token digest (see `auth`).
    members: std::sync::Mutex<auth::MemberCache>,
    /// The group-commit claim writer, started by the first claim.
    claims: group_commit::Writer<pool::ClaimRequest>,
    /// Organizations' routing setups, kept while current (see `setup`).
    setups: setup::Setups,
    /// The group-commit writer of new leads, started by the first.
    new_leads: group_commit::Writer<intake::NewLeadRequest>,
    /// The outbox reader and the open live streams (see `live`).
    live: live::Hub,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("backend", &self.inner.store.backend())
            .field("settings", &self.inner.settings)
            .finish()
    }
}

impl App {
    /// An app over `store`, reading time from `clock`.
    pub fn new(store: Store, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        install_tls();
        Self {
            inner: Arc::new(Inner {
                store,
                clock,
                settings,
                timer_wake: tokio::sync::Notify::new(),
                members: std::sync::Mutex::default(),
                claims: group_commit::Writer::default(),
                new_leads: group_commit::Writer::default(),
                setups: setup::Setups::default(),
                live: live::Hub::default(),
            }),
        }
    }

    /// The store; only the use cases reach it.
    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Whether the database answers: `Err` with the reason when it does not.
    pub async fn health(&self) -> Result<(), AppError> {
        self.store()
            .ping()
            .await
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// The current instant, from the injected clock.
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// How long a browser session lasts, in seconds (for the cookie's Max-Age).
    pub fn store_session_ttl_secs(&self) -> u64 {
        self.inner.settings.session_ttl.as_secs()
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.inner.settings
    }
}

/// Makes ring the process's TLS provider, for HTTPS webhooks and SMTP over TLS (and any
/// HTTP client the process builds, which refuses to build without one). Idempotent: the
/// first call wins and later ones change nothing.
#[allow(
    deprecated,
    reason = "ring lacks post-quantum key exchange; aws-lc-rs, which has it, costs a long C build, and webhooks and SMTP need TLS 1.2/1.3 interoperability, not that"
)]
pub fn install_tls() {
    // An error only says a provider is already installed, which is what is wanted.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
