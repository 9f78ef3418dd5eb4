//! The HTTP API, driven through a running app: every test runs once on SQLite and once on
//! PostgreSQL (`leadpool_testkit::app_test!`; PostgreSQL when `LEADPOOL_TEST_PG_URL` is set).

mod a11y;
mod account;
mod authz_matrix;
mod calendars;
mod directory;
mod errors;
mod fuzz;
mod input;
mod lead_page;
mod leads;
mod live;
mod offer_races;
mod openapi;
mod orgs;
mod pool;
mod pool_races;
mod queue;
mod routing_settings;
mod settings;
mod settings_routing;
mod settings_statuses;
mod settings_time;
mod ui;
