//! Latchkey: an identity server speaking the Ory Kratos API, whose authentication methods
//! and step-up policies are WebAssembly components. docs/architecture.md maps the layers and
//! the recipes for adding a flow kind, a host capability or a storage backend.

pub(crate) mod aal;
pub mod admin;
pub(crate) mod app;
pub(crate) mod browser;
pub mod cleanup;
pub mod cli;
pub mod clock;
pub mod config;
pub mod courier;
pub(crate) mod domain_error;
pub(crate) mod error;
pub(crate) mod flows;
pub(crate) mod heap;
pub mod hooks;
pub(crate) mod http;
pub(crate) mod identity;
pub mod logging;
pub mod model;
pub(crate) mod pages;
pub mod peers;
pub mod plugin;
pub(crate) mod policy;
pub(crate) mod read_cache;
pub mod server;
pub(crate) mod session_token;
pub(crate) mod sessions;
pub mod store;
pub(crate) mod ui;
