//! Format detection from magic bytes: the five supported source formats, and
//! the common unsupported ones named so that errors can say what they saw.

use crate::error::ImagingError;

/// A source format the engine decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "schema",
    derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)
)]
#[cfg_attr(feature = "schema", serde(rename_all = "snake_case"))]
pub enum SourceFormat {
    Jpeg,
    Png,
    Gif,
    Webp,
    /// HEIF with HEVC-coded images (HEIC), as iPhones write.
    Heic,
}

impl SourceFormat {
    /// Lower-case name of the format, as used in messages.
    pub fn name(self) -> &'static str {
        match self {
            SourceFormat::Jpeg => "jpeg",
            SourceFormat::Png => "png",
            SourceFormat::Gif => "gif",
            SourceFormat::Webp => "webp",
            SourceFormat::Heic => "heic",
        }
    }
}

/// Identifies the format of `bytes` from its first bytes.
///
/// Supported formats give `Ok`; recognised but unsupported ones give
/// `UnsupportedFormat` naming them; anything else is `NotAnImage`. Only the
/// magic bytes are looked at: a recognised prefix may still fail in
/// [`probe`](crate::probe) as truncated or corrupt.
pub fn sniff(bytes: &[u8]) -> Result<SourceFormat, ImagingError> {
    if let Some(format) = supported(bytes) {
        return Ok(format);
    }
    match unsupported(bytes) {
        Some(name) => Err(ImagingError::UnsupportedFormat(name)),
        None => Err(ImagingError::NotAnImage),
    }
}

fn supported(b: &[u8]) -> Option<SourceFormat> {
    // A bare SOI is still a (truncated) JPEG.
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) || b == [0xFF, 0xD8] {
        return Some(SourceFormat::Jpeg);
    }
    if b.starts_with(b"\x89PNG") {
        return Some(SourceFormat::Png);
    }
    if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        return Some(SourceFormat::Gif);
    }
    if b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        return Some(SourceFormat::Webp);
    }
    if iso_bmff(b) == Some("heic") {
        return Some(SourceFormat::Heic);
    }
    None
}

fn unsupported(b: &[u8]) -> Option<&'static str> {
    const PREFIXES: &[(&[u8], &str)] = &[
        (b"II*\0", "tiff"),
        (b"MM\0*", "tiff"),
        (b"II+\0", "tiff"),
        (b"MM\0+", "tiff"),
        (b"%PDF-", "pdf"),
        (b"8BPS", "psd"),
        (&[0xFF, 0x0A], "jxl"),
        (b"\0\0\0\x0CJXL \r\n\x87\n", "jxl"),
        (b"\0\0\0\x0CjP  \r\n\x87\n", "jpeg2000"),
        (&[0xFF, 0x4F, 0xFF, 0x51], "jpeg2000"),
        (b"qoif", "qoi"),
        (b"#?RADIANCE", "hdr"),
        (&[0x76, 0x2F, 0x31, 0x01], "openexr"),
        (b"DDS ", "dds"),
    ];
    if let Some((_, name)) = PREFIXES.iter().find(|(magic, _)| b.starts_with(magic)) {
        return Some(name);
    }
    if is_bmp(b) {
        return Some("bmp");
    }
    if b.len() >= 6 && (b.starts_with(&[0, 0, 1, 0]) || b.starts_with(&[0, 0, 2, 0])) && b[4] > 0 {
        return Some("ico");
    }
    if let Some(name) = iso_bmff(b) {
        return Some(name);
    }
    if is_svg(b) {
        return Some("svg");
    }
    None
}

/// "BM" alone is a weak signature: when the header is present, also require
/// its reserved field to be zero so that text like "BMW" is not taken for one.
fn is_bmp(b: &[u8]) -> bool {
    b.starts_with(b"BM") && (b.len() < 14 || b[6..10] == [0, 0, 0, 0])
}

/// HEIF/AVIF and other ISO base media files: `size "ftyp" major_brand ...`.
/// AVIF brands win over the HEIF ones (an AVIF file also lists `mif1`); a
/// generic `mif1`/`msf1` file is taken for HEIC here, and one whose primary
/// image is AV1-coded is refused as AVIF by [`probe`](crate::probe).
fn iso_bmff(b: &[u8]) -> Option<&'static str> {
    if b.len() < 12 || &b[4..8] != b"ftyp" {
        return None;
    }
    let box_len = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
    let brands_end = box_len.clamp(12, b.len().min(256));
    // Major brand, then (after the minor version) the compatible brands.
    let mut brands = vec![&b[8..12]];
    let mut at = 16;
    while at + 4 <= brands_end {
        brands.push(&b[at..at + 4]);
        at += 4;
    }
    let has = |set: &[&[u8]]| brands.iter().any(|brand| set.contains(brand));
    if has(&[b"avif", b"avis"]) {
        Some("avif")
    } else if has(&[
        b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1",
    ]) {
        Some("heic")
    } else if has(&[b"qt  "]) {
        Some("mov")
    } else {
        Some("mp4")
    }
}

/// An SVG document: optional BOM and whitespace, then `<svg`, or an XML
/// prolog / comments / doctype followed by `<svg` early in the text.
fn is_svg(b: &[u8]) -> bool {
    let b = b.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(b);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let head = &b[start..b.len().min(start + 4096)];
    if head.starts_with(b"<svg") {
        return true;
    }
    let markup = head.starts_with(b"<?xml")
        || head.starts_with(b"<!--")
        || head.starts_with(b"<!DOCTYPE svg");
    markup && head.windows(4).any(|w| w == b"<svg")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unsupported_name(bytes: &[u8]) -> Option<&'static str> {
        match sniff(bytes) {
            Err(ImagingError::UnsupportedFormat(name)) => Some(name),
            _ => None,
        }
    }

    #[test]
    fn supported_formats() {
        assert_eq!(
            sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF").ok(),
            Some(SourceFormat::Jpeg)
        );
        assert_eq!(sniff(b"\xFF\xD8").ok(), Some(SourceFormat::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n").ok(), Some(SourceFormat::Png));
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0").ok(), Some(SourceFormat::Gif));
        assert_eq!(sniff(b"GIF87a").ok(), Some(SourceFormat::Gif));
        assert_eq!(
            sniff(b"RIFF\x10\0\0\0WEBPVP8 ").ok(),
            Some(SourceFormat::Webp)
        );
        for heif in [
            &b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"[..],
            b"\0\0\0\x18ftypmif1\0\0\0\0mif1heix",
            b"\0\0\0\x14ftypmif1\0\0\0\0mif1",
            b"\0\0\0\x18ftypmsf1\0\0\0\0msf1hevc",
            b"\0\0\0\x10ftypheim\0\0\0\0",
        ] {
            assert_eq!(sniff(heif).ok(), Some(SourceFormat::Heic), "{heif:?}");
        }
    }

    #[test]
    fn not_images() {
        for bytes in [
            &b""[..],
            b"hello, world",
            b"{\"json\": true}",
            b"RIFF\x10\0\0\0WAVEfmt ",
            b"BMW is a car maker",
            b"<?xml version=\"1.0\"?><note/>",
            b"\0",
            b"\xFF",
        ] {
            assert!(
                matches!(sniff(bytes), Err(ImagingError::NotAnImage)),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn unsupported_formats_are_named() {
        assert_eq!(unsupported_name(b"II*\0\x08\0\0\0"), Some("tiff"));
        assert_eq!(unsupported_name(b"MM\0*\0\0\0\x08"), Some("tiff"));
        assert_eq!(unsupported_name(b"BM"), Some("bmp"));
        assert_eq!(
            unsupported_name(b"BM\x36\0\0\0\0\0\0\0\x36\0\0\0\x28\0"),
            Some("bmp")
        );
        assert_eq!(
            unsupported_name(b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf"),
            Some("avif")
        );
        assert_eq!(
            unsupported_name(b"\0\0\0\x1cftypmif1\0\0\0\0mif1avifmiaf"),
            Some("avif")
        );
        assert_eq!(
            unsupported_name(b"\0\0\0\x18ftypisom\0\0\0\0isomiso2"),
            Some("mp4")
        );
        assert_eq!(
            unsupported_name(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            Some("svg")
        );
        assert_eq!(
            unsupported_name(b"\xEF\xBB\xBF  <?xml version=\"1.0\"?>\n<svg>"),
            Some("svg")
        );
        assert_eq!(unsupported_name(b"%PDF-1.7\n"), Some("pdf"));
        assert_eq!(unsupported_name(b"8BPS\0\x01"), Some("psd"));
        assert_eq!(unsupported_name(b"\0\0\x01\0\x01\0\x10\x10"), Some("ico"));
        assert_eq!(unsupported_name(b"\0\0\0\x0CJXL \r\n\x87\n"), Some("jxl"));
    }
}
