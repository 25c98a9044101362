//! Running things for Patchbay on this machine: a private home directory and
//! the bundle's files written into it safely, and connection
//! tests run in a contained process.
#![forbid(unsafe_code)]

mod atomic;
pub mod dangerous_env;
pub mod home;
pub mod mask;
pub mod materialize;
mod output;
pub mod reap;
pub mod sandbox;
mod target;
mod test_run;

pub use dangerous_env::{DangerousEnv, refuse_dangerous_env, why_dangerous};
pub use home::{TempHome, ensure_home};
pub use materialize::{FileToWrite, MaterializeError, Refusal, materialize};
pub use output::{OUTPUT_CAP, TRUNCATED};
pub use sandbox::{Limits, Sandbox};
pub use test_run::{RunnerConfig, TEST_PATH, TestJob, TestOutcome, TestStatus, run_test};
