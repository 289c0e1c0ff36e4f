//! Signed upload URLs: the HMAC-SHA256 signer, the query string it signs,
//! and the signing secret kept in `{data_dir}/upload-secret`.
//!
//! The signature covers `"PUT\n{key}\n{content type}\n{length}\n{expiry}"`,
//! so a URL works only for its own object key, type, length and window.
//! Neither the secret nor a signature is ever logged.

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use pixpipe_core::escape::percent_decode_strict as percent_decode;
use sha2::Sha256;
use thiserror::Error;

/// File in the data directory holding the generated secret.
pub const SECRET_FILE: &str = "upload-secret";

/// Shortest secret accepted from configuration, in bytes.
const MIN_SECRET_LEN: usize = 16;

type HmacSha256 = Hmac<Sha256>;

/// Signs and verifies upload URLs.
pub(crate) struct Signer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer { key: <redacted> }")
    }
}

/// The signed parameters of an upload URL's query string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignedParams {
    pub content_type: String,
    pub content_length: u64,
    /// Unix seconds; the URL works strictly before this.
    pub expires: i64,
    sig: Vec<u8>,
}

impl Signer {
    pub fn new(secret: &str) -> Self {
        Signer {
            key: secret.as_bytes().to_vec(),
        }
    }

    fn mac(&self, key: &str, content_type: &str, len: u64, exp: i64) -> HmacSha256 {
        // HMAC takes keys of any length; this cannot fail.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(format!("PUT\n{key}\n{content_type}\n{len}\n{exp}").as_bytes());
        mac
    }

    /// The query string (without `?`) of a signed upload URL for `key`.
    pub fn query(&self, key: &str, content_type: &str, len: u64, exp: i64) -> String {
        let sig = hex::encode(
            self.mac(key, content_type, len, exp)
                .finalize()
                .into_bytes(),
        );
        format!(
            "ct={}&len={len}&exp={exp}&sig={sig}",
            percent_encode(content_type)
        )
    }

    /// Whether `params` were signed for `key`, compared in constant time.
    pub fn verify(&self, key: &str, params: &SignedParams) -> bool {
        self.mac(
            key,
            &params.content_type,
            params.content_length,
            params.expires,
        )
        .verify_slice(&params.sig)
        .is_ok()
    }
}

/// Parses `ct`, `len`, `exp` and `sig` out of a query string; `None` when
/// one is missing, repeated or malformed. Other parameters are ignored.
pub(crate) fn parse_query(query: Option<&str>) -> Option<SignedParams> {
    let (mut ct, mut len, mut exp, mut sig) = (None, None, None, None);
    for pair in query?.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match name {
            "ct" => &mut ct,
            "len" => &mut len,
            "exp" => &mut exp,
            "sig" => &mut sig,
            _ => continue,
        };
        if slot.replace(percent_decode(value)?).is_some() {
            return None;
        }
    }
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (len, exp) = (len?, exp?);
    if !digits(&len) || !digits(&exp) {
        return None;
    }
    let sig = sig?;
    if sig.len() != 64 {
        return None;
    }
    Some(SignedParams {
        content_type: ct.filter(|c| !c.is_empty())?,
        content_length: len.parse().ok()?,
        expires: exp.parse().ok()?,
        sig: hex::decode(sig).ok()?,
    })
}

/// Everything but RFC 3986 unreserved characters is escaped.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub(crate) fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, NOT_UNRESERVED).to_string()
}

/// Why the signing secret is unusable.
#[derive(Debug, Error)]
pub enum SecretError {
    #[error("configured upload secret is shorter than {MIN_SECRET_LEN} bytes")]
    TooShort,
    #[error("secret file {} is empty", .0.display())]
    Empty(PathBuf),
    #[error("cannot read or write secret file {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// The configured secret, else the one in `{data_dir}/upload-secret`,
/// else a new one (32 random bytes, hex) written there with mode 0600.
pub(crate) fn load_or_create_secret(
    data_dir: &Path,
    configured: Option<&str>,
) -> Result<String, SecretError> {
    if let Some(secret) = configured {
        return if secret.len() < MIN_SECRET_LEN {
            Err(SecretError::TooShort)
        } else {
            Ok(secret.to_owned())
        };
    }
    load_or_create_secret_file(data_dir, SECRET_FILE)
}

/// The secret kept in `{data_dir}/{file}`, else a new one (32 random bytes,
/// hex) written there with mode 0600. Never logged.
pub fn load_or_create_secret_file(data_dir: &Path, file: &str) -> Result<String, SecretError> {
    let path = data_dir.join(file);
    let io_err = |source| SecretError::Io {
        path: path.clone(),
        source,
    };
    match read_secret(&path) {
        Ok(secret) => return secret.ok_or_else(|| SecretError::Empty(path.clone())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err(e)),
    }
    let secret = hex::encode(rand::random::<[u8; 32]>());
    // Write a private temp file, then link it into place: the secret appears
    // complete or not at all, and a concurrent first start keeps one secret.
    let tmp = data_dir.join(format!(
        ".{file}.{}.tmp",
        hex::encode(rand::random::<[u8; 8]>())
    ));
    let written = write_private(&tmp, secret.as_bytes()).and_then(|()| fs::hard_link(&tmp, &path));
    let _ = fs::remove_file(&tmp);
    match written {
        Ok(()) => {
            crate::blobs::sync_dir(data_dir).map_err(io_err)?;
            tracing::info!(path = %path.display(), "generated a new signing secret");
            Ok(secret)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read_secret(&path)
            .map_err(io_err)?
            .ok_or_else(|| SecretError::Empty(path.clone())),
        Err(e) => Err(io_err(e)),
    }
}

fn read_secret(path: &Path) -> io::Result<Option<String>> {
    let mut text = String::new();
    fs::File::open(path)?.read_to_string(&mut text)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "secret file is readable by others");
        }
    }
    let secret = text.trim();
    Ok((!secret.is_empty()).then(|| secret.to_owned()))
}

fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_round_trips_and_verifies_only_for_its_key() {
        let signer = Signer::new("0123456789abcdef0123456789abcdef");
        let query = signer.query("uploads/a", "image/svg+xml", 12, 1_700_000_000);
        let params = parse_query(Some(&query)).expect("parses");
        assert_eq!(params.content_type, "image/svg+xml");
        assert!(signer.verify("uploads/a", &params));
        assert!(!signer.verify("uploads/b", &params));
        assert!(!Signer::new("another secret, also long").verify("uploads/a", &params));
    }

    #[test]
    fn malformed_queries_are_refused() {
        let good = "ct=image%2Fpng&len=3&exp=9&sig=".to_owned() + &"ab".repeat(32);
        assert!(parse_query(Some(&good)).is_some());
        assert!(
            parse_query(Some(&format!("x&{good}&y=1&"))).is_some(),
            "others are ignored"
        );
        for bad in [
            "ct=image%2Fpng&len=3&exp=9".to_owned(),
            good.replace("len=3", "len=-3"),
            good.replace("len=3", "len=3&len=3"),
            good.replace("len=3", "len"),
            good.replace("%2F", "%2"),
            good.replace("%2F", "%+F"),
            good.replace("%2F", "%2F%"),
            good.replace("%2F", "%C3"),
            good.replace("sig=ab", "sig=zz"),
            good.replace("exp=9", "exp="),
            format!("{good}ab"),
        ] {
            assert!(parse_query(Some(&bad)).is_none(), "{bad}");
        }
        assert!(parse_query(None).is_none());
    }

    #[test]
    fn escaping_keeps_its_form() {
        // Upload URLs already handed out must still parse the same.
        let raw = "image/svg+xml; q=\"a b\" ~é";
        let encoded = "image%2Fsvg%2Bxml%3B%20q%3D%22a%20b%22%20~%C3%A9";
        assert_eq!(percent_encode(raw), encoded);
        assert_eq!(percent_decode(encoded).as_deref(), Some(raw));
        assert_eq!(percent_decode("a+b%2b").as_deref(), Some("a+b+"));
    }
}
