//! Use cases against a real database: every test body runs on SQLite and on PostgreSQL.

mod calls;
mod distribution;
mod import;
mod import_duplicates;
mod import_files;
mod import_fuzz;
mod mail;
mod timers;
mod webhooks;
mod work;
