//! "Did you mean": the known word closest to a mistyped one.

/// How alike two words must be (Jaro-Winkler, 0 to 1) to be suggested:
/// catches a missing, extra or swapped letter and a forgotten suffix
/// (`tag` for `tags`, `orders` for `orders-db`), not unrelated words.
const ALIKE: f64 = 0.8;

/// The candidate most like `word`, if any is alike enough; case is ignored.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(&word, &candidate.to_lowercase()), candidate))
        .filter(|(score, _)| *score >= ALIKE)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// `; did you mean "x"?` when one of `candidates` is close to `word`.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates).map(|found| format!("; did you mean {found:?}?")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn near_misses_are_found_and_strangers_are_not() {
        let keys = ["env_vars", "secrets", "files", "context_prompt", "connection_test", "tags"];
        for (typo, meant) in [
            ("env_var", "env_vars"),
            ("conection_test", "connection_test"),
            ("tag", "tags"),
            ("secret", "secrets"),
            ("Files", "files"),
        ] {
            assert_eq!(closest(typo, keys), Some(meant), "{typo}");
        }
        assert_eq!(closest("orders", ["orders-db", "cache"]), Some("orders-db"));
        assert_eq!(closest("zzz", keys), None);
        assert_eq!(closest("x", std::iter::empty()), None);
    }
}
