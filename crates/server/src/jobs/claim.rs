//! What a worker receives with a claimed job: the command and the bundle
//! resolved from the job's snapshot of the integration, with the secret
//! values read from the vault now (never stored with the job).
use super::approval::approved_for_secrets;
use crate::credentials::{Taker, take_leases};
use crate::error::ApiError;
use crate::state::AppState;
use patchbay_api_types::{ClaimedFile, ClaimedJob, format_mode};
use patchbay_domain::SecretName;
use patchbay_resolve::SecretSource;
use patchbay_store::{Job, StoreError};
use std::collections::HashMap;
use zeroize::Zeroizing;

/// How much longer than its timeout a test's leases live: the claim,
/// start-up and the result's round trip.
const LEASE_MARGIN_SECS: u32 = 60;

struct Values(HashMap<String, Zeroizing<String>>);

impl SecretSource for Values {
    fn secret(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|value| value.to_string())
    }
}

pub enum ClaimOutcome {
    /// The job with its bundle, and the names of the secrets whose values
    /// it carries (for the audit log).
    Ready(Box<ClaimedJob>, Vec<String>),
    /// The bundle cannot be built (a secret was deleted, ...): the job ends
    /// as `error` with this explanation, which names no value.
    Unresolvable(String),
}

pub async fn claimed_job(state: &AppState, job: &Job) -> Result<ClaimOutcome, ApiError> {
    let integration = job.integration();
    let Some(test) = integration.config.connection_test.clone() else {
        return Ok(ClaimOutcome::Unresolvable("the integration has no connection_test".into()));
    };
    // The approval is read now, not trusted from when the job was queued:
    // a claim is where secret values leave the server.
    let approval =
        match state.store.get_revision(&job.organization_id, job.integration_id, job.revision).await {
            Ok(revision) => revision.approval,
            Err(StoreError::NotFound(_)) => {
                return Ok(ClaimOutcome::Unresolvable(
                    "the integration was deleted after the test was queued".into(),
                ));
            }
            Err(other) => return Err(other.into()),
        };
    if let Err(refused) = approved_for_secrets(&integration, approval.as_ref()) {
        return Ok(ClaimOutcome::Unresolvable(refused.to_string()));
    }
    let names: Vec<SecretName> = patchbay_resolve::secret_names(std::slice::from_ref(&integration))
        .iter()
        .filter_map(|name| SecretName::parse(name).ok())
        .collect();
    let values = Values(state.vault.reveal_many(&job.organization_id, &names).await?);
    let resolution =
        patchbay_resolve::resolve_within(std::slice::from_ref(&integration), &values, state.limits.bundle);
    if !resolution.problems.is_empty() {
        let lines: Vec<String> = resolution
            .problems
            .iter()
            .map(|problem| format!("{}: {}", problem.loc.join("."), problem.message))
            .collect();
        return Ok(ClaimOutcome::Unresolvable(format!(
            "the integration's bundle could not be resolved:\n{}",
            lines.join("\n")
        )));
    }
    let mut bundle = resolution.bundle;
    // Leases for the test live as long as it may run, and are revoked when
    // its result comes in (or when they expire, if it never does).
    let cap = u32::from(test.timeout.seconds()).saturating_add(LEASE_MARGIN_SECS);
    let taker = Taker { actor: None, audit: None, job: Some(job.id), ttl_cap: Some(cap) };
    let taken =
        match take_leases(state, &job.organization_id, std::slice::from_ref(&integration), &taker).await {
            Ok(taken) => taken,
            Err(failure) => return Ok(ClaimOutcome::Unresolvable(failure.to_string())),
        };
    let mut lease_passwords = Vec::new();
    for lease in &taken {
        for (name, value) in [
            (&lease.env.username, lease.lease.username.clone()),
            (&lease.env.password, lease.password.to_string()),
        ] {
            if let Some(name) = name {
                bundle.env_vars.insert(name.to_string(), value);
            }
        }
        lease_passwords.push(lease.password.to_string());
    }
    let mut delivered: Vec<String> =
        names.iter().filter(|name| values.0.contains_key(name.as_str())).map(|n| n.to_string()).collect();
    delivered.extend(taken.iter().map(|lease| format!("lease:{}", lease.lease.id)));
    let claimed = ClaimedJob {
        job_id: job.id.to_string(),
        attempt: job.attempts,
        organization_id: job.organization_id.to_string(),
        integration_id: job.integration_id.to_string(),
        integration_name: job.integration_name.clone(),
        revision: job.revision,
        command: test.command,
        timeout_secs: u64::from(test.timeout.seconds()),
        env: bundle.env_vars,
        files: bundle
            .files
            .into_iter()
            .map(|file| ClaimedFile { path: file.path, content: file.content, mode: format_mode(file.mode) })
            .collect(),
        secrets: values
            .0
            .values()
            .map(|value| value.to_string())
            .chain(lease_passwords)
            .filter(|v| !v.is_empty())
            .collect(),
    };
    Ok(ClaimOutcome::Ready(Box::new(claimed), delivered))
}
