//! Masking secret values in a test's output. A command may print a secret
//! as it is, or encoded on the way (a basic-auth header is base64, a URL
//! carries it percent-encoded, a JSON log escapes it): each of those forms
//! is replaced by `***` too.
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

pub const MASK: &str = "***";

/// Every form in which `secret` may show up in output.
fn forms(secret: &str) -> Vec<String> {
    let bytes = secret.as_bytes();
    let mut forms = vec![secret.to_owned()];
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        forms.push(engine.encode(bytes));
    }
    forms.push(percent_encode(secret, false, true));
    forms.push(percent_encode(secret, false, false));
    forms.push(percent_encode(secret, true, true));
    let json = serde_json::to_string(secret).expect("a string always serializes");
    let json = &json[1..json.len() - 1];
    // Some encoders (PHP, older Java) also escape `/`.
    forms.push(json.replace('/', "\\/"));
    forms.push(json.to_owned());
    forms
}

/// RFC 3986 percent-encoding of everything but unreserved characters;
/// `form` writes spaces as `+` (HTML forms, query strings).
fn percent_encode(value: &str, form: bool, upper: bool) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for &byte in value.as_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(char::from(byte)),
            b' ' if form => out.push('+'),
            _ if upper => out.push_str(&format!("%{byte:02X}")),
            _ => out.push_str(&format!("%{byte:02x}")),
        }
    }
    out
}

/// The secrets' forms, longest first, so a long form is masked whole before
/// a shorter one inside it could break it up.
pub struct Masker {
    patterns: Vec<String>,
}

impl Masker {
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let mut patterns: Vec<String> =
            secrets.into_iter().filter(|s| !s.is_empty()).flat_map(forms).filter(|f| !f.is_empty()).collect();
        patterns.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        patterns.dedup();
        Self { patterns }
    }

    /// The longest form: output kept past the cap by this much still lets a
    /// secret that straddles the cap be masked whole.
    pub fn longest(&self) -> usize {
        self.patterns.first().map_or(0, String::len)
    }

    pub fn mask(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for pattern in &self.patterns {
            if text.contains(pattern.as_str()) {
                text = text.replace(pattern.as_str(), MASK);
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_is_masked() {
        let masker = Masker::new(["p@ss word/\"x\""]);
        let text = "plain p@ss word/\"x\" b64 cEBzcyB3b3JkLyJ4Ig== url p%40ss%20word%2F%22x%22 \
                    form p%40ss+word%2F%22x%22 json p@ss word/\\\"x\\\" end";
        assert_eq!(masker.mask(text), "plain *** b64 *** url *** form *** json *** end");
    }

    #[test]
    fn empty_secrets_mask_nothing() {
        assert_eq!(Masker::new([""]).mask("abc"), "abc");
    }
}
