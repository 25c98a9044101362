//! Timestamps are stored as microseconds since the epoch (UTC): they sort
//! as integers and keep exactly the precision `now_utc` produces.
use time::OffsetDateTime;

pub fn micros(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000) as i64
}

pub fn from_micros(micros: i64) -> rusqlite::Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}
