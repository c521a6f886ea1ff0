//! A candidate program: an ordered map from component name to text.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// Component name → text, in the seed's key order (round-robin follows this order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Candidate(IndexMap<String, String>);

impl Candidate {
    /// A candidate from `(name, text)` pairs, keeping their order.
    pub fn new<N: Into<String>, T: Into<String>>(pairs: impl IntoIterator<Item = (N, T)>) -> Self {
        Candidate(pairs.into_iter().map(|(n, t)| (n.into(), t.into())).collect())
    }

    /// The text of one component.
    #[must_use]
    pub fn get(&self, component: &str) -> Option<&str> {
        self.0.get(component).map(String::as_str)
    }

    /// Component names in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// `(name, text)` pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of components.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no components (never true for a valid run).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A copy with one component's text replaced. Unknown names are ignored.
    #[must_use]
    pub fn with_text(&self, component: &str, text: &str) -> Candidate {
        let mut next = self.clone();
        if let Some(slot) = next.0.get_mut(component) {
            *slot = text.to_owned();
        }
        next
    }

    /// A stable 64-bit content hash over the name-sorted `(name, text)` pairs (FNV-1a), used as
    /// the evaluation cache key. Independent of component order and of the process.
    #[must_use]
    pub fn content_hash(&self) -> u64 {
        let mut pairs: Vec<_> = self.iter().collect();
        pairs.sort_unstable();
        let mut hash = Fnv1a::default();
        for (name, text) in pairs {
            hash.write(name.as_bytes());
            hash.write(&[0xff]);
            hash.write(text.as_bytes());
            hash.write(&[0xfe]);
        }
        hash.0
    }

    /// True when every component matches `other` after whitespace normalisation.
    #[must_use]
    pub fn same_content(&self, other: &Candidate) -> bool {
        self.len() == other.len()
            && self.iter().all(|(name, text)| {
                other
                    .get(name)
                    .is_some_and(|o| normalize_whitespace(o) == normalize_whitespace(text))
            })
    }
}

/// Collapses every run of whitespace to one space and trims the ends.
#[must_use]
pub fn normalize_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Candidate, normalize_whitespace};

    #[test]
    fn hash_ignores_component_order_but_not_content() {
        let a = Candidate::new([("system", "Be brief."), ("user", "{{q}}")]);
        let b = Candidate::new([("user", "{{q}}"), ("system", "Be brief.")]);
        let c = Candidate::new([("system", "Be brief!"), ("user", "{{q}}")]);
        assert_eq!(a.content_hash(), b.content_hash());
        assert_ne!(a.content_hash(), c.content_hash());
        // Moving text across the name/text boundary must not collide.
        let d = Candidate::new([("ab", "c")]);
        let e = Candidate::new([("a", "bc")]);
        assert_ne!(d.content_hash(), e.content_hash());
    }

    #[test]
    fn same_content_normalises_whitespace() {
        let a = Candidate::new([("system", "Answer  with\n a number.")]);
        let b = Candidate::new([("system", " Answer with a number. ")]);
        assert!(a.same_content(&b));
        assert!(!a.same_content(&Candidate::new([("system", "Answer with a word.")])));
        assert_eq!(normalize_whitespace("  a \t b\n"), "a b");
    }

    #[test]
    fn with_text_replaces_only_known_components() {
        let a = Candidate::new([("system", "x"), ("user", "y")]);
        let b = a.with_text("system", "z");
        assert_eq!(b.get("system"), Some("z"));
        assert_eq!(b.get("user"), Some("y"));
        assert_eq!(a.with_text("nope", "z"), a);
        assert_eq!(b.names().collect::<Vec<_>>(), ["system", "user"]);
    }
}
