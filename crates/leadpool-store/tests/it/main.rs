//! The store test suite: every test body runs on SQLite and on PostgreSQL.

mod fixtures;

mod backup;
mod calendars;
mod credentials;
mod lead_lists;
mod leads;
mod live;
mod locks;
mod migrations;
mod organizations;
mod routing;
mod search;
mod sources;
mod statistics;
mod statuses_and_pools;
mod teams;
mod users;
mod wal;
