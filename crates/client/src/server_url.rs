//! A server's base URL as people type it. `127.0.0.1:8080` means
//! `http://127.0.0.1:8080`; anything that cannot be a base URL is refused
//! here, as malformed, before a request could fail as "unreachable".
use reqwest::Url;

/// The base URL to give `Client::new`: a scheme added when there is none,
/// trailing slashes removed. The error says what is wrong with `text`.
pub fn parse_server_url(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("is empty: expected e.g. http://127.0.0.1:8080".to_owned());
    }
    let lower = trimmed.to_ascii_lowercase();
    if !trimmed.contains("://") && (lower.starts_with("http:") || lower.starts_with("https:")) {
        return Err(format!("{text:?} is not a valid URL (`//` missing after the scheme)"));
    }
    let with_scheme = if trimmed.contains("://") { trimmed.to_owned() } else { format!("http://{trimmed}") };
    let url = Url::parse(&with_scheme).map_err(|error| {
        format!("{text:?} is not a valid URL ({error}): expected e.g. http://127.0.0.1:8080")
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{text:?}: the scheme must be http or https, not {:?}", url.scheme()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{text:?} names no host: expected e.g. http://127.0.0.1:8080"));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(format!("{text:?}: a server URL holds no query, fragment or user name"));
    }
    // `Url` normalises (`HTTP://Host/` → `http://host/`); the path is kept
    // for servers behind a prefix.
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::parse_server_url;

    #[test]
    fn a_missing_scheme_means_http() {
        assert_eq!(parse_server_url("127.0.0.1:8080").unwrap(), "http://127.0.0.1:8080");
        assert_eq!(parse_server_url("localhost:8080/").unwrap(), "http://localhost:8080");
        assert_eq!(parse_server_url(" https://pb.example/api/ ").unwrap(), "https://pb.example/api");
        assert_eq!(parse_server_url("http://[::1]:8080").unwrap(), "http://[::1]:8080");
    }

    #[test]
    fn malformed_urls_are_refused_as_such() {
        for bad in ["", "http://", "ftp://host", "http://host:99999", "http://a b", "http://h/?x=1", "http:/"]
        {
            let error = parse_server_url(bad).unwrap_err();
            assert!(!error.is_empty(), "{bad}");
        }
        assert!(parse_server_url("ftp://host").unwrap_err().contains("http or https"));
    }
}
