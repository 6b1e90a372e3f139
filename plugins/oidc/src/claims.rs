//! From a verified ID token's claims to identity traits, by the provider's `claims_mapping`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Every claim of a compact JWS, custom ones included. Only for a token whose signature was
/// verified: this reads the same bytes the verification covered.
pub fn payload(compact: &str) -> Option<Map<String, Value>> {
    let encoded = compact.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(encoded.trim_end_matches('=')).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(claims) => Some(claims),
        _ => None,
    }
}

/// The traits the mapped claims give, nested by the dots of their paths. Claims the token does
/// not carry (or carries as `null`) are left out: the identity schema decides what is required.
pub fn traits(claims: &Map<String, Value>, mapping: &BTreeMap<String, String>) -> Value {
    let mut traits = Map::new();
    for (path, claim) in mapping {
        let Some(value) = claims.get(claim).filter(|v| !v.is_null()) else {
            continue;
        };
        let mut names: Vec<&str> = path.split('.').collect();
        let last = names.pop().expect("split yields one name at least");
        let mut object = &mut traits;
        for name in names {
            let entry = object
                .entry(name)
                .or_insert_with(|| Value::Object(Map::new()));
            // Settings refuse a path that is also another's prefix, so this is an object.
            let Value::Object(inner) = entry else {
                unreachable!("claims_mapping paths are checked when the settings load")
            };
            object = inner;
        }
        object.insert(last.to_string(), value.clone());
    }
    Value::Object(traits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_present_claims_into_nested_traits() {
        let claims = json!({"sub": "1", "email": "a@b.c", "given_name": "Ada", "family_name": null,
                            "groups": ["x"], "email_verified": true});
        let mapping = BTreeMap::from(
            [
                ("email", "email"),
                ("name.first", "given_name"),
                ("name.last", "family_name"),
                ("org.groups", "groups"),
                ("phone", "phone_number"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string())),
        );
        let traits = traits(claims.as_object().unwrap(), &mapping);
        assert_eq!(
            traits,
            json!({"email": "a@b.c", "name": {"first": "Ada"}, "org": {"groups": ["x"]}})
        );
    }

    #[test]
    fn reads_the_payload() {
        let body = URL_SAFE_NO_PAD.encode(br#"{"sub":"s","x_custom":1}"#);
        let claims = payload(&format!("e30.{body}.sig")).unwrap();
        assert_eq!(claims["x_custom"], 1);
        assert!(payload("nodots").is_none());
        assert!(payload(&format!("e30.{}.x", URL_SAFE_NO_PAD.encode("[1]"))).is_none());
    }
}
