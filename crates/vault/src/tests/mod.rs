//! The crate's unit tests, one test binary, split by concern.

mod envelope;
#[cfg(unix)]
mod key_file;
mod keys;
