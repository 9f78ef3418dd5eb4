//! The leadpool binary's library half: the command line, configuration, and the wiring of
//! store, app and web for each command.

pub mod admin;
pub mod backup;
pub mod bench;
pub mod bench_claim;
pub mod bench_lists;
pub mod bench_live;
pub mod bench_pool_view;
pub mod bench_route;
pub mod calendar_cmd;
pub mod cli;
pub mod config;
pub mod demo;
pub mod demo_data;
pub mod duration;
pub mod run;
pub mod serve;
