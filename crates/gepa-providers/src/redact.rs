//! Removing secrets from anything that might be shown, logged, stored or shared.

const MASK: &str = "[redacted]";

/// Replaces every known secret and anything shaped like a credential: `Bearer` tokens,
/// `sk-…`-style keys, `x-api-key`/`api-key` header values, and `key=`/`api_key=`/`token=` query
/// parameters.
#[must_use]
pub fn redact_secrets(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().map(|s| s.trim()).filter(|s| s.len() >= 4) {
        out = out.replace(secret, MASK);
    }
    out = mask_after(&out, "bearer ", |c| !c.is_whitespace() && c != '"' && c != '\'');
    for header in ["x-api-key:", "api-key:", "x-goog-api-key:"] {
        out = mask_after(&out, header, |c| !c.is_whitespace() && c != '"' && c != ',');
    }
    for param in ["?key=", "&key=", "api_key=", "apikey=", "token="] {
        out = mask_after(&out, param, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~')
        });
    }
    mask_key_shaped(&out)
}

/// Masks the run of `keep` characters after each case-insensitive occurrence of `marker`.
fn mask_after(text: &str, marker: &str, keep: impl Fn(char) -> bool) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut cursor = 0;
    while let Some(found) = lower[cursor..].find(marker) {
        let start = cursor + found + marker.len();
        out.push_str(&text[cursor..start]);
        let rest = &text[start..];
        let skipped_space = rest.len() - rest.trim_start_matches(' ').len();
        let value_start = start + skipped_space;
        let value_len: usize =
            text[value_start..].chars().take_while(|c| keep(*c)).map(char::len_utf8).sum();
        out.push_str(&text[start..value_start]);
        if value_len > 0 && text[value_start..value_start + value_len] != *MASK {
            out.push_str(MASK);
        } else {
            out.push_str(&text[value_start..value_start + value_len]);
        }
        cursor = value_start + value_len;
    }
    out.push_str(&text[cursor..]);
    out
}

/// Masks tokens that look like provider keys (`sk-…`, `sk-ant-…`, `gsk_…`, `AIza…`).
fn mask_key_shaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        let looks_like_key = (token.starts_with("sk-")
            || token.starts_with("gsk_")
            || token.starts_with("AIza")
            || token.starts_with("sk_"))
            && token.len() >= 16;
        out.push_str(if looks_like_key { MASK } else { token });
        token.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '-' | '_') {
            token.push(c);
        } else {
            flush(&mut token, &mut out);
            out.push(c);
        }
    }
    flush(&mut token, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::redact_secrets;

    #[test]
    fn known_secrets_and_credential_shapes_are_masked() {
        let key = "my-custom-secret-42";
        let text = format!(
            "key {key}; Authorization: Bearer abc.def; x-api-key: sk-ant-api03-XYZXYZXYZXYZ; \
             url https://h/v1?key=AIzaSyA123&x=1; stray sk-proj-abcdefghijklmnop end"
        );
        let out = redact_secrets(&text, &[key]);
        for secret in
            [key, "abc.def", "sk-ant-api03-XYZXYZXYZXYZ", "AIzaSyA123", "sk-proj-abcdefghijklmnop"]
        {
            assert!(!out.contains(secret), "{secret} leaked: {out}");
        }
        assert!(out.contains("&x=1") && out.contains(" end"));
    }

    #[test]
    fn ordinary_text_is_untouched() {
        let text = "The answer is 42. Ask a skeptic; tokens: 12.";
        assert_eq!(redact_secrets(text, &[]), text);
    }
}
