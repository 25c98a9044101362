//! Expansion bounds: references multiply, so a small config can describe a
//! huge bundle. Nothing past the bounds is built, and the problem names the
//! place where the bound was crossed.
use super::*;
use crate::{Bounds, resolve_within};

/// Seven levels of ten references each: 10^7 copies of `x` from a config of
/// about a kilobyte.
fn bomb() -> Vec<Integration> {
    let mut app = integration("app", "custom").env("L0", "xxxxxxxxxx");
    for level in 1..=7 {
        let previous = format!("${{L{}}}", level - 1);
        app = app.env(&format!("L{level}"), &previous.repeat(10));
    }
    vec![app]
}

#[test]
fn an_expansion_bomb_stops_at_the_value_bound_naming_the_variable() {
    let resolution = resolve(&bomb(), &Vault::default());
    let too_large: Vec<&Problem> =
        resolution.problems.iter().filter(|p| p.kind == ProblemKind::ValueTooLarge).collect();
    assert_eq!(too_large.len(), 1, "{:?}", resolution.problems);
    // L4 would be 100 KiB: the first value past 64 KiB.
    assert_eq!(too_large[0].loc, ["integrations", "app", "config", "env_vars", "L4"]);
    assert!(too_large[0].message.contains("65536 bytes"), "{}", too_large[0].message);
    assert!(!resolution.bundle.env_vars.contains_key("L4"));
    assert!(!resolution.bundle.env_vars.contains_key("L7"), "what references it is left out");
    assert_eq!(resolution.bundle.env_vars["L3"].len(), 10_000);
}

#[test]
fn the_whole_bundle_is_bounded_too() {
    let bounds = Bounds { value_bytes: 64 * 1024, bundle_bytes: 100_000 };
    let chunk = "y".repeat(40_000);
    let integrations = vec![integration("app", "custom").env("A", &chunk).env("B", &chunk).env("C", &chunk)];
    let resolution = resolve_within(&integrations, &Vault::default(), bounds);
    assert_eq!(resolution.problems.len(), 1, "{:?}", resolution.problems);
    let problem = &resolution.problems[0];
    assert_eq!(problem.kind, ProblemKind::BundleTooLarge);
    assert_eq!(problem.loc, ["integrations", "app", "config", "env_vars", "C"]);
    assert!(problem.message.contains("100000 bytes"), "{}", problem.message);

    // Listed secrets and secret files count as well.
    let vault = Vault::with(&[("BIG", &chunk)]);
    let integrations = vec![integration("app", "custom").env("A", &chunk).env("B", &chunk).secret("BIG")];
    let resolution = resolve_within(&integrations, &vault, bounds);
    assert_eq!(resolution.problems.len(), 1, "{:?}", resolution.problems);
    assert_eq!(resolution.problems[0].loc, ["integrations", "app", "config", "secrets", "0"]);
}

#[test]
fn secrets_inserted_by_templates_are_bounded() {
    let bounds = Bounds { value_bytes: 10, bundle_bytes: 1024 };
    let vault = Vault::with(&[("PW", "0123456789")]);
    let integrations = vec![integration("app", "custom").env("URL", "pw={{.secret.PW}}")];
    let resolution = resolve_within(&integrations, &vault, bounds);
    assert_eq!(resolution.problems[0].kind, ProblemKind::ValueTooLarge);
    assert!(!resolution.problems[0].message.contains("0123456789"), "never the value");
}

#[test]
fn bundles_within_the_bounds_are_unchanged() {
    let resolution =
        resolve(&[integration("app", "custom").env("A", "a").env("B", "${A}${A}")], &Vault::default());
    assert!(resolution.problems.is_empty());
    assert_eq!(resolution.bundle.env_vars["B"], "aa");
}
