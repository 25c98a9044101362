//! `patchbay serve` options of the audit log.
use clap::Args;
use std::time::Duration;

#[derive(Args, Debug, Clone)]
pub struct AuditArgs {
    /// How long audit events are kept: `90d`, `12w`, `36h`... Older events
    /// are purged at start and every hour.
    #[arg(long, env = "PATCHBAY_AUDIT_RETENTION", default_value = "90d", value_parser = parse_retention)]
    pub audit_retention: Duration,
}

/// `<number><unit>`, unit `s`, `m`, `h`, `d` or `w`; at least one hour, so
/// a typo cannot wipe the log.
fn parse_retention(text: &str) -> Result<Duration, String> {
    let expected = || format!("{text:?} is not a retention period: expected e.g. 90d, 12w or 36h");
    let at = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(expected)?;
    let (number, unit) = text.split_at(at);
    let number: u64 = number.parse().map_err(|_| expected())?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(expected()),
    };
    match number.checked_mul(scale) {
        Some(seconds) if seconds >= 3_600 => Ok(Duration::from_secs(seconds)),
        Some(_) => Err(format!("{text:?}: the audit retention must be at least 1h")),
        None => Err(format!("{text:?}: the audit retention is too large")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_periods() {
        assert_eq!(parse_retention("90d"), Ok(Duration::from_secs(90 * 86_400)));
        assert_eq!(parse_retention("2h"), Ok(Duration::from_secs(7_200)));
        for bad in ["90", "d", "90y", "-1d", "10m", "", "99999999999999999999w"] {
            assert!(parse_retention(bad).is_err(), "{bad}");
        }
    }
}
