//! leadpool's storage: ONE [`Store`] for SQLite and PostgreSQL, chosen at runtime by URL.
//!
//! Queries are written once with `$N` placeholders ([`Sql`]); only `dialect` knows which
//! backend it talks to. Every finder takes the organization, so data of one organization
//! cannot be read through another's id.

mod dialect;
mod error;
mod sql;
mod wake;

pub mod backup;
// Bulk seeding for `leadpool bench` writes rows no use case would (no timeline, no
// timers of its own), so it is no part of the store's API unless asked for.
#[cfg(feature = "bench")]
pub mod bench;
#[cfg(feature = "bench")]
pub mod bench_pool;
pub mod bulk;
pub mod calendars;
pub mod claims;
pub mod credentials;
pub mod deliveries;
pub mod leads;
pub mod live;
pub mod offers;
pub mod orgs;
pub mod pools;
pub mod routing;
pub mod sources;
pub mod statuses;
pub mod tasks;
pub mod teams;
pub mod timers;
pub mod users;
pub mod webhooks;

pub use dialect::{Backend, ConnectOptions, Record, Store, Tx, redact, unique_constraints};
pub use error::StoreError;
pub use sql::{Arg, Sql};
pub use wake::{Listener, Signal};

/// Decodes a JSON column written by the store itself.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    column: &str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

/// Encodes a value for a JSON column.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    // Serializing our own plain data types cannot fail; an empty JSON value is never written.
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned())
}
