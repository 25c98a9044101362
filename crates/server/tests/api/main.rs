//! Patchbay's HTTP API tests: one binary, every case on SQLite and (when
//! `PATCHBAY_TEST_DATABASE_URL` is set) on PostgreSQL.
mod harness;
mod matching;

mod approval;
mod audit;
mod auth;
mod bounds;
mod by_name;
mod concurrency;
mod connection_tests;
mod console;
mod console_sessions;
mod credentials;
mod health;
mod history;
mod http_details;
mod mcp;
mod openapi;
mod reference_session;
mod reference_validation;
mod resolve;
mod restart;
mod secrets;
mod strict_validation;
mod templates;
mod tenancy;
mod write_audit;

mod extra_server;
mod limits;
mod observability;
mod readiness;
mod replicas;
mod tcp_proxy;
mod unavailable;
mod webhooks;
