//! What browsers need beyond API clients: signed session cookies, CSRF double-submit tokens,
//! telling a page load from an SPA's fetch, return-URL checks, and sending errors to the error
//! UI.

pub mod client;
pub mod continuity;
pub mod cookies;
pub mod csrf;
pub mod error_flow;
pub mod flow_access;
pub mod logout;
pub mod return_to;
