//! The rule that keeps secret values away from commands no admin vouched
//! for. Whoever chooses a command that receives a secret can read that
//! secret: masking the output cannot stop `rev`, `od -c` or a network call.
//! So a connection test whose bundle would carry any secret value (listed
//! secrets, secret-backed files, `{{.secret.X}}` anywhere, dynamic
//! credentials) runs only on a
//! revision of the integration that an admin wrote or approved. Tests that
//! carry no secret run on any revision.
use patchbay_domain::{Approval, Integration};

/// Why a test may not receive its secrets yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedsApproval {
    pub integration_id: String,
    pub name: String,
    pub revision: i64,
    /// The secret names the test would receive.
    pub secrets: Vec<String>,
}

impl std::fmt::Display for NeedsApproval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let NeedsApproval { integration_id, name, revision, secrets } = self;
        write!(
            f,
            "An admin must approve revision {revision} of custom integration '{name}' before its \
             connection test receives secret values ({}): the revision was written by a non-admin. \
             Approve it with POST /api/v1/custom-integrations/{integration_id}/revisions/{revision}/approve \
             or `patchbay integrations approve {name}`",
            secrets.join(", ")
        )
    }
}

/// `Ok` when a test of `integration` (a snapshot at its revision, with that
/// revision's `approval`) may run with the secret values its bundle names.
/// The one check, called where a test is queued (to answer 409 at once)
/// and where a claim hands the values out (so nothing that reaches a
/// worker ever skipped it).
pub fn approved_for_secrets(
    integration: &Integration,
    approval: Option<&Approval>,
) -> Result<(), NeedsApproval> {
    let mut secrets = patchbay_resolve::secret_names(std::slice::from_ref(integration));
    // A dynamic credential is a secret value too: a fresh user's password.
    secrets.extend(
        integration
            .config
            .dynamic_credentials
            .iter()
            .map(|entry| format!("lease:{}/{}", entry.provider, entry.role)),
    );
    if secrets.is_empty() || approval.is_some() {
        return Ok(());
    }
    Err(NeedsApproval {
        integration_id: integration.id.to_string(),
        name: integration.name.clone(),
        revision: integration.revision,
        secrets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchbay_domain::{
        ApprovalKind, EnvVarName, IntegrationConfig, NewIntegration, OrganizationId, now_utc,
    };

    fn integration(config: IntegrationConfig) -> Integration {
        NewIntegration {
            name: "pg".into(),
            integration_type: "postgres".into(),
            description: None,
            config,
            tags: vec![],
            status: patchbay_domain::IntegrationStatus::Active,
            created_by: Some("bob".into()),
            created_by_admin: false,
        }
        .into_integration(OrganizationId::parse("acme").unwrap())
    }

    #[test]
    fn secrets_need_an_approval_and_plain_tests_do_not() {
        let plain = integration(IntegrationConfig::default());
        assert_eq!(approved_for_secrets(&plain, None), Ok(()));

        let mut config = IntegrationConfig::default();
        config.secrets.push(EnvVarName::parse("DB_PASSWORD").unwrap());
        let with_secret = integration(config);
        let refused = approved_for_secrets(&with_secret, None).unwrap_err();
        assert_eq!(refused.secrets, ["DB_PASSWORD"]);
        assert!(refused.to_string().contains("approve revision 1"), "{refused}");

        let approval =
            Approval { kind: ApprovalKind::Approved, revision: 1, by: Some("ada".into()), at: now_utc() };
        assert_eq!(approved_for_secrets(&with_secret, Some(&approval)), Ok(()));
    }

    #[test]
    fn a_dynamic_credential_counts_as_a_secret() {
        let mut config = IntegrationConfig::default();
        config.dynamic_credentials.push(patchbay_domain::DynamicCredential {
            provider: patchbay_domain::ProviderName::parse("pg").unwrap(),
            role: patchbay_domain::ProviderName::parse("readonly").unwrap(),
            ttl_seconds: None,
            env: patchbay_domain::CredentialEnv {
                username: Some(EnvVarName::parse("U").unwrap()),
                password: None,
            },
        });
        let refused = approved_for_secrets(&integration(config), None).unwrap_err();
        assert_eq!(refused.secrets, ["lease:pg/readonly"]);
    }

    #[test]
    fn a_secret_named_only_in_an_env_template_counts() {
        let mut config = IntegrationConfig::default();
        config.env_vars.insert(EnvVarName::parse("URL").unwrap(), "postgres://u:{{.secret.PW}}@h/db".into());
        assert!(approved_for_secrets(&integration(config), None).is_err());
    }
}
