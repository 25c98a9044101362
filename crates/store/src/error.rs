use std::fmt;

/// What a uniqueness rule refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// A non-deleted integration of the organization already has this name.
    IntegrationName(String),
    /// The vault's data keys are wrapped under another master key than the
    /// writer's: the key was rotated while this process ran.
    MasterKeyChanged,
    /// A worker reported a result for a job it no longer holds: the job
    /// finished, or was handed to another worker after missed heartbeats.
    JobNotHeld,
    /// A credential provider cannot be deleted while leases it made may
    /// still have a user in the database.
    LiveLeases { provider: String, count: u64 },
    /// Only an `active` lease before its expiry can be renewed.
    LeaseNotActive { state: String },
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::IntegrationName(name) => {
                write!(f, "Custom integration with name '{name}' already exists")
            }
            Self::MasterKeyChanged => f.write_str(
                "the vault's master key was rotated while this server ran; restart it with the new key",
            ),
            Self::JobNotHeld => f.write_str(
                "this worker no longer holds the job: it already has a result, or it was handed to \
                 another worker after this one missed its heartbeats",
            ),
            Self::LiveLeases { provider, count } => write!(
                f,
                "credential provider '{provider}' has {count} lease(s) not yet revoked; revoke them \
                 (DELETE /api/v1/leases/{{id}}) or wait for them to expire, then delete it"
            ),
            Self::LeaseNotActive { state } => {
                write!(f, "the lease is {state}: only an active lease before its expiry can be renewed")
            }
        }
    }
}

/// What a store call did not find: named, so the HTTP layer maps each to
/// its one message in one place and no route re-maps a "not found".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// The integration (of this organization) does not exist.
    Integration,
    /// The integration exists, but not this revision of it.
    Revision(i64),
    /// The organization has no secret of this name.
    Secret(String),
    /// The connection test (job) does not exist, or is not this worker's.
    Job,
    /// The worker does not exist, or acts for another scope.
    Worker,
    /// The organization has no credential provider of this name.
    Provider(String),
    /// The organization has no lease of this id.
    Lease,
    /// The organization has no webhook of this id.
    Webhook,
    /// An internal record the store expected (a data key, the fingerprint).
    Record(&'static str),
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Integration => f.write_str("integration"),
            Self::Revision(n) => write!(f, "revision {n}"),
            Self::Secret(name) => write!(f, "secret {name}"),
            Self::Job => f.write_str("connection test"),
            Self::Worker => f.write_str("worker"),
            Self::Provider(name) => write!(f, "credential provider {name}"),
            Self::Lease => f.write_str("lease"),
            Self::Webhook => f.write_str("webhook"),
            Self::Record(what) => f.write_str(what),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(Missing),
    #[error("{0}")]
    Conflict(Conflict),
    /// A conditional write expected another revision; `current` is the
    /// integration's revision now.
    #[error("the integration is at revision {current}")]
    RevisionMismatch { current: i64 },
    /// The database cannot serve now, though it may soon: a retry later is
    /// the answer, not a fix. The source is for the log.
    #[error("the database is unavailable ({reason}): {source}")]
    Unavailable {
        reason: Unavailable,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The database failed; the detail is for the log, never for the client.
    #[error("{context}: {source}")]
    Other {
        context: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Why the database cannot serve; each backend classifies its own errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// No connection to it, or the one in use broke (or its file is gone).
    Unreachable,
    /// It answers too slowly: no connection (or the writer) came in time,
    /// or too many requests already wait for one.
    Busy,
    /// Its disk is full: reads work, writes fail until space is freed.
    Full,
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unreachable => "unreachable",
            Self::Busy => "busy",
            Self::Full => "disk full",
        })
    }
}

impl StoreError {
    pub fn unavailable(
        reason: Unavailable,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Unavailable { reason, source: source.into() }
    }

    /// The driver error behind `Other`, of type `E`, wherever it is in the
    /// chain: how a backend classifies what its own driver reported.
    pub fn find_source<E: std::error::Error + 'static>(&self) -> Option<&E> {
        let Self::Other { source, .. } = self else { return None };
        let mut current: Option<&(dyn std::error::Error + 'static)> = Some(source.as_ref());
        while let Some(error) = current {
            if let Some(found) = error.downcast_ref::<E>() {
                return Some(found);
            }
            current = error.source();
        }
        None
    }

    /// `Unavailable` for the reason `classify` finds in an `Other`; any
    /// other error as it was.
    pub fn classify(self, classify: impl FnOnce(&Self) -> Option<Unavailable>) -> Self {
        match (classify(&self), self) {
            (Some(reason), Self::Other { context, source }) => {
                Self::unavailable(reason, format!("{context}: {source}"))
            }
            (_, error) => error,
        }
    }

    pub fn other(context: &'static str, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Other { context, source: source.into() }
    }
}

/// For `map_err` on a database call: whatever the driver's error, it
/// becomes `StoreError::Other` with `context`, for the log.
pub fn failed<E>(context: &'static str) -> impl FnOnce(E) -> StoreError
where
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    move |e| StoreError::other(context, e)
}
