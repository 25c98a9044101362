//! Creating and revoking users on the real servers beside the tests:
//! PostgreSQL, MariaDB and Redis. Each test uses its own names, so they run
//! in parallel against one server.
mod mysql;
mod postgres;
mod redis;
mod support;
