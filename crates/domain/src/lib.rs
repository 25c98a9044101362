//! Patchbay's domain: the types every other crate speaks in.
//!
//! Values are parsed once at the boundary (`EnvVarName::parse`,
//! `FileMode::parse`, ...) so that past it an invalid value cannot exist.
#![forbid(unsafe_code)]

mod credentials;
mod history;
mod integration;
mod names;
mod org;
mod secret;
mod timestamp;

pub use credentials::{
    CredentialEnv, CredentialProvider, DynamicCredential, Lease, LeaseFilter, LeaseState, NewProvider,
    ProviderKind, ProviderName, ProviderRole,
};
pub use history::{
    Approval, ApprovalKind, AuditAction, AuditEvent, AuditFilter, AuditOutcome, Revision, RevisionKind,
    StoredAuditEvent,
};
pub use integration::{
    ConnectionTest, DEFAULT_FILE_MODE, DEFAULT_TEST_TIMEOUT_SECS, FileSpec, Integration, IntegrationConfig,
    IntegrationPatch, IntegrationStatus, ListFilter, NewIntegration,
};
pub use names::{EnvVarName, FileMode, FilePath, ParseError, TestTimeout};
pub use org::{Actor, OrganizationId, Role};
pub use secret::{SecretMeta, SecretName, SecretVersionMeta};
pub use timestamp::{format_timestamp, now_utc};
