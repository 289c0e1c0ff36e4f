//! Strict decoding of `%XX` escapes, shared by the adapters that read escaped
//! text (signed upload URLs, S3 notification keys).

use percent_encoding::percent_decode_str;

/// Decodes `%XX` escapes (a `+` stays a `+`). `None` on a malformed escape,
/// which `percent_decode_str` would pass through as it is, or on bytes that
/// are not UTF-8: text that was never validly encoded is refused, not guessed.
pub fn percent_decode_strict(s: &str) -> Option<String> {
    let escapes_ok = s.split('%').skip(1).all(|after| {
        after
            .as_bytes()
            .get(..2)
            .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    if !escapes_ok {
        return None;
    }
    percent_decode_str(s).decode_utf8().ok().map(String::from)
}

#[cfg(test)]
mod tests {
    use super::percent_decode_strict;

    #[test]
    fn decodes_escapes_and_refuses_malformed_ones() {
        assert_eq!(percent_decode_strict("a%20b+c").as_deref(), Some("a b+c"));
        assert_eq!(percent_decode_strict("%C3%A9").as_deref(), Some("é"));
        for bad in ["%", "%2", "%zz", "%+F", "%FF", "a%2"] {
            assert_eq!(percent_decode_strict(bad), None, "{bad}");
        }
    }
}
