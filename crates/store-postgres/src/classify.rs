//! Which PostgreSQL failures mean the database as a whole cannot serve now
//! (503 with `Retry-After`) rather than a failed request (500).
use deadpool_postgres::PoolError;
use patchbay_store::{StoreError, Unavailable};
use tokio_postgres::error::SqlState;

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
