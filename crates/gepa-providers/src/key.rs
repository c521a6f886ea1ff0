//! The API key as a type that cannot leak: redacted when printed, never serialised.

/// An endpoint's API key.
///
/// `Debug` and `Display` print `<redacted>` (or `<none>`), and the type implements neither
/// `Serialize` nor `Deserialize`, so no settings file, export, share link or log line built from
/// a value holding one can contain the key. It is trimmed once, when made; only the wire layer
/// reads it back, through [`ApiKey::expose`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// A key from what the user typed or the environment held (surrounding whitespace dropped).
    #[must_use]
    pub fn new(text: impl AsRef<str>) -> Self {
        ApiKey(text.as_ref().trim().to_owned())
    }

    /// The key itself, for the request header. Nothing else should call this.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when no key was given.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for ApiKey {
    fn from(text: &str) -> Self {
        ApiKey::new(text)
    }
}

impl From<String> for ApiKey {
    fn from(text: String) -> Self {
        ApiKey::new(text)
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKey({self})")
    }
}

impl std::fmt::Display for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() { "<none>" } else { "<redacted>" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_trimmed_once_and_never_printed() {
        let key = ApiKey::new("  sk-live-0123456789abcdef \n");
        assert_eq!(key.expose(), "sk-live-0123456789abcdef");
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        assert_eq!(key.to_string(), "<redacted>");
        assert_eq!(format!("{:?}", ApiKey::default()), "ApiKey(<none>)");
        assert!(ApiKey::new("   ").is_empty());
    }
}
