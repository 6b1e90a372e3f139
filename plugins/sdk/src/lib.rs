//! Building blocks for Latchkey factor plugins (`latchkey:factor/plugin@0.3.0`).
//!
//! A plugin crate depends on this one, implements [`Guest`] and exports it with
//! [`factor!`]. The method's logic takes an [`Env`] instead of calling the host,
//! so that it compiles natively and is unit-tested with [`testing::FakeEnv`]; in the component
//! it gets [`Host`].
//!
//! ```ignore
//! use latchkey_plugin_sdk::{Guest, Host, types::*};
//!
//! struct Pin;
//! impl Guest for Pin { /* describe, render, submit, … */ }
//!
//! latchkey_plugin_sdk::factor!(Pin);
//! ```

pub mod attempts;
pub mod challenge;
pub mod compare;
pub mod config;
pub mod env;
pub mod form;
pub mod messages;
pub mod nodes;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
pub mod time;

/// The generated bindings, made once here so that every plugin links the same types.
pub mod bindings {
    wit_bindgen::generate!({
        // The SDK's own copy of the released package, so that the crate builds on its own; the
        // host's test `plugin::released_wit` keeps it identical to `wit/factor@0.3.0`.
        path: "wit/factor@0.3.0",
        world: "plugin",
        // The host capabilities live in another package (`deps/host@0.1.1`), and wit-bindgen only
        // generates foreign packages when told to.
        generate_all,
        // The export macro is expanded in the plugin's crate, not here: it must be public and
        // name this module by its full path.
        pub_export_macro: true,
        default_bindings_module: "latchkey_plugin_sdk::bindings",
        // Tests compare what a plugin answers (`assert_eq!` on nodes, outcomes, rejections);
        // wit-bindgen derives `Clone` and writes `Debug` already.
        additional_derives: [PartialEq],
    });
}

/// The bindings' own export macro; [`factor!`] is the one to use.
#[doc(hidden)]
pub use bindings::export;

/// Exports a type implementing [`Guest`] as the component's `factor` interface:
/// `latchkey_plugin_sdk::factor!(Pin);` at the crate root.
///
/// Only a component build carries the exports. A native build (unit tests) cannot, and there
/// the macro names the `Guest` methods instead, so that they and everything they call do not
/// read as dead code.
#[macro_export]
macro_rules! factor {
    ($ty:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::export!($ty);

        #[cfg(not(target_arch = "wasm32"))]
        const _: () = {
            let _ = <$ty as $crate::Guest>::describe;
            let _ = <$ty as $crate::Guest>::render;
            let _ = <$ty as $crate::Guest>::submit;
            let _ = <$ty as $crate::Guest>::callback;
            let _ = <$ty as $crate::Guest>::credential_aal;
            let _ = <$ty as $crate::Guest>::import_credential;
            let _ = <$ty as $crate::Guest>::issue_challenge;
        };
    };
}

pub use bindings::exports::latchkey::factor::factor::Guest;
pub use env::{Env, Host, Level, Message, MessageError};

/// The records and enums that cross the plugin boundary.
pub mod types {
    pub use crate::bindings::latchkey::factor::types::*;
}
