//! The WebAssembly plugin runtime: factor and policy components loaded from files and called
//! in fresh, limited instances.
//!
//! The WIT bindings stay in here. The rest of the host speaks to plugins in its own types
//! ([`model`]), and [`convert`] is the one place where values cross between the two.

mod aal_cache;
mod adapt;
mod bindings;
mod cache;
mod call_state;
mod capabilities;
pub(crate) mod check;
mod convert;
mod decision_cache;
mod engine;
mod factor;
mod factor_0_1;
mod factor_0_2;
mod factor_set;
mod failure;
mod inline;
mod load;
mod model;
mod panic_message;
mod policy;
mod policy_bindings;
mod policy_set;
#[cfg(test)]
mod released_wit;
mod runtime;
pub(crate) mod versions;
mod warm;
mod world;

pub use cache::CacheOutcome;
pub(crate) use capabilities::courier::{CourierScope, PluginMessage};
pub use factor::Factor;
pub use factor_set::Factors;
pub use failure::PluginFailure;
pub use load::{load_factors, load_policies, plugin_runtime};
pub use model::*;
pub use policy::{Policy, PreparedInput};
pub use policy_set::Policies;
pub use runtime::PluginRuntime;
