//! What the settings flow keeps between showing new codes and the user confirming them: the
//! codes themselves, held server-side by the host in the flow (`plugin-state`), as Kratos keeps
//! them in the flow's internal context. They are stored (hashed) only once confirmed.

use crate::codes;
use crate::credential::Config;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub codes: Vec<String>,
    /// Whether the identity had recovery codes when these were generated (they replace them).
    pub had_credential: bool,
}

impl Pending {
    /// The state a previous call stored; anything else (none, cleared, unreadable) is `None`.
    pub fn parse(state: Option<&str>) -> Option<Pending> {
        let pending: Pending = serde_json::from_str(state?).ok()?;
        (pending.codes.len() == codes::COUNT).then_some(pending)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a struct of strings serialises")
    }

    /// Whether these codes are done with: confirmed already (the credential holds them) or
    /// overtaken (the credential they were to replace was removed since). The host keeps the
    /// flow's state after storing or removing a credential, so `render` uses this to clear it.
    pub fn is_stale(&self, has_credential: bool, stored: Option<&Config>) -> bool {
        match (has_credential, stored) {
            (true, Some(config)) => config.holds(&self.codes),
            (true, None) => false,
            (false, _) => self.had_credential,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::generate;
    use latchkey_plugin_sdk::testing::FakeEnv;

    fn pending(had_credential: bool) -> Pending {
        Pending {
            codes: generate(&FakeEnv::at(0)),
            had_credential,
        }
    }

    #[test]
    fn round_trips_and_refuses_odd_state() {
        let p = pending(false);
        assert_eq!(Pending::parse(Some(&p.to_json())), Some(p));
        for s in [
            None,
            Some(""),
            Some("{}"),
            Some(r#"{"codes":["a"],"had_credential":false}"#),
        ] {
            assert_eq!(Pending::parse(s), None, "{s:?}");
        }
    }

    #[test]
    fn staleness() {
        let p = pending(false);
        let confirmed = Config::from_codes(&p.codes);
        let other = Config::from_codes(&["x".to_string()]);
        assert!(!p.is_stale(false, None), "new codes for a new credential");
        assert!(p.is_stale(true, Some(&confirmed)), "confirmed already");
        assert!(!p.is_stale(true, Some(&other)), "replacing other codes");
        assert!(
            !p.is_stale(true, None),
            "replacing an unreadable credential"
        );
        let replacing = pending(true);
        assert!(
            replacing.is_stale(false, None),
            "the credential was removed since"
        );
        assert!(!replacing.is_stale(true, Some(&other)));
    }
}
