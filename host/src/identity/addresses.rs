//! An identity's verifiable and recovery addresses, kept in step with its traits as Kratos
//! keeps them: the traits the schema marks `ory.sh/kratos.verification.via` or
//! `ory.sh/kratos.recovery.via` are the addresses. An address that stays keeps its id and
//! whether it was verified; a new or changed one starts unverified (`pending`); one whose trait
//! is gone goes with it.

use super::schema::IdentitySchema;
use crate::model::{Identity, RecoveryAddress, VerifiableAddress};
use uuid::Uuid;

/// Kratos compares and stores addresses trimmed, and email addresses in lower case.
pub fn normalise(via: &str, value: &str) -> String {
    let value = value.trim();
    if via == "email" {
        value.to_lowercase()
    } else {
        value.to_string()
    }
}

/// Recomputes `identity`'s addresses from its traits under `schema`, keeping what is known of
/// the addresses it already had. New addresses are dated as the identity's change.
pub fn sync(identity: &mut Identity, schema: &IdentitySchema) {
    let now = identity.updated_at;
    let verifiable = wanted(schema, "verification", identity)
        .into_iter()
        .map(|(via, value)| {
            let kept = identity
                .verifiable_addresses
                .iter()
                .find(|a| a.via == via && normalise(&a.via, &a.value) == value);
            kept.cloned().unwrap_or_else(|| VerifiableAddress {
                id: Uuid::new_v4(),
                via,
                value,
                verified: false,
                status: "pending".into(),
                verified_at: None,
                created_at: now,
                updated_at: now,
            })
        })
        .collect();
    let recovery = wanted(schema, "recovery", identity)
        .into_iter()
        .map(|(via, value)| {
            let kept = identity
                .recovery_addresses
                .iter()
                .find(|a| a.via == via && normalise(&a.via, &a.value) == value);
            kept.cloned().unwrap_or_else(|| RecoveryAddress {
                id: Uuid::new_v4(),
                via,
                value,
                created_at: now,
                updated_at: now,
            })
        })
        .collect();
    identity.verifiable_addresses = verifiable;
    identity.recovery_addresses = recovery;
}

/// The `(via, value)` pairs the traits give for `purpose`, normalised, each once.
fn wanted(schema: &IdentitySchema, purpose: &str, identity: &Identity) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (via, value) in schema.addresses(purpose, &identity.traits) {
        let value = normalise(&via, &value);
        if !out.iter().any(|(v, x)| *v == via && *x == value) {
            out.push((via, value));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> IdentitySchema {
        let mark = json!({ "verification": { "via": "email" }, "recovery": { "via": "email" } });
        IdentitySchema::compile(
            "test",
            json!({
                "type": "object",
                "properties": { "traits": { "type": "object", "properties": {
                    "email": { "type": "string", "ory.sh/kratos": mark },
                    "backup": { "type": "object", "properties": {
                        "email": { "type": "string",
                                   "ory.sh/kratos": { "verification": { "via": "email" } } },
                    } },
                    "name": { "type": "string" },
                } } },
            }),
        )
        .unwrap()
    }

    fn identity(traits: serde_json::Value) -> Identity {
        let mut identity = crate::store::fixtures::identity("unused@example.com");
        identity.traits = traits;
        identity
    }

    fn values(i: &Identity) -> (Vec<&str>, Vec<&str>) {
        let mut verifiable: Vec<&str> = i
            .verifiable_addresses
            .iter()
            .map(|a| a.value.as_str())
            .collect();
        verifiable.sort();
        (
            verifiable,
            i.recovery_addresses
                .iter()
                .map(|a| a.value.as_str())
                .collect(),
        )
    }

    fn address<'a>(i: &'a Identity, value: &str) -> &'a VerifiableAddress {
        i.verifiable_addresses
            .iter()
            .find(|a| a.value == value)
            .unwrap_or_else(|| panic!("no address {value}"))
    }

    #[test]
    fn marked_traits_become_addresses_in_lower_case() {
        let mut i = identity(json!({
            "email": " Ada@Example.COM ", "backup": { "email": "b@example.com" }, "name": "Ada"
        }));
        sync(&mut i, &schema());
        assert_eq!(
            values(&i),
            (
                vec!["ada@example.com", "b@example.com"],
                vec!["ada@example.com"]
            )
        );
        let a = address(&i, "ada@example.com");
        assert_eq!(
            (a.via.as_str(), a.verified, a.status.as_str()),
            ("email", false, "pending")
        );
    }

    #[test]
    fn an_address_that_stays_keeps_its_verification_and_a_changed_one_loses_it() {
        let mut i =
            identity(json!({ "email": "a@example.com", "backup": { "email": "b@example.com" } }));
        sync(&mut i, &schema());
        for a in &mut i.verifiable_addresses {
            a.verified = true;
            a.status = "completed".into();
        }
        let kept_id = address(&i, "a@example.com").id;
        i.traits = json!({ "email": "A@example.com", "backup": { "email": "c@example.com" } });
        sync(&mut i, &schema());
        let (kept, changed) = (address(&i, "a@example.com"), address(&i, "c@example.com"));
        assert_eq!((kept.id, kept.verified), (kept_id, true));
        assert!(!changed.verified);
        i.traits = json!({ "email": "a@example.com" });
        sync(&mut i, &schema());
        assert_eq!(values(&i), (vec!["a@example.com"], vec!["a@example.com"]));
    }
}
