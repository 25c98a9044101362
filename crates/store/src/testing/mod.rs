//! The conformance suite: one story of behaviour every backend must tell.
//! A backend's tests call `conformance_tests!(factory)`, which makes one
//! `#[tokio::test]` per case, each on a store of its own.
mod credentials;
mod health;
mod history;
mod integrations;
mod jobs;
mod secrets;
mod sessions;
mod webhooks;

pub use credentials::*;
pub use health::*;
pub use history::*;
pub use integrations::*;
pub use jobs::*;
pub use secrets::*;
pub use sessions::*;
pub use webhooks::*;

/// Expands to one test per conformance case. `$factory` is an async fn
/// returning `Option<(Arc<dyn Store>, Guard)>`: `None` skips the case (the
/// factory prints why), and the guard is dropped when the case ends.
#[macro_export]
macro_rules! conformance_tests {
    ($factory:path) => {
        $crate::conformance_tests!(@cases $factory;
            create_and_get_round_trip,
            other_organization_sees_nothing,
            concurrent_gets_each_answer_their_own_request,
            duplicate_name_conflicts,
            names_are_case_sensitive_and_per_organization,
            soft_delete_frees_the_name,
            concurrent_creates_of_one_name_give_one_winner,
            concurrent_upserts_of_one_name_make_one_integration,
            list_is_newest_first_and_hides_deleted,
            stored_list_is_the_text_the_parsed_values_write,
            written_rows_are_the_listed_rows,
            list_filters_by_status_and_type,
            list_requires_every_tag,
            list_searches_name_and_description,
            list_pages_with_limit_and_offset,
            update_changes_only_given_fields,
            noop_update_keeps_updated_at,
            update_to_taken_name_conflicts,
            restore_to_taken_name_conflicts,
            tag_filter_follows_updates_and_deletes,
            soft_and_hard_delete,
            revisions_count_changes,
            approvals_follow_authors_and_configs,
            audited_writes_commit_their_events,
            revisions_record_every_change,
            conditional_writes_check_the_revision,
            restore_revision_rolls_back,
            audit_log_filters_pages_and_purges,
            concurrent_audit_appends_each_land_once_in_full,
            get_by_name_sees_live_integrations_only,
            get_by_names_reads_many_at_once,
            get_by_ids_reads_many_at_once,
            secret_values_reads_many_at_once,
            vault_fingerprint_is_recorded_once,
            first_data_key_wins_and_needs_the_recorded_fingerprint,
            rewrap_replaces_every_key_or_none,
            secret_versions_count_up,
            concurrent_secret_writes_get_consecutive_versions,
            secrets_are_per_organization,
            deleting_a_secret_removes_every_version,
            jobs_snapshot_claim_and_finish,
            jobs_and_workers_are_per_organization,
            concurrent_claims_hand_out_each_job_once,
            expired_leases_are_handed_on_then_end_as_error,
            heartbeats_keep_a_lease,
            a_retired_workers_jobs_are_handed_on_at_once,
            job_history_is_newest_first,
            sessions_are_created_read_and_deleted,
            expired_sessions_are_not_returned_and_are_purged,
            providers_are_upserted_listed_and_deleted,
            a_provider_with_live_leases_is_not_deleted,
            leases_are_stored_listed_and_filtered,
            only_active_leases_before_their_expiry_are_renewed,
            a_revocation_is_begun_once,
            only_due_leases_are_claimed_for_revocation,
            concurrent_revocation_claims_hand_out_each_lease_once,
            finishing_a_revocation_records_how_it_went,
            lease_events_are_committed_with_their_changes,
            lease_counts_cover_every_organization,
            results_move_health_and_record_each_change,
            due_tests_are_claimed_once_per_interval,
            concurrent_schedule_claims_take_each_interval_once,
            webhooks_are_stored_per_organization_and_deleted_with_their_deliveries,
            the_fan_out_queues_each_matching_event_once,
            concurrent_fan_outs_queue_each_event_once,
            deliveries_are_claimed_fairly_and_finished,
            concurrent_delivery_claims_hand_out_each_delivery_once,
        );
    };
    (@cases $factory:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let Some((store, _guard)) = $factory().await else { return };
                $crate::testing::$case(store).await;
            }
        )*
    };
}
