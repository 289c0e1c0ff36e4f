//! The local side of one upload: which image type a file holds (magic bytes
//! first, then the extension) and its bytes as a bounded body stream that
//! moves a progress bar.

use std::io::ErrorKind;
use std::path::Path;

use bytes::BytesMut;
use futures_util::stream;
use indicatif::ProgressBar;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt};

use super::Failure;

/// Bytes read from the file per body chunk.
const CHUNK: usize = 64 * 1024;

/// An opened local file, ready to be announced and streamed.
pub struct Source {
    pub content_type: &'static str,
    pub len: u64,
    pub filename: Option<String>,
    file: tokio::fs::File,
}

/// What the create call says about a file.
#[derive(Debug, Clone)]
pub struct Announcement {
    pub content_type: &'static str,
    pub len: u64,
    pub filename: Option<String>,
}

/// The image type announced by the first bytes of a file, if any.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        Some("image/webp")
    } else if pixpipe_imaging::sniff(head) == Ok(pixpipe_imaging::SourceFormat::Heic) {
        Some("image/heic")
    } else {
        None
    }
}

/// The image type a file name's extension stands for, if any.
pub fn by_extension(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "jpg" | "jpeg" | "jpe" | "jfif" => Some("image/jpeg"),
        "png" => Some("image/png"),
        "gif" => Some("image/gif"),
        "webp" => Some("image/webp"),
        "heic" => Some("image/heic"),
        "heif" | "hif" => Some("image/heif"),
        _ => None,
    }
}

fn unreadable(path: &Path, error: &std::io::Error) -> Failure {
    Failure::new(
        "unreadable_file",
        format!("cannot read {}: {error}", path.display()),
    )
}

impl Source {
    /// Opens `path`, takes its size and works out its content type.
    pub async fn open(path: &Path) -> Result<Source, Failure> {
        let mut file = tokio::fs::File::open(path)
            .await
            .map_err(|e| unreadable(path, &e))?;
        let meta = file.metadata().await.map_err(|e| unreadable(path, &e))?;
        if !meta.is_file() {
            return Err(Failure::new(
                "unreadable_file",
                format!("{} is not a regular file", path.display()),
            ));
        }
        let mut head = Vec::with_capacity(16);
        (&mut file)
            .take(16)
            .read_to_end(&mut head)
            .await
            .map_err(|e| unreadable(path, &e))?;
        file.rewind().await.map_err(|e| unreadable(path, &e))?;
        let content_type = sniff(&head).or_else(|| by_extension(path)).ok_or_else(|| {
            Failure::new(
                "unknown_image_type",
                format!(
                    "{} is neither JPEG, PNG, WebP, GIF nor HEIC by its first bytes or its extension",
                    path.display()
                ),
            )
        })?;
        let filename = path
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| n.len() <= 255 && !n.chars().any(pixpipe_core::service::unsafe_in_filename))
            .map(str::to_owned);
        Ok(Source {
            content_type,
            len: meta.len(),
            filename,
            file,
        })
    }

    pub fn announcement(&self) -> Announcement {
        Announcement {
            content_type: self.content_type,
            len: self.len,
            filename: self.filename.clone(),
        }
    }

    /// The file's first `len` bytes as a request body; `bar` advances as
    /// chunks are handed to the connection.
    pub fn into_body(self, bar: ProgressBar) -> reqwest::Body {
        reqwest::Body::wrap_stream(body_stream(self.file, self.len, bar))
    }
}

/// Exactly `len` bytes of `reader` in chunks, or an error if it ends sooner
/// (the file shrank after its size was announced).
fn body_stream<R>(
    reader: R,
    len: u64,
    bar: ProgressBar,
) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static
where
    R: AsyncRead + Unpin + Send + 'static,
{
    stream::unfold(
        (reader.take(len), 0u64, false),
        move |(mut reader, sent, done)| {
            let bar = bar.clone();
            async move {
                if done {
                    return None;
                }
                let mut buf = BytesMut::with_capacity(CHUNK);
                match reader.read_buf(&mut buf).await {
                    Ok(0) if sent < len => {
                        let error = std::io::Error::new(
                            ErrorKind::UnexpectedEof,
                            format!("the file ended after {sent} of {len} bytes"),
                        );
                        Some((Err(error), (reader, sent, true)))
                    }
                    Ok(0) => None,
                    Ok(n) => {
                        bar.inc(n as u64);
                        Some((Ok(buf.freeze()), (reader, sent + n as u64, false)))
                    }
                    Err(error) => Some((Err(error), (reader, sent, true))),
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    #[test]
    fn magic_bytes_decide_before_the_extension() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"GIF89a.."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(
            sniff(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"),
            Some("image/heic")
        );
        assert_eq!(sniff(b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf"), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVE"), None);
        assert_eq!(sniff(b"hello"), None);
        assert_eq!(by_extension(Path::new("a/B.JPG")), Some("image/jpeg"));
        assert_eq!(by_extension(Path::new("x.webp")), Some("image/webp"));
        assert_eq!(by_extension(Path::new("IMG_0001.HEIC")), Some("image/heic"));
        assert_eq!(by_extension(Path::new("x.txt")), None);
        assert_eq!(by_extension(Path::new("noext")), None);
    }

    #[tokio::test]
    async fn body_sends_exactly_the_announced_length() {
        let data = vec![7u8; 200_000];
        let bar = ProgressBar::hidden();
        let chunks: Vec<_> = body_stream(std::io::Cursor::new(data.clone()), 150_000, bar.clone())
            .collect()
            .await;
        let total: usize = chunks.iter().map(|c| c.as_ref().unwrap().len()).sum();
        assert_eq!(total, 150_000);
        assert_eq!(bar.position(), 150_000);

        let short: Vec<_> = body_stream(
            std::io::Cursor::new(data[..10].to_vec()),
            20,
            ProgressBar::hidden(),
        )
        .collect()
        .await;
        let error = short.last().unwrap().as_ref().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UnexpectedEof);
    }

    #[tokio::test]
    async fn unknown_files_fail_with_a_code() {
        let dir = tempfile::tempdir().unwrap();
        let notes = dir.path().join("notes.txt");
        std::fs::write(&notes, "plain text").unwrap();
        let failure = Source::open(&notes).await.err().unwrap();
        assert_eq!(failure.code, "unknown_image_type");
        let missing = Source::open(&dir.path().join("missing.jpg"))
            .await
            .err()
            .unwrap();
        assert_eq!(missing.code, "unreadable_file");
        let named = dir.path().join("text.jpg");
        std::fs::write(&named, "plain text").unwrap();
        let source = Source::open(&named).await.unwrap();
        assert_eq!((source.content_type, source.len), ("image/jpeg", 10));
    }
}
