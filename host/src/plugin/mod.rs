//! The WebAssembly plugin runtime: factor components loaded from files and called in fresh,
//! limited instances.

mod aal_cache;
mod argon2_memory;
mod bindings;
mod cache;
mod call_state;
pub mod check;
mod engine;
mod factor;
mod factor_0_1;
mod failure;
mod outbound_http;
mod password_hashing;
mod policy;
mod policy_bindings;
mod runtime;
pub mod versions;
mod warm;
pub mod world;

pub use bindings::types;
pub use cache::{CacheOutcome, CompileCache};
pub use factor::{CallLimits, Factor};
pub use failure::PluginFailure;
pub use policy::{Policy, PolicyLoadError};
pub use policy_bindings::types as policy_types;
pub use runtime::PluginRuntime;
