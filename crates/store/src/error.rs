use std::fmt;

/// What a uniqueness rule refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// A non-deleted integration of the organization already has this name.
    IntegrationName(String),
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::IntegrationName(name) => {
                write!(f, "Custom integration with name '{name}' already exists")
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(Conflict),
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
