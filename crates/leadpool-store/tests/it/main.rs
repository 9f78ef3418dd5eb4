//! The store test suite: every test body runs on SQLite and on PostgreSQL.

mod migrations;
mod smoke;
