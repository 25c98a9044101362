//! Dynamic credentials on the server: taking leases when a bundle is
//! resolved or a connection test is claimed, revoking them when asked, when
//! a run or test ends, and when they expire (`revoker`), and checking what
//! refers to a provider (`check`).
//!
//! The admin connection URL of a provider lives in the vault; it is read
//! here, handed to the driver (`patchbay_credentials`) and dropped. No
//! response, log line, audit event or error carries it: driver errors are
//! scrubbed of its password before they leave the driver.
mod check;
mod leases;
mod revoker;

pub use check::{check_dynamic_credentials, check_provider_roles};
pub use leases::{
    LeaseFailure, TakenLease, Taker, revoke_job_leases, revoke_lease, revoke_taken, take_leases,
};
pub use revoker::{REVOKE_EVERY, revoke_due, spawn_revoker};
