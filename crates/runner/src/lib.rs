//! Running things for Patchbay on this machine: a private home directory and
//! the bundle's files written into it safely (DESIGN.md §5). Connection tests
//! will run here too.
#![forbid(unsafe_code)]

mod atomic;
pub mod home;
pub mod materialize;
mod target;

pub use home::{TempHome, ensure_home};
pub use materialize::{FileToWrite, MaterializeError, Refusal, materialize};
