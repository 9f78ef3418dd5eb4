//! Group commit: requests that each write a few rows wait in a queue, and one writer task
//! takes all that are waiting and writes them in one transaction. One commit (and one
//! reading of what they share) serves many requests, which is what lets claims and intake
//! outrun a transaction per request on SQLite's single writer.
//!
//! Each request is still decided on its own, against the state the batch has left. If the
//! batch fails as a whole (a conflict with another instance, a bad row), each request is
//! written again alone, so one bad request cannot fail the others.

use std::future::Future;
use std::sync::{Arc, OnceLock, Weak};

use leadpool_store::Backend;
use tokio::sync::{mpsc, oneshot};

use crate::{App, AppError, Inner};

/// A request the group-commit writer may write together with others.
pub(crate) trait Batched: Send + Sync + Sized + 'static {
    /// What the request's caller gets back.
    type Answer: Send + 'static;
    /// The most work (see [`Batched::weight`]) one transaction takes.
    const MAX_WEIGHT: usize;

    /// How much of a batch it takes (the leads it writes).
    fn weight(&self) -> usize;

    /// Writes the requests in one transaction: an answer for each, or an error when the
    /// transaction failed as a whole (nothing was written).
    fn write(
        app: &App,
        batch: &[&Self],
    ) -> impl Future<Output = Result<Vec<Result<Self::Answer, AppError>>, AppError>> + Send;
}

struct Queued<R: Batched> {
    request: R,
    reply: oneshot::Sender<Result<R::Answer, AppError>>,
}

/// A group-commit writer of one kind of request, started on first use; it ends when the
/// app is dropped.
pub(crate) struct Writer<R: Batched> {
    queue: OnceLock<mpsc::UnboundedSender<Queued<R>>>,
}

impl<R: Batched> Default for Writer<R> {
    fn default() -> Self {
        Self {
            queue: OnceLock::new(),
        }
    }
}

impl<R: Batched> Writer<R> {
    /// Queues a request and waits for its answer.
    pub(crate) async fn submit(&self, app: &App, request: R) -> Result<R::Answer, AppError> {
        let queue = self
            .queue
            .get_or_init(|| start::<R>(Arc::downgrade(&app.inner), app.store().backend()));
        let (reply, answer) = oneshot::channel();
        queue
            .send(Queued { request, reply })
            .map_err(|_| AppError::Internal("the writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| AppError::Internal("the writer dropped a request".into()))?
    }
}

fn start<R: Batched>(inner: Weak<Inner>, backend: Backend) -> mpsc::UnboundedSender<Queued<R>> {
    let (tx, rx) = mpsc::unbounded_channel::<Queued<R>>();
    // On SQLite the writer gets a thread and a runtime of its own. It runs one statement
    // after another on the single write connection, and each answer, like the spawned task
    // that hands the connection back to the pool after a commit, would otherwise wait its
    // turn behind every HTTP task; that wait adds to every request in the batch. SQLite's
    // connections are threads and channels, not sockets, so nothing else is bound to that
    // runtime. PostgreSQL's sockets must stay on the app's runtime.
    let own = match backend {
        Backend::Sqlite => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .inspect_err(|e| tracing::warn!(error = %e, "no runtime of its own for a writer"))
            .ok(),
        Backend::Postgres => None,
    };
    let work = serve(inner, rx);
    match own {
        Some(runtime) => {
            let spawned = std::thread::Builder::new()
                .name("leadpool-writer".into())
                .spawn(move || runtime.block_on(work));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a writer thread; its requests fail");
            }
        }
        None => drop(tokio::spawn(work)),
    }
    tx
}

/// Takes every request waiting (up to the batch's weight) and writes them together, until
/// the app is dropped.
async fn serve<R: Batched>(inner: Weak<Inner>, mut rx: mpsc::UnboundedReceiver<Queued<R>>) {
    while let Some(first) = rx.recv().await {
        let mut weight = first.request.weight();
        let mut batch = vec![first];
        while weight < R::MAX_WEIGHT {
            match rx.try_recv() {
                Ok(q) => {
                    weight += q.request.weight();
                    batch.push(q);
                }
                Err(_) => break,
            }
        }
        let Some(inner) = inner.upgrade() else { break };
        write_batch(&App { inner }, batch).await;
    }
}

async fn write_batch<R: Batched>(app: &App, batch: Vec<Queued<R>>) {
    let requests: Vec<&R> = batch.iter().map(|q| &q.request).collect();
    match R::write(app, &requests).await {
        Ok(answers) => {
            for (q, a) in batch.into_iter().zip(answers) {
                // A client that went away no longer needs its answer.
                let _ = q.reply.send(a);
            }
        }
        Err(e) if batch.len() > 1 => {
            tracing::warn!(error = %e, requests = batch.len(), "a batch failed; writing its requests one by one");
            for q in batch {
                let alone = match R::write(app, &[&q.request]).await {
                    Ok(mut a) => a
                        .pop()
                        .unwrap_or_else(|| Err(AppError::Internal("no answer".into()))),
                    Err(e) => Err(e),
                };
                let _ = q.reply.send(alone);
            }
        }
        Err(e) => {
            if let Some(q) = batch.into_iter().next() {
                let _ = q.reply.send(Err(e));
            }
        }
    }
}
