//! Which column holds which field, for every table the backends read: the
//! column lists to select, and the readers that turn a row selected with
//! one of them into a domain value. Both schemas name their columns alike.
use super::Columns;
use crate::codec::{decode_config, decode_statements, decode_tags};
use crate::{
    Current, DueTest, HealthState, IntegrationHealth, Job, JobStatus, SealedBlob, StoreError,
    StoredIntegration, StoredRow, Worker, WorkerScope,
};
use patchbay_domain::{
    Approval, ApprovalKind, AuditAction, AuditEvent, AuditOutcome, CredentialProvider, Integration,
    IntegrationStatus, Lease, LeaseState, OrganizationId, ProviderKind, ProviderName, Revision, RevisionKind,
    SecretMeta, SecretName, SecretVersionMeta, StoredAuditEvent,
};
use uuid::Uuid;

/// The integration columns, each prefixed with `$table` (`""` or `"i."`).
macro_rules! integration_columns {
    ($table:literal) => {
        concat!(
            $table,
            "seq, ",
            $table,
            "id, ",
            $table,
            "organization_id, ",
            $table,
            "name, ",
            $table,
            "integration_type, ",
            $table,
            "description, ",
            $table,
            "status, ",
            $table,
            "config, ",
            $table,
            "tags, ",
            $table,
            "created_at, ",
            $table,
            "updated_at, ",
            $table,
            "created_by, ",
            $table,
            "revision"
        )
    };
}

/// An integration row and its `seq` (which keys its tags and revisions).
pub const INTEGRATION_COLUMNS: &str = integration_columns!("");

/// `INTEGRATION_COLUMNS` of `i`, where a join makes names ambiguous.
pub const INTEGRATION_COLUMNS_OF_I: &str = integration_columns!("i.");

/// An integration as a write finds it (`Current`): `INTEGRATION_COLUMNS` of
/// `i`, then the approval of its current revision `r`, from `CURRENT_FROM`.
pub const CURRENT_COLUMNS: &str = concat!(
    integration_columns!("i."),
    ", r.approval_kind, r.approved_revision, r.approved_by, r.approved_at"
);

pub const CURRENT_FROM: &str = "custom_integrations i LEFT JOIN integration_revisions r \
     ON r.integration_seq = i.seq AND r.revision = i.revision";

pub const REVISION_COLUMNS: &str = "revision, kind, actor, recorded_at, restored_from, name, \
     integration_type, description, status, config, tags, created_at, updated_at, created_by, \
     approval_kind, approved_revision, approved_by, approved_at";

pub const AUDIT_COLUMNS: &str = "seq, organization_id, occurred_at, actor, actor_role, action, \
     resource_type, resource_id, outcome, request_id, detail";

/// A secret's metadata (never its value).
pub const SECRET_COLUMNS: &str = "name, description, current_version, created_at, updated_at, created_by";

/// A secret's current version and its sealed value, from `secrets s` joined
/// with `secret_versions v`.
pub const SECRET_VALUE_COLUMNS: &str = "s.name, v.version, v.nonce, v.ciphertext";

/// A secret's version, from `secret_versions v`.
pub const SECRET_VERSION_COLUMNS: &str = "v.version, v.created_at, v.created_by";

pub const DATA_KEY_COLUMNS: &str = "organization_id, nonce, wrapped_key";

/// An integration's health row.
pub const HEALTH_COLUMNS: &str =
    "organization_id, integration_id, state, since, consecutive_failures, last_job_id, updated_at";

pub const JOB_COLUMNS: &str = "id, organization_id, integration_id, integration_name, integration_type, \
     revision, config, status, attempts, worker_id, exit_code, duration_ms, output, created_at, \
     created_by, started_at, finished_at";

pub const WORKER_COLUMNS: &str = "id, organization_id, name, registered_at, last_heartbeat_at";

pub const PROVIDER_COLUMNS: &str = "organization_id, name, kind, connection_secret, default_ttl_seconds, \
     max_ttl_seconds, roles, created_at, updated_at, created_by, updated_by";

pub const LEASE_COLUMNS: &str = "id, organization_id, provider, role, kind, connection_secret, revocation, \
     username, integration_id, integration_name, job_id, state, created_at, expires_at, max_expires_at, \
     revoked_at, revoke_attempts, next_attempt_at, last_error, created_by";

/// A stored word read back through its domain parser; a word the parser
/// refuses means the row was not written by this code.
fn parsed<T>(
    text: String,
    parse: impl FnOnce(&str) -> Option<T>,
    what: &'static str,
) -> Result<T, StoreError> {
    parse(&text).ok_or_else(|| StoreError::other(what, text))
}

fn organization(text: String) -> Result<OrganizationId, StoreError> {
    parsed(text, OrganizationId::parse, "stored organization")
}

/// A row selected as `INTEGRATION_COLUMNS`, and its `seq`.
pub fn integration_from_row(row: &dyn Columns) -> Result<(i64, Integration), StoreError> {
    let (seq, stored) = stored_integration_from_row(row)?;
    Ok((seq, stored.decode()?))
}

/// A row selected as `INTEGRATION_COLUMNS`, config and tags left as stored,
/// and its `seq`.
pub fn stored_integration_from_row(row: &dyn Columns) -> Result<(i64, StoredIntegration), StoreError> {
    let (seq, stored) = stored_row_from_row(row)?;
    Ok((seq, stored.to_owned()?))
}

fn status(text: &str) -> Result<IntegrationStatus, StoreError> {
    IntegrationStatus::parse(text).ok_or_else(|| StoreError::other("stored status", text.to_owned()))
}

/// A row selected as `INTEGRATION_COLUMNS`, borrowed, and its `seq`.
pub fn stored_row_from_row(row: &dyn Columns) -> Result<(i64, StoredRow<'_>), StoreError> {
    let stored = StoredRow {
        id: row.uuid(1)?,
        organization_id: row.str(2)?,
        name: row.str(3)?,
        integration_type: row.str(4)?,
        description: row.str_opt(5)?,
        status: status(row.str(6)?)?,
        config_json: row.str(7)?,
        tags_json: row.str(8)?,
        created_at: row.time(9)?,
        updated_at: row.time(10)?,
        created_by: row.str_opt(11)?,
        revision: row.int(12)?,
    };
    Ok((row.int(0)?, stored))
}

/// A row selected as `CURRENT_COLUMNS`, and its `seq`.
pub fn current_from_row(row: &dyn Columns) -> Result<(i64, Current), StoreError> {
    let (seq, integration) = integration_from_row(row)?;
    Ok((seq, Current { integration, approval: approval_from_row(row, 13)? }))
}

/// The approval in the four columns from `first` (`approval_kind`,
/// `approved_revision`, `approved_by`, `approved_at`);
/// `None`: not approved.
fn approval_from_row(row: &dyn Columns, first: usize) -> Result<Option<Approval>, StoreError> {
    let Some(kind) = row.text_opt(first)? else { return Ok(None) };
    Ok(Some(Approval {
        kind: parsed(kind, ApprovalKind::parse, "stored approval kind")?,
        revision: row.int(first + 1)?,
        by: row.text_opt(first + 2)?,
        at: row.time(first + 3)?,
    }))
}

/// A row selected as `REVISION_COLUMNS` of integration `id`.
pub fn revision_from_row(id: Uuid, org: &OrganizationId, row: &dyn Columns) -> Result<Revision, StoreError> {
    Ok(Revision {
        kind: parsed(row.text(1)?, RevisionKind::parse, "stored revision kind")?,
        actor: row.text_opt(2)?,
        created_at: row.time(3)?,
        restored_from: row.int_opt(4)?,
        approval: approval_from_row(row, 14)?,
        snapshot: Integration {
            id,
            organization_id: org.clone(),
            name: row.text(5)?,
            integration_type: row.text(6)?,
            description: row.text_opt(7)?,
            status: parsed(row.text(8)?, IntegrationStatus::parse, "stored status")?,
            config: decode_config(&row.text(9)?)?,
            tags: decode_tags(&row.text(10)?)?,
            created_at: row.time(11)?,
            updated_at: row.time(12)?,
            created_by: row.text_opt(13)?,
            revision: row.int(0)?,
        },
    })
}

/// A row selected as `AUDIT_COLUMNS`.
pub fn audit_event_from_row(row: &dyn Columns) -> Result<StoredAuditEvent, StoreError> {
    Ok(StoredAuditEvent {
        seq: row.int(0)?,
        event: AuditEvent {
            organization_id: organization(row.text(1)?)?,
            occurred_at: row.time(2)?,
            actor: row.text_opt(3)?,
            actor_role: row.text_opt(4)?,
            action: parsed(row.text(5)?, AuditAction::parse, "stored audit action")?,
            resource_type: row.text(6)?,
            resource_id: row.text_opt(7)?,
            outcome: parsed(row.text(8)?, AuditOutcome::parse, "stored outcome")?,
            request_id: row.text_opt(9)?,
            detail: row.text(10)?,
        },
    })
}

/// A row selected as `SECRET_COLUMNS`.
pub fn secret_from_row(row: &dyn Columns) -> Result<SecretMeta, StoreError> {
    Ok(SecretMeta {
        name: secret_name(row.text(0)?)?,
        description: row.text_opt(1)?,
        version: row.int(2)?,
        created_at: row.time(3)?,
        updated_at: row.time(4)?,
        created_by: row.text_opt(5)?,
    })
}

fn secret_name(text: String) -> Result<SecretName, StoreError> {
    SecretName::parse(&text).map_err(|e| StoreError::other("stored secret name", e))
}

/// A nonce and its ciphertext, at `first` and the column after it.
pub fn blob_from_row(row: &dyn Columns, first: usize) -> Result<SealedBlob, StoreError> {
    Ok(SealedBlob { nonce: row.bytes(first)?, ciphertext: row.bytes(first + 1)? })
}

/// A row selected as `SECRET_VALUE_COLUMNS`.
pub fn secret_value_from_row(row: &dyn Columns) -> Result<(SecretName, i64, SealedBlob), StoreError> {
    Ok((secret_name(row.text(0)?)?, row.int(1)?, blob_from_row(row, 2)?))
}

/// A row selected as `SECRET_VERSION_COLUMNS`.
pub fn secret_version_from_row(row: &dyn Columns) -> Result<SecretVersionMeta, StoreError> {
    Ok(SecretVersionMeta { version: row.int(0)?, created_at: row.time(1)?, created_by: row.text_opt(2)? })
}

/// A row selected as `DATA_KEY_COLUMNS`: an organization's wrapped key.
pub fn data_key_from_row(row: &dyn Columns) -> Result<(OrganizationId, SealedBlob), StoreError> {
    Ok((organization(row.text(0)?)?, blob_from_row(row, 1)?))
}

/// A row selected as `JOB_COLUMNS`.
pub fn job_from_row(row: &dyn Columns) -> Result<Job, StoreError> {
    Ok(Job {
        id: row.uuid(0)?,
        organization_id: organization(row.text(1)?)?,
        integration_id: row.uuid(2)?,
        integration_name: row.text(3)?,
        integration_type: row.text(4)?,
        revision: row.int(5)?,
        config: decode_config(&row.text(6)?)?,
        status: parsed(row.text(7)?, JobStatus::parse, "stored job status")?,
        attempts: row.int32(8)?,
        worker_id: row.uuid_opt(9)?,
        exit_code: row.int32_opt(10)?,
        duration_ms: row.int_opt(11)?,
        output: row.text_opt(12)?,
        created_at: row.time(13)?,
        created_by: row.text_opt(14)?,
        started_at: row.time_opt(15)?,
        finished_at: row.time_opt(16)?,
    })
}

fn provider_name(text: String) -> Result<ProviderName, StoreError> {
    ProviderName::parse(&text).map_err(|e| StoreError::other("stored provider or role name", e))
}

/// A count stored in a wider integer than the domain's.
fn narrowed<T: TryFrom<i64>>(value: i64, what: &'static str) -> Result<T, StoreError> {
    T::try_from(value).map_err(|_| StoreError::other(what, value.to_string()))
}

/// A row selected as `PROVIDER_COLUMNS`.
pub fn provider_from_row(row: &dyn Columns) -> Result<CredentialProvider, StoreError> {
    Ok(CredentialProvider {
        organization_id: organization(row.text(0)?)?,
        name: provider_name(row.text(1)?)?,
        kind: parsed(row.text(2)?, ProviderKind::parse, "stored provider kind")?,
        connection_secret: secret_name(row.text(3)?)?,
        default_ttl_seconds: narrowed(row.int(4)?, "stored default TTL")?,
        max_ttl_seconds: narrowed(row.int(5)?, "stored max TTL")?,
        // Read into the provider's own map type, which keeps the stored order.
        roles: serde_json::from_str(&row.text(6)?)
            .map_err(|e| StoreError::other("stored roles are unreadable", e))?,
        created_at: row.time(7)?,
        updated_at: row.time(8)?,
        created_by: row.text_opt(9)?,
        updated_by: row.text_opt(10)?,
    })
}

/// A row selected as `LEASE_COLUMNS`.
pub fn lease_from_row(row: &dyn Columns) -> Result<Lease, StoreError> {
    Ok(Lease {
        id: row.uuid(0)?,
        organization_id: organization(row.text(1)?)?,
        provider: provider_name(row.text(2)?)?,
        role: provider_name(row.text(3)?)?,
        kind: parsed(row.text(4)?, ProviderKind::parse, "stored provider kind")?,
        connection_secret: secret_name(row.text(5)?)?,
        revocation: decode_statements(&row.text(6)?)?,
        username: row.text(7)?,
        integration_id: row.uuid_opt(8)?,
        integration_name: row.text_opt(9)?,
        job_id: row.uuid_opt(10)?,
        state: parsed(row.text(11)?, LeaseState::parse, "stored lease state")?,
        created_at: row.time(12)?,
        expires_at: row.time(13)?,
        max_expires_at: row.time(14)?,
        revoked_at: row.time_opt(15)?,
        revoke_attempts: narrowed(i64::from(row.int32(16)?), "stored revocation attempts")?,
        next_attempt_at: row.time_opt(17)?,
        last_error: row.text_opt(18)?,
        created_by: row.text_opt(19)?,
    })
}

/// A row selected as `WORKER_COLUMNS`: no organization is the embedded
/// worker's scope.
pub fn worker_from_row(row: &dyn Columns) -> Result<Worker, StoreError> {
    let scope = match row.text_opt(1)? {
        None => WorkerScope::Embedded,
        Some(org) => WorkerScope::Organization(organization(org)?),
    };
    Ok(Worker {
        id: row.uuid(0)?,
        scope,
        name: row.text(2)?,
        registered_at: row.time(3)?,
        last_heartbeat_at: row.time(4)?,
    })
}

/// A row selected as `HEALTH_COLUMNS`.
pub fn health_from_row(row: &dyn Columns) -> Result<IntegrationHealth, StoreError> {
    Ok(IntegrationHealth {
        organization_id: organization(row.text(0)?)?,
        integration_id: row.uuid(1)?,
        state: parsed(row.text(2)?, HealthState::parse, "stored health state")?,
        since: row.time(3)?,
        consecutive_failures: row.int(4)?,
        last_job_id: row.uuid(5)?,
        updated_at: row.time(6)?,
    })
}

/// A claimed schedule: organization, integration, and whether a test of it
/// is still queued or running (an integer: 0 or 1).
pub fn due_test_from_row(row: &dyn Columns) -> Result<DueTest, StoreError> {
    Ok(DueTest {
        organization_id: organization(row.text(0)?)?,
        integration_id: row.uuid(1)?,
        busy: row.int(2)? != 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::Columns;
    use time::OffsetDateTime;

    /// A row of plain values, as a driver would hand them over.
    enum Cell {
        Null,
        Text(String),
        Int(i64),
        Time(OffsetDateTime),
        Uuid(Uuid),
    }

    fn text(value: &str) -> Cell {
        Cell::Text(value.to_owned())
    }

    struct Row(Vec<Cell>);

    fn wrong(index: usize) -> StoreError {
        StoreError::other("test row", format!("column {index} has another type"))
    }

    impl Columns for Row {
        fn str_opt(&self, index: usize) -> Result<Option<&str>, StoreError> {
            match &self.0[index] {
                Cell::Null => Ok(None),
                Cell::Text(text) => Ok(Some(text)),
                _ => Err(wrong(index)),
            }
        }
        fn int_opt(&self, index: usize) -> Result<Option<i64>, StoreError> {
            match &self.0[index] {
                Cell::Null => Ok(None),
                Cell::Int(n) => Ok(Some(*n)),
                _ => Err(wrong(index)),
            }
        }
        fn int32_opt(&self, index: usize) -> Result<Option<i32>, StoreError> {
            self.int_opt(index)?.map(|n| i32::try_from(n).map_err(|_| wrong(index))).transpose()
        }
        fn time_opt(&self, index: usize) -> Result<Option<OffsetDateTime>, StoreError> {
            match &self.0[index] {
                Cell::Null => Ok(None),
                Cell::Time(at) => Ok(Some(*at)),
                _ => Err(wrong(index)),
            }
        }
        fn uuid_opt(&self, index: usize) -> Result<Option<Uuid>, StoreError> {
            match &self.0[index] {
                Cell::Null => Ok(None),
                Cell::Uuid(id) => Ok(Some(*id)),
                _ => Err(wrong(index)),
            }
        }
        fn bytes(&self, index: usize) -> Result<Vec<u8>, StoreError> {
            self.text(index).map(String::into_bytes)
        }
    }

    fn integration_row(status: &str) -> Row {
        let at = OffsetDateTime::UNIX_EPOCH;
        Row(vec![
            Cell::Int(7),
            Cell::Uuid(Uuid::nil()),
            text("acme"),
            text("pg"),
            text("postgres"),
            Cell::Null,
            text(status),
            Cell::Text(crate::codec::encode_config(&Default::default())),
            text(r#"["a","b"]"#),
            Cell::Time(at),
            Cell::Time(at),
            text("ada"),
            Cell::Int(3),
        ])
    }

    #[test]
    fn an_integration_row_reads_into_its_fields() {
        let (seq, integration) = integration_from_row(&integration_row("inactive")).unwrap();
        assert_eq!((seq, integration.revision, integration.status), (7, 3, IntegrationStatus::Inactive));
        assert_eq!((integration.organization_id.as_str(), integration.name.as_str()), ("acme", "pg"));
        assert_eq!((integration.description, integration.tags), (None, vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(integration.created_by.as_deref(), Some("ada"));
    }

    #[test]
    fn a_word_this_code_never_wrote_is_an_error_naming_it() {
        let error = integration_from_row(&integration_row("archived")).unwrap_err();
        assert_eq!(error.to_string(), "stored status: archived");
    }

    #[test]
    fn a_null_in_a_required_column_is_an_error() {
        let mut row = integration_row("active");
        row.0[3] = Cell::Null;
        assert_eq!(integration_from_row(&row).unwrap_err().to_string(), "reading a row: column 3 is NULL");
    }

    #[test]
    fn a_worker_without_organization_is_the_embedded_one() {
        let at = OffsetDateTime::UNIX_EPOCH;
        let row = |org| Row(vec![Cell::Uuid(Uuid::nil()), org, text("w"), Cell::Time(at), Cell::Time(at)]);
        assert_eq!(worker_from_row(&row(Cell::Null)).unwrap().scope, WorkerScope::Embedded);
        let scoped = worker_from_row(&row(text("acme"))).unwrap().scope;
        assert_eq!(scoped.organization_id(), Some("acme"));
    }

    fn provider_row(roles: &str, max_ttl: i64) -> Row {
        let at = OffsetDateTime::UNIX_EPOCH;
        Row(vec![
            text("acme"),
            text("analytics"),
            text("postgres"),
            text("PG_ADMIN_URL"),
            Cell::Int(600),
            Cell::Int(max_ttl),
            text(roles),
            Cell::Time(at),
            Cell::Time(at),
            text("ada"),
            Cell::Null,
        ])
    }

    #[test]
    fn a_provider_row_keeps_its_roles_in_the_stored_order() {
        let provider =
            provider_from_row(&provider_row(r#"{"zeta":{"rules":"+get"},"alpha":{}}"#, 3600)).unwrap();
        let names: Vec<&str> = provider.roles.keys().map(ProviderName::as_str).collect();
        assert_eq!(names, ["zeta", "alpha"]);
        assert_eq!(provider.roles[0].rules.as_deref(), Some("+get"));
        assert_eq!(
            (provider.kind, provider.default_ttl_seconds, provider.max_ttl_seconds),
            (ProviderKind::Postgres, 600, 3600)
        );
        assert_eq!((provider.created_by.as_deref(), provider.updated_by), (Some("ada"), None));
    }

    #[test]
    fn a_provider_row_this_code_never_wrote_is_an_error() {
        let bad_role = provider_from_row(&provider_row(r#"{"Not A Name":{}}"#, 3600)).unwrap_err();
        assert!(bad_role.to_string().starts_with("stored roles are unreadable"), "{bad_role}");
        let too_long = provider_from_row(&provider_row("{}", i64::from(u32::MAX) + 1)).unwrap_err();
        assert_eq!(too_long.to_string(), "stored max TTL: 4294967296");
    }

    #[test]
    fn a_lease_row_reads_into_its_fields() {
        let at = OffsetDateTime::UNIX_EPOCH;
        let id = Uuid::from_u128(7);
        let row = Row(vec![
            Cell::Uuid(id),
            text("acme"),
            text("analytics"),
            text("readonly"),
            text("mysql"),
            text("MYSQL_ADMIN"),
            text(r#"["DROP USER '{{name}}'"]"#),
            text("pb_readonly_1"),
            Cell::Null,
            text("warehouse"),
            Cell::Null,
            text("revoke_failed"),
            Cell::Time(at),
            Cell::Time(at),
            Cell::Time(at),
            Cell::Null,
            Cell::Int(2),
            Cell::Time(at),
            text("connection refused"),
            Cell::Null,
        ]);
        let lease = lease_from_row(&row).unwrap();
        assert_eq!((lease.id, lease.kind, lease.state), (id, ProviderKind::Mysql, LeaseState::RevokeFailed));
        assert_eq!((lease.provider.as_str(), lease.role.as_str()), ("analytics", "readonly"));
        assert_eq!(lease.revocation, ["DROP USER '{{name}}'"]);
        assert_eq!((lease.revoke_attempts, lease.last_error.as_deref()), (2, Some("connection refused")));
        assert_eq!((lease.integration_id, lease.integration_name.as_deref()), (None, Some("warehouse")));
    }

    #[test]
    fn an_unapproved_revision_has_no_approval() {
        let row = Row(vec![Cell::Null, Cell::Null, Cell::Null, Cell::Null]);
        assert_eq!(approval_from_row(&row, 0).unwrap(), None);
        let at = OffsetDateTime::UNIX_EPOCH;
        let row = Row(vec![text("approved"), Cell::Int(2), text("root"), Cell::Time(at)]);
        let approval = approval_from_row(&row, 0).unwrap().unwrap();
        assert_eq!(
            (approval.kind, approval.revision, approval.by.as_deref()),
            (ApprovalKind::Approved, 2, Some("root"))
        );
    }
}
