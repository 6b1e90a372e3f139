//! Latchkey: an identity server speaking the Ory Kratos API, whose authentication methods
//! and step-up policies are WebAssembly components. docs/architecture.md maps the layers and
//! the recipes for adding a flow kind, a host capability or a storage backend.

pub mod aal;
pub mod admin;
pub mod app;
pub mod browser;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain_error;
pub mod error;
pub mod flows;
pub mod http;
pub mod identity;
pub mod logging;
pub mod model;
pub mod pages;
pub mod plugin;
pub mod policy;
pub mod read_cache;
pub mod server;
pub mod session_token;
pub mod sessions;
pub mod store;
pub mod ui;
