//! Kratos' identifier similarity check: a password is too close to an identifier when fewer
//! than five edits turn one into the other, or when more than half of the password is a
//! substring of the identifier. Both sides are compared in lower case.

/// Kratos' thresholds (`minIdentifierPasswordDist`, `maxIdentifierPasswordSubstrThreshold`).
const MIN_DISTANCE: usize = 5;
const MAX_SHARED_FRACTION: f32 = 0.5;

/// Both measures cost length × length; past this many characters Kratos skips the check, and
/// so does this, since real identifiers and passwords are far shorter.
const MAX_COMPARED_CHARS: usize = 256;

pub fn too_similar(identifier: &str, password: &str) -> bool {
    let identifier: Vec<char> = identifier.to_lowercase().chars().collect();
    let password: Vec<char> = password.to_lowercase().chars().collect();
    if identifier.is_empty()
        || password.is_empty()
        || identifier.len() > MAX_COMPARED_CHARS
        || password.len() > MAX_COMPARED_CHARS
    {
        return false;
    }
    let shared = longest_common_substring(&identifier, &password) as f32 / password.len() as f32;
    levenshtein(&identifier, &password) < MIN_DISTANCE || shared > MAX_SHARED_FRACTION
}

fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, x) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(x != y);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

fn longest_common_substring(a: &[char], b: &[char]) -> usize {
    let mut previous = vec![0; b.len() + 1];
    let mut current = vec![0; b.len() + 1];
    let mut longest = 0;
    for x in a {
        for (j, y) in b.iter().enumerate() {
            current[j + 1] = if x == y { previous[j] + 1 } else { 0 };
            longest = longest.max(current[j + 1]);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn distances() {
        assert_eq!(levenshtein(&chars("kitten"), &chars("sitting")), 3);
        assert_eq!(levenshtein(&chars(""), &chars("abc")), 3);
        assert_eq!(levenshtein(&chars("flaw"), &chars("lawn")), 2);
        assert_eq!(
            longest_common_substring(&chars("ann@example.com"), &chars("myexample!")),
            7
        );
        assert_eq!(longest_common_substring(&chars("abc"), &chars("xyz")), 0);
    }

    #[test]
    fn as_kratos_decides() {
        // Fewer than five edits away.
        assert!(too_similar("ann@example.com", "ANN@example.com"));
        assert!(too_similar("ann@example.com", "ann@example.com12"));
        assert!(too_similar("annabel", "annabel12"));
        // More than half of the password appears in the identifier.
        assert!(too_similar("ann.smith@example.com", "smith@example!!!!"));
        assert!(too_similar("ann@example.com", "xx example.com yy"));
        // Far enough on both counts.
        assert!(!too_similar("ann@example.com", "a calm password"));
        assert!(!too_similar("a@b.c", "correct horse battery"));
        assert!(!too_similar("", "anything at all"));
    }

    #[test]
    fn oversized_operands_are_not_compared() {
        let long = "a".repeat(MAX_COMPARED_CHARS + 1);
        assert!(!too_similar(&long, &long));
    }
}
