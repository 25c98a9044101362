//! What PostgreSQL's failures mean: a name taken (409), the database as a
//! whole unable to serve now (503 with `Retry-After`), or a failed request
//! (500).
use deadpool_postgres::PoolError;
use patchbay_store::{Conflict, StoreError, Unavailable};
use tokio_postgres::error::SqlState;

/// The index that keeps live names unique (see the migration).
const LIVE_NAME_INDEX: &str = "custom_integrations_live_name";

/// A write that broke the live-name unique index is a name conflict;
/// anything else is the database failing.
pub fn write_error(name: &str, context: &'static str) -> impl FnOnce(tokio_postgres::Error) -> StoreError {
    move |e| {
        let live_name = e.code() == Some(&SqlState::UNIQUE_VIOLATION)
            && e.as_db_error().and_then(|db| db.constraint()) == Some(LIVE_NAME_INDEX);
        if live_name {
            StoreError::Conflict(Conflict::IntegrationName(name.to_owned()))
        } else {
            failed(context)(e)
        }
    }
}

/// As `patchbay_store::failed`, with the error classified.
pub fn failed<E>(context: &'static str) -> impl FnOnce(E) -> StoreError
where
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    move |e| StoreError::other(context, e).classify(classify)
}

pub fn classify(error: &StoreError) -> Option<Unavailable> {
    if let Some(PoolError::Timeout(_)) = error.find_source::<PoolError>() {
        return Some(Unavailable::Busy);
    }
    if let Some(PoolError::Closed) = error.find_source::<PoolError>() {
        return Some(Unavailable::Unreachable);
    }
    let postgres = error.find_source::<tokio_postgres::Error>()?;
    if let Some(code) = postgres.code() {
        return classify_state(code);
    }
    // No SQLSTATE: the connection failed, closed or timed out under us.
    let broken = postgres.is_closed() || error.find_source::<std::io::Error>().is_some();
    broken.then_some(Unavailable::Unreachable)
}

fn classify_state(code: &SqlState) -> Option<Unavailable> {
    if *code == SqlState::DISK_FULL {
        Some(Unavailable::Full)
    } else if [SqlState::TOO_MANY_CONNECTIONS, SqlState::INSUFFICIENT_RESOURCES, SqlState::OUT_OF_MEMORY]
        .contains(code)
    {
        Some(Unavailable::Busy)
    } else if [SqlState::ADMIN_SHUTDOWN, SqlState::CRASH_SHUTDOWN, SqlState::CANNOT_CONNECT_NOW]
        .contains(code)
    {
        Some(Unavailable::Unreachable)
    } else {
        None
    }
}
