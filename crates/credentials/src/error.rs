//! What a driver reports when creating or revoking a user failed: the step
//! that failed and the database's own message, with every password it
//! knows of taken out.
use patchbay_domain::ProviderKind;
use std::fmt;
use std::future::Future;
use std::time::Duration;
use zeroize::Zeroizing;

/// Where creating or revoking a user failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The admin connection URL did not parse.
    ConnectionUrl,
    /// The role did not pass [`crate::validate_role`].
    Role,
    /// Connecting or logging in with the admin URL.
    Connect,
    /// Rendering or running the role's creation statement at this index.
    Creation(usize),
    /// Redis: `ACL SETUSER`.
    SetUser,
    /// Starting or committing the creation transaction (PostgreSQL).
    Transaction,
    /// Looking up whether the user exists, or its open connections.
    Lookup,
    /// Taking the lock that makes one lease change at a time (PostgreSQL).
    Lock,
    /// Rendering or running the revocation statement at this index.
    Revocation(usize),
    /// Redis: `ACL DELUSER`.
    DeleteUser,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ConnectionUrl => f.write_str("reading the connection URL"),
            Self::Role => f.write_str("checking the role"),
            Self::Connect => f.write_str("connecting"),
            Self::Creation(index) => write!(f, "creation[{index}]"),
            Self::SetUser => f.write_str("ACL SETUSER"),
            Self::Transaction => f.write_str("the creation transaction"),
            Self::Lookup => f.write_str("looking up the user"),
            Self::Lock => f.write_str("taking Patchbay's advisory lock"),
            Self::Revocation(index) => write!(f, "revocation[{index}]"),
            Self::DeleteUser => f.write_str("ACL DELUSER"),
        }
    }
}

/// Creating or revoking a user failed. The message never holds the admin
/// URL's password nor the generated one: both are replaced by `***`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {step}: {message}")]
pub struct DriverError {
    pub kind: ProviderKind,
    pub step: Step,
    pub message: String,
    /// The step ran out of time (10 s to connect, 30 s for anything else).
    pub timed_out: bool,
}

/// The passwords an error message must not show.
#[derive(Default)]
pub(crate) struct Scrubber {
    secrets: Vec<Zeroizing<String>>,
}

impl Scrubber {
    pub(crate) fn add(&mut self, secret: &str) {
        if !secret.is_empty() && !self.secrets.iter().any(|known| known.as_str() == secret) {
            self.secrets.push(Zeroizing::new(secret.to_owned()));
            // Longest first, so a password containing another is replaced whole.
            self.secrets.sort_by_key(|known| std::cmp::Reverse(known.len()));
        }
    }

    /// The password of a URL as written (percent-encoded) and decoded, when
    /// the URL parses as one; drivers add the password as they read it too.
    pub(crate) fn add_url_password(&mut self, url: &str) {
        if let Some(encoded) = url::Url::parse(url).ok().and_then(|url| url.password().map(str::to_owned)) {
            let encoded = Zeroizing::new(encoded);
            self.add(&encoded);
            let decoded = Zeroizing::new(
                percent_encoding::percent_decode_str(&encoded).decode_utf8_lossy().into_owned(),
            );
            self.add(&decoded);
        }
    }

    pub(crate) fn scrub(&self, message: &str) -> String {
        self.secrets
            .iter()
            .fold(message.to_owned(), |message, secret| message.replace(secret.as_str(), "***"))
    }
}

/// One driver call's kind, timeouts and secrets: turns failures into
/// [`DriverError`]s with scrubbed messages.
pub(crate) struct Session {
    pub(crate) kind: ProviderKind,
    pub(crate) timeouts: Timeouts,
    pub(crate) scrubber: Scrubber,
}

impl Session {
    pub(crate) fn new(kind: ProviderKind, timeouts: Timeouts) -> Self {
        Self { kind, timeouts, scrubber: Scrubber::default() }
    }

    pub(crate) fn fail(&self, step: Step, message: impl fmt::Display) -> DriverError {
        DriverError {
            kind: self.kind,
            step,
            message: self.scrubber.scrub(&message.to_string()),
            timed_out: false,
        }
    }

    /// A URL that does not parse; the parser's message is left out, as it
    /// may quote the URL.
    pub(crate) fn bad_url(&self, expected: &str) -> DriverError {
        self.fail(Step::ConnectionUrl, format!("it does not parse (expected {expected})"))
    }

    /// Runs `future` within `limit`, mapping its error to a message.
    pub(crate) async fn within<T, E>(
        &self,
        step: Step,
        limit: Duration,
        future: impl Future<Output = Result<T, E>>,
        describe: impl FnOnce(E) -> String,
    ) -> Result<T, DriverError> {
        match tokio::time::timeout(limit, future).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(self.fail(step, describe(error))),
            Err(_) => Err(DriverError {
                timed_out: true,
                ..self.fail(step, format!("timed out after {} s", limit.as_secs_f32()))
            }),
        }
    }

    pub(crate) async fn connecting<T, E>(
        &self,
        future: impl Future<Output = Result<T, E>>,
        describe: impl FnOnce(E) -> String,
    ) -> Result<T, DriverError> {
        self.within(Step::Connect, self.timeouts.connect, future, describe).await
    }

    pub(crate) async fn operation<T, E>(
        &self,
        step: Step,
        future: impl Future<Output = Result<T, E>>,
        describe: impl FnOnce(E) -> String,
    ) -> Result<T, DriverError> {
        self.within(step, self.timeouts.operation, future, describe).await
    }
}

/// How long a driver waits, so a dead server cannot hang a resolution.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    pub(crate) connect: Duration,
    pub(crate) operation: Duration,
}

impl Timeouts {
    pub(crate) const DEFAULT: Self =
        Self { connect: Duration::from_secs(10), operation: Duration::from_secs(30) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubbing_replaces_every_secret_longest_first() {
        let mut scrubber = Scrubber::default();
        scrubber.add("abc");
        scrubber.add("abcdef");
        scrubber.add("");
        assert_eq!(scrubber.scrub("x abcdef y abc z"), "x *** y *** z");
    }

    #[test]
    fn a_url_password_is_scrubbed_encoded_and_decoded() {
        let mut scrubber = Scrubber::default();
        scrubber.add_url_password("mysql://root:p%40ss%2Fword@host:3306/db");
        assert_eq!(scrubber.scrub("p%40ss%2Fword and p@ss/word"), "*** and ***");
    }

    #[test]
    fn a_timeout_names_the_step_and_says_it_timed_out() {
        let session = Session::new(ProviderKind::Redis, Timeouts::DEFAULT);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let error = runtime
            .block_on(session.within(
                Step::Creation(2),
                Duration::from_millis(20),
                std::future::pending::<Result<(), String>>(),
                |e| e,
            ))
            .unwrap_err();
        assert!(error.timed_out);
        assert_eq!(error.step, Step::Creation(2));
        assert_eq!(error.to_string(), "redis: creation[2]: timed out after 0.02 s");
    }
}
