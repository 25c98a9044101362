//! How integration parts (and a credential provider's roles) are laid into
//! columns, the same for every backend, so a database written by one reads
//! back identically through another.
use crate::StoreError;
use patchbay_domain::{IntegrationConfig, NewProvider};

/// The normalized config as stored: JSON text, keys in the client's order.
pub fn encode_config(config: &IntegrationConfig) -> String {
    serde_json::to_string(config).expect("a config always serializes")
}

pub fn decode_config(text: &str) -> Result<IntegrationConfig, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::other("stored config is unreadable", e))
}

pub fn encode_tags(tags: &[String]) -> String {
    serde_json::to_string(tags).expect("strings always serialize")
}

pub fn decode_tags(text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::other("stored tags are unreadable", e))
}

/// A provider's roles as stored: JSON text, in the order they were written
/// (`sql::provider_from_row` reads them back).
pub fn encode_roles(provider: &NewProvider) -> String {
    serde_json::to_string(&provider.roles).expect("roles always serialize")
}

/// A lease's revocation statements as stored: a JSON array of strings.
pub fn encode_statements(statements: &[String]) -> String {
    serde_json::to_string(statements).expect("strings always serialize")
}

pub fn decode_statements(text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::other("stored statements are unreadable", e))
}

/// Each tag once, in first-seen order: the rows of the tag index.
pub fn distinct_tags(tags: &[String]) -> Vec<&str> {
    let mut seen = Vec::with_capacity(tags.len());
    for tag in tags {
        if !seen.contains(&tag.as_str()) {
            seen.push(tag.as_str());
        }
    }
    seen
}

/// An FTS5 phrase holding `needle` as it is: its double quotes doubled.
pub fn fts_phrase(needle: &str) -> String {
    format!("\"{}\"", needle.replace('"', "\"\""))
}

/// The shortest needle a trigram index can look up: shorter ones have no
/// trigram, so they are matched by reading the rows.
pub const TRIGRAM: usize = 3;

/// A `LIKE ... ESCAPE '\'` pattern matching `needle` anywhere, with the
/// needle's own `%`, `_` and `\` taken literally.
pub fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(contains_pattern("a%b_c\\"), "%a\\%b\\_c\\\\%");
    }

    #[test]
    fn distinct_tags_keep_first_order() {
        let tags: Vec<String> = ["b", "a", "b"].iter().map(|s| s.to_string()).collect();
        assert_eq!(distinct_tags(&tags), ["b", "a"]);
    }
}
