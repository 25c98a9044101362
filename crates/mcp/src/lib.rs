//! Patchbay for agents over the Model Context Protocol: tools to discover,
//! understand and test integrations, and each integration's context prompt
//! as a resource. Every tool is made of calls of the HTTP API through
//! [`Api`], as the MCP client's own caller, so the API's authentication,
//! roles, validation and audit log apply to it unchanged; and what a tool
//! shows of an integration is names (`views`), never a secret's value.
#![forbid(unsafe_code)]

mod api;
mod resources;
mod server;
mod transport;
mod views;

pub use api::{Api, Reply};
pub use server::Patchbay;
pub use transport::{http_service, serve_stdio};
