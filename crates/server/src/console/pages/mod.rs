//! One module per page or area.
pub mod assets;
pub mod audit;
pub mod detail;
pub mod edit;
pub mod history;
pub mod list;
pub mod secrets;
pub mod signin;
pub mod workers;
