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
mod failure;
mod password_hashing;
mod runtime;

pub use bindings::types;
pub use cache::{CacheOutcome, CompileCache};
pub use factor::{CallLimits, Factor};
pub use failure::PluginFailure;
pub use runtime::PluginRuntime;
