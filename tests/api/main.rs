//! Integration tests: one binary, a fresh database per test, on SQLite and — when
//! `PAICHA_TEST_POSTGRES_URL` is set — on PostgreSQL too.

mod helpers;

mod access;
mod access_matrix;
mod aggregates;
mod analyst_questions;
mod audit_beside_imports;
mod bulk;
mod cli;
mod concurrency;
mod dashboards;
mod decisions;
mod demo_followup;
mod exchange;
mod exchange_pull;
mod exports;
mod exposure;
mod febrl;
mod followup;
mod golden;
mod graphiql;
mod graphql_http;
mod hostile;
mod incremental;
mod intake;
mod letters;
mod letters_access;
mod limits;
mod location;
mod location_accuracy;
mod masking;
mod notices;
mod oracles;
mod persisted;
mod queries;
mod refusals;
mod register;
mod reports;
mod review_queue;
mod schema;
mod search;
mod storage;
mod subscriptions;
mod synth;
mod websocket_access;
