//! Text from outside kept small and printable: a hostile answer cannot make
//! each result carry megabytes, or a control character, in what we keep.

/// The longest server text we keep (a Genesys message is a sentence or two).
pub const MAX_TEXT: usize = 1024;
/// The longest server token we keep (codes, correlation ids: a UUID is 36).
pub const MAX_TOKEN: usize = 128;

/// `s` cut to `max` bytes (at a character boundary), with `…` when cut, and
/// control characters replaced: kept server text stays small and printable.
pub fn bound_text(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .scan(0usize, |len, c| {
            *len += c.len_utf8();
            (*len <= max).then_some(c)
        })
        .collect();
    if out.len() < s.len() && s.len() > max {
        out.push('…');
    }
    out
}

/// A message that ends a sentence: a full stop added unless it already ends
/// with one (or `?`/`!`), so that a sentence can follow it.
pub fn full_stop(message: &str) -> std::borrow::Cow<'_, str> {
    let trimmed = message.trim_end();
    if trimmed.ends_with(['.', '?', '!']) {
        trimmed.into()
    } else {
        format!("{trimmed}.").into()
    }
}

/// A server identifier (error code, correlation id) kept only as far as it
/// looks like one: letters, digits and `-._:`, at most `MAX_TOKEN` long.
pub fn bound_token(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "-._:".contains(*c))
        .take(MAX_TOKEN)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded() {
        assert_eq!(bound_text("a\u{0007}b", 10), "a b");
        assert_eq!(bound_text("ééé", 4), "éé…");
        assert_eq!(bound_token("abc-123\u{0000}<script>"), "abc-123");
        assert_eq!(full_stop("done"), "done.");
        assert_eq!(full_stop("done?"), "done?");
    }
}
