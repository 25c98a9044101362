//! The little of Redis's protocol (RESP2) the Redis driver needs: its
//! connection URL, commands out, replies in. A whole client library would
//! cost more to build than these few commands.
use std::io;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use zeroize::Zeroizing;

/// No reply these commands get comes near this; a larger one is not Redis.
const MAX_LEN: usize = 1 << 20;
const MAX_DEPTH: usize = 8;

/// `redis://[user:password@]host[:port][/db]`. The database number is
/// checked but not selected: users and ACLs are server-wide.
#[derive(Debug)]
pub(crate) struct RedisUrl {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<Zeroizing<String>>,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum UrlError {
    /// Not a `redis://` URL.
    Invalid,
    /// `rediss://`: this client has no TLS.
    Tls,
}

pub(crate) fn parse_url(text: &str) -> Result<RedisUrl, UrlError> {
    let url = url::Url::parse(text).map_err(|_| UrlError::Invalid)?;
    match url.scheme() {
        "redis" => {}
        "rediss" => return Err(UrlError::Tls),
        _ => return Err(UrlError::Invalid),
    }
    let host = match url.host().ok_or(UrlError::Invalid)? {
        url::Host::Domain("") => return Err(UrlError::Invalid),
        url::Host::Domain(name) => name.to_owned(),
        url::Host::Ipv4(address) => address.to_string(),
        url::Host::Ipv6(address) => address.to_string(),
    };
    let decode =
        |text: &str| percent_encoding::percent_decode_str(text).decode_utf8().map(|s| s.into_owned());
    let username = match url.username() {
        "" => None,
        name => Some(decode(name).map_err(|_| UrlError::Invalid)?),
    };
    let password = match url.password() {
        None => None,
        Some(password) => Some(Zeroizing::new(decode(password).map_err(|_| UrlError::Invalid)?)),
    };
    let db = url.path().trim_start_matches('/');
    if !db.is_empty() && db.parse::<u32>().is_err() {
        return Err(UrlError::Invalid);
    }
    Ok(RedisUrl { host, port: url.port().unwrap_or(6379), username, password })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    Status(String),
    Error(String),
    Integer(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

pub(crate) struct Connection {
    stream: BufReader<TcpStream>,
}

impl Connection {
    pub(crate) async fn connect(host: &str, port: u16) -> io::Result<Self> {
        Ok(Self { stream: BufReader::new(TcpStream::connect((host, port)).await?) })
    }

    /// Sends one command and reads its reply. The command is built in a
    /// buffer wiped afterwards, as it may hold a password.
    pub(crate) async fn command(&mut self, args: &[&[u8]]) -> io::Result<Reply> {
        let mut out =
            Zeroizing::new(Vec::with_capacity(64 + args.iter().map(|a| a.len() + 16).sum::<usize>()));
        out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for arg in args {
            out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(arg);
            out.extend_from_slice(b"\r\n");
        }
        self.stream.get_mut().write_all(&out).await?;
        self.stream.get_mut().flush().await?;
        read_reply(&mut self.stream, 0).await
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("not a Redis reply: {message}"))
}

async fn read_line(stream: &mut BufReader<TcpStream>) -> io::Result<String> {
    let mut line = Vec::new();
    (&mut *stream).take(MAX_LEN as u64).read_until(b'\n', &mut line).await?;
    if line.is_empty() {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection"));
    }
    let line = line.strip_suffix(b"\r\n").ok_or_else(|| invalid("a line without CRLF"))?;
    String::from_utf8(line.to_vec()).map_err(|_| invalid("a line that is not UTF-8"))
}

/// A length (`$` or `*`): -1 for nil, else at most [`MAX_LEN`].
fn length(text: &str) -> io::Result<Option<usize>> {
    match text.parse::<i64>() {
        Ok(-1) => Ok(None),
        Ok(len) if (0..=MAX_LEN as i64).contains(&len) => Ok(Some(len as usize)),
        _ => Err(invalid("a bad length")),
    }
}

async fn read_reply(stream: &mut BufReader<TcpStream>, depth: usize) -> io::Result<Reply> {
    if depth > MAX_DEPTH {
        return Err(invalid("nested too deep"));
    }
    let line = read_line(stream).await?;
    let (kind, rest) = line.split_at_checked(1).ok_or_else(|| invalid("an empty line"))?;
    match kind {
        "+" => Ok(Reply::Status(rest.to_owned())),
        "-" => Ok(Reply::Error(rest.to_owned())),
        ":" => rest.parse().map(Reply::Integer).map_err(|_| invalid("a bad integer")),
        "$" => {
            let Some(len) = length(rest)? else { return Ok(Reply::Bulk(None)) };
            let mut data = vec![0; len + 2];
            stream.read_exact(&mut data).await?;
            if !data.ends_with(b"\r\n") {
                return Err(invalid("a bulk string without CRLF"));
            }
            data.truncate(len);
            Ok(Reply::Bulk(Some(data)))
        }
        "*" => {
            let Some(len) = length(rest)? else { return Ok(Reply::Array(None)) };
            let mut items = Vec::with_capacity(len.min(64));
            for _ in 0..len {
                items.push(Box::pin(read_reply(stream, depth + 1)).await?);
            }
            Ok(Reply::Array(Some(items)))
        }
        _ => Err(invalid("an unknown reply type")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[test]
    fn urls_with_and_without_credentials() {
        let url = parse_url("redis://admin:p%40ss@cache.internal:6380/3").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("cache.internal", 6380));
        assert_eq!(url.username.as_deref(), Some("admin"));
        assert_eq!(url.password.as_deref().map(String::as_str), Some("p@ss"));
        let bare = parse_url("redis://127.0.0.1").unwrap();
        assert_eq!((bare.host.as_str(), bare.port), ("127.0.0.1", 6379));
        assert!(bare.username.is_none() && bare.password.is_none());
        let password_only = parse_url("redis://:secret@[::1]:6379/").unwrap();
        assert_eq!(password_only.host, "::1");
        assert!(password_only.username.is_none());
        assert_eq!(password_only.password.as_deref().map(String::as_str), Some("secret"));
    }

    #[test]
    fn bad_urls() {
        for url in ["127.0.0.1:6379", "http://host", "redis://host/zero", "redis://host:99999", "redis://"] {
            assert_eq!(parse_url(url).unwrap_err(), UrlError::Invalid, "{url}");
        }
        assert_eq!(parse_url("rediss://host").unwrap_err(), UrlError::Tls);
    }

    /// A server that answers whatever it is sent with `reply`.
    async fn answering(reply: &'static [u8]) -> (u16, tokio::task::JoinHandle<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = vec![0; 1024];
            let n = socket.read(&mut request).await.unwrap();
            socket.write_all(reply).await.unwrap();
            request.truncate(n);
            request
        });
        (port, task)
    }

    #[tokio::test]
    async fn commands_are_sent_as_arrays_of_bulk_strings() {
        let (port, server) = answering(b"+OK\r\n").await;
        let mut connection = Connection::connect("127.0.0.1", port).await.unwrap();
        let reply = connection.command(&[b"ACL", b"DELUSER", b"a b"]).await.unwrap();
        assert_eq!(reply, Reply::Status("OK".into()));
        assert_eq!(server.await.unwrap(), b"*3\r\n$3\r\nACL\r\n$7\r\nDELUSER\r\n$3\r\na b\r\n");
    }

    #[tokio::test]
    async fn every_reply_type_is_read() {
        let cases: [(&'static [u8], Reply); 6] = [
            (b"-NOPERM no\r\n", Reply::Error("NOPERM no".into())),
            (b":42\r\n", Reply::Integer(42)),
            (b"$5\r\nab\r\nc\r\n", Reply::Bulk(Some(b"ab\r\nc".to_vec()))),
            (b"$-1\r\n", Reply::Bulk(None)),
            (
                b"*2\r\n:1\r\n*1\r\n+x\r\n",
                Reply::Array(Some(vec![
                    Reply::Integer(1),
                    Reply::Array(Some(vec![Reply::Status("x".into())])),
                ])),
            ),
            (b"*-1\r\n", Reply::Array(None)),
        ];
        for (bytes, expected) in cases {
            let (port, _server) = answering(bytes).await;
            let mut connection = Connection::connect("127.0.0.1", port).await.unwrap();
            assert_eq!(connection.command(&[b"PING"]).await.unwrap(), expected);
        }
    }

    #[tokio::test]
    async fn malformed_replies_are_errors() {
        let cases: [&'static [u8]; 6] = [
            b"?what\r\n",
            b":x\r\n",
            b"$99999999\r\n",
            b"+OK\n",
            b"",
            b"*9\r\n*9\r\n*9\r\n*9\r\n*9\r\n*9\r\n*9\r\n*9\r\n*9\r\n*9\r\n",
        ];
        for bytes in cases {
            let (port, _server) = answering(bytes).await;
            let mut connection = Connection::connect("127.0.0.1", port).await.unwrap();
            let error = connection.command(&[b"PING"]).await.unwrap_err();
            assert!(
                matches!(error.kind(), io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof),
                "{bytes:?}: {error}"
            );
        }
    }
}
