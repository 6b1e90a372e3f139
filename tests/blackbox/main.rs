//! Black-box tests: each starts the real `latchkey` binary on free loopback ports with a
//! temporary SQLite file (or, with `LATCHKEY_TEST_DATABASE=postgres`, a database of its own on
//! a throwaway PostgreSQL) and talks to it over HTTP.

mod database;
mod harness;

mod addresses;
mod admin;
mod api_flows;
mod browser_flows;
mod browser_ui;
mod cleanup;
mod cli;
mod compat;
mod components;
mod courier;
mod credential_updates;
mod durability;
mod guessing_limits;
mod hostile_plugins;
mod kratos_sdk;
mod kratos_ui;
mod kratos_ui_requests;
mod login_throttle;
mod multi_node;
mod oidc;
mod outbound_http;
mod password_import_limits;
mod password_policy;
mod pin_factor;
mod plugin_state;
mod policies;
mod recovery;
mod recovery_link;
mod scripted_policies;
mod second_factors;
mod session_rotation;
mod spec_sweep;
mod step_up;
mod ui_pages;
