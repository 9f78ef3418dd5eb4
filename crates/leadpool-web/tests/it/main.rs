//! The HTTP API, driven through a running app: every test runs once on SQLite and once on
//! PostgreSQL (`leadpool_testkit::app_test!`; PostgreSQL when `LEADPOOL_TEST_PG_URL` is set).

mod calendars;
mod directory;
mod errors;
mod leads;
mod orgs;
mod pool;
mod offer_races;
mod pool_races;
mod ui;
