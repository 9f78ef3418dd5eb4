//! Test harness shared by every crate's integration tests: a fresh database per test on
//! each backend ([`backend`]), a fake clock ([`clock`]), a running app ([`app`]), a webhook
//! receiver ([`receiver`]) and checks of PRODUCT.md's invariants over a whole database
//! ([`invariants`]).

pub mod app;
pub mod backend;
pub mod clock;
pub mod distribution;
pub mod invariants;
pub mod receiver;

pub use app::{Answer, TestApp, TestUser};
pub use backend::{Backend, TestStore};
pub use clock::FakeClock;

/// Runs a test body once on SQLite and once on PostgreSQL against a running app, as two
/// tests named `NAME::sqlite` and `NAME::postgres`. The body gets a fresh [`TestApp`].
#[macro_export]
macro_rules! app_test {
    ($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports, reason = "the body may use anything the test file imports")]
            use super::*;

            async fn body($app: $crate::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = $crate::TestApp::spawn($crate::Backend::Sqlite).await {
                    body(app).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::TestApp::spawn($crate::Backend::Postgres).await {
                    body(app).await;
                }
            }
        }
    };
}
