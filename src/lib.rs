//! The `pixpipe` binary's building blocks, public so tests drive the same code.
//!
//! - [`bench`]: the engine timed like the shared benchmark's anchors.
//! - [`bench_create`]: job creation timed under load, from the client.
//! - [`serve`]: the server (API + workers) and its flags.
//! - [`backend`]: the embedded and AWS adapters behind it.
//! - [`listen`]: its HTTP listener and the connections' limits.
//! - [`cors`]: which browser origins may call the server.
//! - [`web`]: the browser upload page, served and built.
//! - [`process`]: the engine over local files.
//! - [`upload`]: `pixpipe upload`, the API's client flow for local files.
//! - [`watermark`]: the server's watermark PNG, loaded at start-up.

pub mod backend;
pub mod bench;
pub mod bench_avif;
pub mod bench_create;
pub mod cors;
pub mod listen;
pub mod process;
pub mod serve;
pub mod upload;
pub mod watermark;
pub mod web;

/// The OpenAPI document as YAML, exactly as committed in `openapi.yaml`.
pub fn openapi_yaml() -> anyhow::Result<String> {
    Ok(quote_timestamps(&pixpipe_api::openapi().to_yaml()?))
}

/// Quotes every plain scalar that a YAML 1.1 reader (PyYAML, for one) would
/// take for a date or timestamp, such as `created_at: 2026-11-26T18:00:00Z`:
/// YAML 1.2 reads it as a string, YAML 1.1 as a datetime. Block scalars
/// (`|-` and `>` texts) are left as they are.
fn quote_timestamps(yaml: &str) -> String {
    let mut out = String::with_capacity(yaml.len() + 256);
    // The indentation of the key that opened the block scalar being read.
    let mut block: Option<usize> = None;
    for line in yaml.split_inclusive('\n') {
        let text = line.trim_end_matches('\n');
        let indent = text.len() - text.trim_start().len();
        if let Some(parent) = block {
            if text.trim().is_empty() || indent > parent {
                out.push_str(line);
                continue;
            }
            block = None;
        }
        // The value after `key: ` or a sequence's `- `.
        let split = text
            .find(": ")
            .map(|i| i + 2)
            .or_else(|| text.trim_start().starts_with("- ").then_some(indent + 2));
        let value = split.map(|i| &text[i..]);
        match value.map(str::trim) {
            Some(v) if ["|", "|-", "|+", ">", ">-", ">+"].contains(&v) => block = Some(indent),
            Some(v) if looks_like_yaml11_timestamp(v) => {
                let i = split.unwrap_or_default();
                out.push_str(&text[..i]);
                out.push('\'');
                out.push_str(v);
                out.push('\'');
                out.push_str(&line[text.len()..]);
                continue;
            }
            _ => {}
        }
        out.push_str(line);
    }
    out
}

/// `YYYY-MM-DD`, alone or followed by a time (`T`, `t` or spaces): YAML 1.1's
/// timestamp type. Quoted scalars start with a quote and never match.
fn looks_like_yaml11_timestamp(v: &str) -> bool {
    let b = v.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    b.len() >= 10
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && (b.len() == 10 || matches!(b[10], b'T' | b't' | b' ' | b'\t'))
}

#[cfg(test)]
mod tests {
    use super::quote_timestamps;

    #[test]
    fn timestamps_are_quoted_outside_block_scalars() {
        let yaml = "a:\n  created_at: 2026-11-26T18:00:00Z\n  day: 2026-11-26\n  \
            list:\n  - 2026-11-26 18:00:00\n  id: 2026-11-26-x\n  text: |-\n    \
            at: 2026-11-26T18:00:00Z\n\n    more\n  after: 2026-11-26T18:00:00Z\n  \
            quoted: '2026-11-26'\n";
        let want = "a:\n  created_at: '2026-11-26T18:00:00Z'\n  day: '2026-11-26'\n  \
            list:\n  - '2026-11-26 18:00:00'\n  id: 2026-11-26-x\n  text: |-\n    \
            at: 2026-11-26T18:00:00Z\n\n    more\n  after: '2026-11-26T18:00:00Z'\n  \
            quoted: '2026-11-26'\n";
        assert_eq!(quote_timestamps(yaml), want);
    }

    #[test]
    fn the_committed_document_has_only_quoted_timestamps() {
        let yaml = crate::openapi_yaml().unwrap();
        assert!(yaml.contains("created_at: '2026-11-26T18:00:00Z'"));
        assert_eq!(quote_timestamps(&yaml), yaml);
    }
}
