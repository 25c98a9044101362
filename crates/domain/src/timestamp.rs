use time::{OffsetDateTime, UtcOffset};

/// The current time in UTC, truncated to microseconds: the precision both
/// databases keep, so a value reads back exactly as it was written.
pub fn now_utc() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    let micros = now.microsecond();
    now.replace_nanosecond(micros * 1_000).expect("microseconds fit in nanoseconds")
}

/// ISO-8601 with offset, as Python's `datetime.isoformat()` writes it (the
/// reference serializes timestamps that way): microseconds only when non-zero.
pub fn format_timestamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let date = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    match at.microsecond() {
        0 => format!("{date}+00:00"),
        micros => format!("{date}.{micros:06}+00:00"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_like_python_isoformat() {
        assert_eq!(format_timestamp(datetime!(2025-12-16 10:00:00 UTC)), "2025-12-16T10:00:00+00:00");
        assert_eq!(
            format_timestamp(datetime!(2025-12-16 10:00:00.000042 UTC)),
            "2025-12-16T10:00:00.000042+00:00"
        );
        assert_eq!(
            format_timestamp(datetime!(2025-12-16 12:00:00.5 +02:00)),
            "2025-12-16T10:00:00.500000+00:00"
        );
    }

    #[test]
    fn now_is_whole_microseconds() {
        assert_eq!(now_utc().nanosecond() % 1_000, 0);
    }
}
