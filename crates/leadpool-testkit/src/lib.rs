//! Test harness shared by every crate's integration tests: a fresh database per test on
//! each backend ([`backend`]), a fake clock ([`clock`]) and a running app ([`app`]).

pub mod backend;

pub use backend::{Backend, TestStore};
