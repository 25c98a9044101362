use std::fmt::Write;
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
///
/// Digits are written one by one rather than through `format!`: every
/// integration in a list has two timestamps, and the formatting machinery
/// was a measurable part of a list's cost.
pub fn format_timestamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let (year, month, day) = at.to_calendar_date();
    let (hour, minute, second, micros) = at.to_hms_micro();
    let mut out = String::with_capacity(32);
    match u32::try_from(year) {
        Ok(year) if year <= 9999 => digits(&mut out, year, 4),
        // Python has no such years; written as `format!` would.
        _ => write!(out, "{year:04}").expect("writing to a String"),
    }
    for (separator, value) in [('-', u8::from(month)), ('-', day), ('T', hour), (':', minute), (':', second)]
    {
        out.push(separator);
        digits(&mut out, u32::from(value), 2);
    }
    if micros != 0 {
        out.push('.');
        digits(&mut out, micros, 6);
    }
    out.push_str("+00:00");
    out
}

/// The last `width` decimal digits of `value`, zero-padded.
fn digits(out: &mut String, value: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = (value / 10u32.pow(place)) % 10;
        out.push(char::from(b'0' + digit as u8));
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
        assert_eq!(format_timestamp(datetime!(0001-01-01 00:00:00 UTC)), "0001-01-01T00:00:00+00:00");
        assert_eq!(
            format_timestamp(datetime!(9999-12-31 23:59:59.999999 UTC)),
            "9999-12-31T23:59:59.999999+00:00"
        );
        assert_eq!(format_timestamp(datetime!(-0001-06-01 00:00:00 UTC)), "-001-06-01T00:00:00+00:00");
    }

    /// Every field at every width, against the formatting it replaced.
    #[test]
    fn writes_what_format_would() {
        let mut at = datetime!(1999-12-31 23:59:58.999990 UTC);
        for _ in 0..2_000 {
            let expected = {
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
            };
            assert_eq!(format_timestamp(at), expected);
            at += time::Duration::microseconds(131_234_567_891);
        }
    }

    #[test]
    fn now_is_whole_microseconds() {
        assert_eq!(now_utc().nanosecond() % 1_000, 0);
    }
}
