//! The SSRF guard: a webhook is a request the server makes to a URL an
//! admin typed, so it must not become a way into the server's own network
//! (a cloud metadata endpoint, a database on loopback, an internal admin
//! page). A URL is checked when the webhook is created (`check_url`) and
//! again at every delivery, because DNS may have changed since: the
//! delivery client resolves names only through `GuardedResolver`, which
//! hands the connection the addresses it checked and nothing else, so a
//! name cannot be re-pointed between the check and the connect. Loopback,
//! private and other internal ranges pass only when the operator allowed
//! them (`--webhook-allow-private`).
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use url::{Host, Url};

/// The longest a host's resolution may take at creation.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// What the operator says about internal addresses.
const ALLOW_HINT: &str = "an operator can allow such addresses with --webhook-allow-private \
     (PATCHBAY_WEBHOOK_ALLOW_PRIVATE=true)";

/// Why `ip` is not an address webhooks may reach; `None` for a public one.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let kind = match (a, b, c) {
        _ if ip.is_unspecified() || a == 0 => "unspecified",
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_private() => "private (RFC 1918)",
        (100, 64..=127, _) => "shared (CGNAT, 100.64.0.0/10)",
        _ if ip.is_link_local() => "link-local",
        (192, 0, 0) => "IETF protocol",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (198, 18..=19, _) => "benchmarking",
        _ if ip.is_broadcast() => "broadcast",
        _ if ip.is_multicast() => "multicast",
        (240..=255, _, _) => "reserved",
        _ => return None,
    };
    Some(kind)
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    // An IPv4 address carried in IPv6 reaches what the IPv4 address would.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4).map(|_| "IPv4-mapped internal");
    }
    let segments = ip.segments();
    let embedded = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    let kind = match segments {
        _ if ip.is_unspecified() => "unspecified",
        _ if ip.is_loopback() => "loopback",
        [s, ..] if s & 0xfe00 == 0xfc00 => "unique-local (fc00::/7)",
        [s, ..] if s & 0xffc0 == 0xfe80 => "link-local",
        [s, ..] if s & 0xffc0 == 0xfec0 => "site-local",
        [s, ..] if s & 0xff00 == 0xff00 => "multicast",
        [0x2001, 0x0db8, ..] => "documentation",
        // NAT64 and 6to4 lead to the IPv4 address they embed.
        [0x0064, 0xff9b, 0, 0, 0, 0, high, low] if forbidden_v4(embedded(high, low)).is_some() => {
            "NAT64 of an internal"
        }
        [0x2002, high, low, ..] if forbidden_v4(embedded(high, low)).is_some() => "6to4 of an internal",
        // The deprecated IPv4-compatible form (::a.b.c.d).
        [0, 0, 0, 0, 0, 0, high, low] if forbidden_v4(embedded(high, low)).is_some() => {
            "IPv4-compatible internal"
        }
        _ => return None,
    };
    Some(kind)
}

fn refused(host: &str, ip: IpAddr, kind: &str) -> String {
    let what = if host.trim_matches(['[', ']']) == ip.to_string() {
        ip.to_string()
    } else {
        format!("the host {host} is {ip}")
    };
    format!(
        "{what}: {kind} addresses are refused, so that a webhook cannot reach the server's own network; {ALLOW_HINT}"
    )
}

/// The addresses of `host` (a name, not an IP literal), every one of them
/// checked: a name with one internal address among public ones is refused
/// whole, so a round-robin answer cannot sneak one in.
pub async fn resolve(host: &str, allow_private: bool) -> Result<Vec<IpAddr>, String> {
    let lookup = tokio::net::lookup_host((host, 0));
    let found = match tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await {
        Ok(Ok(found)) => found.map(|address| address.ip()).collect::<Vec<_>>(),
        Ok(Err(error)) => return Err(format!("the host {host} could not be resolved: {error}")),
        Err(_) => {
            return Err(format!("the host {host} could not be resolved in {} s", RESOLVE_TIMEOUT.as_secs()));
        }
    };
    if found.is_empty() {
        return Err(format!("the host {host} has no address"));
    }
    if !allow_private
        && let Some((ip, kind)) = found.iter().find_map(|ip| forbidden(*ip).map(|kind| (*ip, kind)))
    {
        return Err(refused(host, ip, kind));
    }
    Ok(found)
}

/// A webhook URL as an admin gave it: `http` or `https`, a host, no user
/// name or password (they would be sent to wherever the URL points and
/// shown to every admin), and a host that is not internal. Resolves the
/// host once; the delivery resolves it again.
pub async fn check_url(raw: &str, allow_private: bool) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|error| format!("not a URL: {error}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("the scheme must be http or https, not {}", url.scheme()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("a webhook URL may not carry a user name or password".into());
    }
    check_host(&url, allow_private).await?;
    Ok(url)
}

/// The URL's host checked: an IP literal as it is, `localhost` as the
/// loopback it names, any other name through DNS.
async fn check_host(url: &Url, allow_private: bool) -> Result<(), String> {
    check_literal(url, allow_private)?;
    match url.host() {
        Some(Host::Domain(name)) => resolve(name, allow_private).await.map(drop),
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => Ok(()),
        None => Err("the URL has no host".into()),
    }
}

/// The checks that need no DNS: an IP literal (which the delivery client
/// connects to without resolving) and `localhost` names. Every delivery
/// runs these before it sends; names go through `GuardedResolver`.
pub fn check_literal(url: &Url, allow_private: bool) -> Result<(), String> {
    if allow_private {
        return Ok(());
    }
    let (host, ip) = match url.host() {
        Some(Host::Ipv4(v4)) => (v4.to_string(), IpAddr::V4(v4)),
        Some(Host::Ipv6(v6)) => (format!("[{v6}]"), IpAddr::V6(v6)),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                return Err(refused(&name, IpAddr::V4(Ipv4Addr::LOCALHOST), "loopback"));
            }
            return Ok(());
        }
        None => return Err("the URL has no host".into()),
    };
    match forbidden(ip) {
        Some(kind) => Err(refused(&host, ip, kind)),
        None => Ok(()),
    }
}

/// The delivery client's only resolver: the addresses it returns are the
/// ones it checked, so the connection goes nowhere else.
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let (host, allow_private) = (name.as_str().to_owned(), self.allow_private);
        Box::pin(async move {
            let found = resolve(&host, allow_private).await?;
            // The port is the URL's; the connector sets it on each address.
            let addresses: Addrs = Box::new(found.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addresses)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(ip: &str) -> Option<&'static str> {
        forbidden(ip.parse().unwrap())
    }

    #[test]
    fn internal_ranges_are_named() {
        for (ip, expected) in [
            ("127.0.0.1", "loopback"),
            ("127.200.0.9", "loopback"),
            ("0.0.0.0", "unspecified"),
            ("10.1.2.3", "private (RFC 1918)"),
            ("172.16.0.1", "private (RFC 1918)"),
            ("172.31.255.255", "private (RFC 1918)"),
            ("192.168.1.1", "private (RFC 1918)"),
            ("100.64.0.1", "shared (CGNAT, 100.64.0.0/10)"),
            ("100.127.255.254", "shared (CGNAT, 100.64.0.0/10)"),
            ("169.254.169.254", "link-local"),
            ("192.0.2.10", "documentation"),
            ("198.51.100.1", "documentation"),
            ("203.0.113.7", "documentation"),
            ("224.0.0.1", "multicast"),
            ("255.255.255.255", "broadcast"),
            ("240.0.0.1", "reserved"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("fc00::1", "unique-local (fc00::/7)"),
            ("fd12:3456::1", "unique-local (fc00::/7)"),
            ("fe80::1", "link-local"),
            ("ff02::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("::ffff:127.0.0.1", "IPv4-mapped internal"),
            ("::ffff:10.0.0.1", "IPv4-mapped internal"),
            ("64:ff9b::a9fe:a9fe", "NAT64 of an internal"),
            ("2002:c0a8:0101::1", "6to4 of an internal"),
        ] {
            assert_eq!(kind(ip), Some(expected), "{ip}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert_eq!(kind(ip), None, "{ip}");
        }
    }

    #[tokio::test]
    async fn urls_are_refused_with_the_reason() {
        let refusal = |raw: &'static str| async move { check_url(raw, false).await.unwrap_err() };
        assert!(refusal("ftp://example.com/").await.contains("scheme must be http or https"));
        assert!(refusal("http://user:pw@example.com/").await.contains("user name or password"));
        assert!(refusal("not a url").await.starts_with("not a URL"));
        let loopback = refusal("http://127.0.0.1:9/hook").await;
        assert!(loopback.starts_with("127.0.0.1: loopback addresses are refused"), "{loopback}");
        assert!(loopback.contains("--webhook-allow-private"), "{loopback}");
        assert!(refusal("http://[::1]/").await.starts_with("::1: loopback addresses"));
        assert!(refusal("http://LocalHost./").await.starts_with("the host localhost is 127.0.0.1: loopback"));
        assert!(refusal("http://api.localhost/").await.contains("loopback"));
        assert!(refusal("http://169.254.169.254/latest/meta-data").await.contains("link-local"));
        assert!(refusal("http://[::ffff:192.168.0.1]/").await.contains("IPv4-mapped internal"));
        // Allowed by the operator: loopback is fine, a bad URL still is not.
        assert!(check_url("http://127.0.0.1:9/hook", true).await.is_ok());
        assert!(check_url("http://localhost:9/hook", true).await.is_ok());
        assert!(check_url("gopher://127.0.0.1/", true).await.is_err());
    }
}
