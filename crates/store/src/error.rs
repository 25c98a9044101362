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
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(Conflict),
    /// A conditional write expected another revision; `current` is the
    /// integration's revision now.
    #[error("the integration is at revision {current}")]
    RevisionMismatch { current: i64 },
    /// The database failed; the detail is for the log, never for the client.
    #[error("{context}: {source}")]
    Other {
        context: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StoreError {
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
