//! Flow hooks: what runs before a flow starts and after it succeeds (Kratos'
//! `selfservice.flows.*.{before,after}.hooks`), and the shapes every kind of hook shares.

pub mod verdict;

pub use verdict::{HookMessage, HookPoint, IdentityPatch, Phase, Verdict};
