//! What this crate's unit tests start from.
use patchbay_domain::{IntegrationConfig, IntegrationStatus, NewIntegration, OrganizationId};

pub fn acme() -> OrganizationId {
    OrganizationId::parse("acme").unwrap()
}

/// An active `postgres` integration named `pg`, by nobody in particular.
pub fn new_integration() -> NewIntegration {
    NewIntegration {
        name: "pg".into(),
        integration_type: "postgres".into(),
        description: None,
        config: IntegrationConfig::default(),
        tags: vec![],
        status: IntegrationStatus::Active,
        created_by: None,
        created_by_admin: false,
    }
}
