//! Identities: their schemas and their Kratos JSON form.

pub mod addresses;
pub mod schema;
pub mod wire;
