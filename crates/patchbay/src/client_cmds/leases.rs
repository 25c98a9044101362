//! `patchbay leases list|revoke|renew`. A lease's password went to the run
//! that asked for it and is never shown again; these show its user, its
//! state and its lifetime.
use super::{block_on, call};
use crate::commands::LeasesCommand;
use crate::output::{emit, short_time};
use patchbay_api_types::LeaseResponse;
use patchbay_client::LeaseQuery;

pub fn run(command: LeasesCommand) -> anyhow::Result<()> {
    match command {
        LeasesCommand::List(args) => {
            let client = args.common.client.connect()?;
            let query = LeaseQuery {
                provider: args.provider,
                integration: args.integration,
                state: args.state,
                limit: None,
            };
            let leases = block_on(call(client.list_leases(&query)))??;
            let headers = ["ID", "PROVIDER", "ROLE", "USERNAME", "INTEGRATION", "STATE", "EXPIRES"];
            emit(&args.common, &leases, &headers, |list| list.iter().map(row).collect())
        }
        LeasesCommand::Revoke(args) => {
            let client = args.common.client.connect()?;
            block_on(call(client.revoke_lease(&args.id)))??;
            eprintln!("Revoked lease {}: its database user is gone", args.id);
            Ok(())
        }
        LeasesCommand::Renew(args) => {
            let client = args.common.client.connect()?;
            let lease = block_on(async {
                let ttl = match args.ttl {
                    Some(ttl) => ttl,
                    None => {
                        let lease = call(client.get_lease(&args.id)).await?;
                        call(client.get_provider(&lease.provider)).await?.default_ttl_seconds
                    }
                };
                call(client.renew_lease(&args.id, ttl)).await
            })??;
            eprintln!("Renewed lease {} until {}", lease.id, lease.expires_at);
            emit(&args.common, &lease, &["ID", "STATE", "EXPIRES", "MAX EXPIRES"], |lease| {
                vec![vec![
                    lease.id.clone(),
                    lease.state.clone(),
                    short_time(&lease.expires_at),
                    short_time(&lease.max_expires_at),
                ]]
            })
        }
    }
}

fn row(lease: &LeaseResponse) -> Vec<String> {
    vec![
        lease.id.clone(),
        lease.provider.clone(),
        lease.role.clone(),
        lease.username.clone(),
        lease.integration_name.clone().unwrap_or_default(),
        lease.state.clone(),
        short_time(&lease.expires_at),
    ]
}
