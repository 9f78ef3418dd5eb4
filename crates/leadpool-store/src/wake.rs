//! Waking whoever waits for new outbox events or timers, right after the commit that wrote
//! them. In one process a watch channel carries it (a transaction that wrote events bumps it
//! after a successful commit); across instances on PostgreSQL the triggers of migration 0017
//! NOTIFY at commit, and [`Listener`] hears them. A wake carries no rows: the woken re-read
//! the tables, so a wake missed or doubled costs a read, never an event.

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::watch;

use crate::StoreError;

/// The channel the outbox trigger notifies.
const OUTBOX_CHANNEL: &str = "leadpool_outbox";
/// The channel the timers trigger notifies.
const TIMERS_CHANNEL: &str = "leadpool_timers";

/// This process's wake-up signal for committed outbox events: a counter that only grows.
#[derive(Debug)]
pub(crate) struct Wake {
    events: watch::Sender<u64>,
}

impl Default for Wake {
    fn default() -> Self {
        Self {
            events: watch::Sender::new(0),
        }
    }
}

impl Wake {
    /// Called after a commit that wrote outbox events.
    pub(crate) fn events_committed(&self) {
        self.events.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that sees every later bump.
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.events.subscribe()
    }
}

/// What another instance (or this one) committed, as PostgreSQL told us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Outbox events were committed.
    Events,
    /// Timers were set.
    Timers,
    /// The connection dropped and came back: notifications in between are lost, so
    /// everything is worth re-reading.
    Reconnected,
}

/// A LISTEN connection to PostgreSQL for the outbox and timer channels.
#[derive(Debug)]
pub struct Listener {
    inner: PgListener,
}

impl Listener {
    pub(crate) async fn connect(pool: &PgPool) -> Result<Self, StoreError> {
        let mut inner = PgListener::connect_with(pool)
            .await
            .map_err(StoreError::from_sqlx)?;
        inner
            .listen_all([OUTBOX_CHANNEL, TIMERS_CHANNEL])
            .await
            .map_err(StoreError::from_sqlx)?;
        Ok(Self { inner })
    }

    /// Waits for the next signal. The listener reconnects by itself after a dropped
    /// connection and says so, as notifications sent meanwhile are gone.
    pub async fn recv(&mut self) -> Result<Signal, StoreError> {
        match self.inner.try_recv().await.map_err(StoreError::from_sqlx)? {
            None => Ok(Signal::Reconnected),
            Some(n) if n.channel() == TIMERS_CHANNEL => Ok(Signal::Timers),
            Some(_) => Ok(Signal::Events),
        }
    }
}
