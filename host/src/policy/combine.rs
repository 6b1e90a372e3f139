//! How the verdicts of several policies become one decision: any deny wins (the first one);
//! otherwise every requirement applies together (the highest AAL, the shortest
//! re-authentication window); otherwise the request is allowed.

pub use crate::plugin::Answer;

use crate::model::Aal;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Requirements {
    pub aal: Option<Aal>,
    pub within: Option<Duration>,
    /// The messages of the policies that asked, in order.
    pub messages: Vec<String>,
    /// The names of the policies that asked, in order.
    pub by: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Allow,
    Require(Requirements),
    Deny {
        reason: String,
        message: Option<String>,
        by: String,
    },
}

/// Folds `(policy name, answer, message)` in configuration order.
pub fn combine<'a>(
    verdicts: impl IntoIterator<Item = (&'a str, Answer, Option<String>)>,
) -> Decision {
    let mut needs = Requirements::default();
    for (name, answer, message) in verdicts {
        let asked = match answer {
            Answer::Deny(reason) => {
                return Decision::Deny {
                    reason,
                    message,
                    by: name.to_string(),
                };
            }
            Answer::RequireAal(aal) => {
                needs.aal = needs.aal.max(Some(aal));
                true
            }
            Answer::RequireReauthentication(within) => {
                needs.within = Some(needs.within.map_or(within, |w| w.min(within)));
                true
            }
            Answer::Allow | Answer::Abstain => false,
        };
        if asked {
            needs.by.push(name.to_string());
            needs.messages.extend(message);
        }
    }
    if needs.aal.is_none() && needs.within.is_none() {
        Decision::Allow
    } else {
        Decision::Require(needs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn nothing_asked_is_allowed() {
        assert_eq!(combine([]), Decision::Allow);
        assert_eq!(
            combine([("a", Answer::Abstain, None), ("b", Answer::Allow, None)]),
            Decision::Allow
        );
    }

    #[test]
    fn the_first_deny_wins_over_everything() {
        let d = combine([
            ("a", Answer::RequireAal(Aal::Aal2), None),
            ("b", Answer::Deny("no".into()), Some("go away".into())),
            ("c", Answer::Deny("later".into()), None),
        ]);
        assert_eq!(
            d,
            Decision::Deny {
                reason: "no".into(),
                message: Some("go away".into()),
                by: "b".into()
            }
        );
    }

    #[test]
    fn requirements_add_up_to_the_strictest() {
        let d = combine([
            (
                "a",
                Answer::RequireReauthentication(secs(600)),
                Some("billing".into()),
            ),
            ("b", Answer::Allow, Some("ignored".into())),
            ("c", Answer::RequireAal(Aal::Aal2), None),
            ("d", Answer::RequireReauthentication(secs(300)), None),
            ("e", Answer::RequireAal(Aal::Aal1), None),
        ]);
        assert_eq!(
            d,
            Decision::Require(Requirements {
                aal: Some(Aal::Aal2),
                within: Some(secs(300)),
                messages: vec!["billing".into()],
                by: vec!["a".into(), "c".into(), "d".into(), "e".into()],
            })
        );
    }
}
