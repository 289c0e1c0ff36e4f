//! Header reading: the stored dimensions of each source format, parsed by
//! hand without allocating, the input limits enforced on them, and the cheap
//! structural checks that catch truncated files before any decoding.
//!
//! For GIF and animated WebP the dimensions are those of the canvas the
//! first frame is painted on, as browsers size it: for GIF the union of the
//! logical screen and the first frame's rectangle (a 0x0 screen is fine),
//! for WebP the VP8X canvas.
//!
//! Not a generic size reader such as the `imagesize` crate: it reads VP8's
//! upscaling bits into the size, checks no IHDR, VP8 or VP8L signature, stops
//! at JPEG fill bytes and TEM markers, gives GIF's screen rather than the
//! canvas and HEIF's largest `ispe` rather than the primary item's.

use crate::error::ImagingError;
use crate::options::Limits;
use crate::sniff::{SourceFormat, sniff};

/// What a header says about an image, before any pixel is decoded.
///
/// `width` and `height` are the dimensions as stored in the file, before any
/// EXIF orientation is applied (an image stored 4000x3000 with orientation 6
/// is displayed, and processed, as 3000x4000). For HEIF they are those of the
/// decoded primary image, after its `clap`, `irot` and `imir` properties
/// (which its decoder applies); the limits apply to its `ispe` size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub format: SourceFormat,
    pub width: u32,
    pub height: u32,
}

/// Reads the format and dimensions from the header and checks them against
/// `limits` (`max_input_bytes`, `max_dimension`, `max_pixels`).
///
/// Also rejects as `Truncated` a JPEG whose header ends before its first
/// scan, a PNG with no `IEND` chunk, and a WebP shorter than its RIFF
/// header says (whether a JPEG's scan data is whole is left to the
/// decoder). Never decodes pixels; allocates nothing but, for HEIF, a list
/// of the primary item's properties (the container walk is bounded, see
/// `heic::header`).
pub fn probe(bytes: &[u8], limits: &Limits) -> Result<Probe, ImagingError> {
    if bytes.len() > limits.max_input_bytes {
        return Err(ImagingError::TooLarge {
            bytes: bytes.len(),
            limit: limits.max_input_bytes,
        });
    }
    let format = sniff(bytes)?;
    let (width, height) = match format {
        SourceFormat::Jpeg => jpeg(bytes)?,
        SourceFormat::Png => png(bytes)?,
        SourceFormat::Gif => gif(bytes)?,
        SourceFormat::Webp => webp(bytes)?,
        SourceFormat::Heic => {
            let header = crate::heic::header::read(bytes)?;
            check(format, header.stored, limits)?;
            header.shown
        }
    };
    check(format, (width, height), limits)?;
    Ok(Probe {
        format,
        width,
        height,
    })
}

/// Refuses an empty image and one over `max_dimension` or `max_pixels`.
fn check(
    format: SourceFormat,
    (width, height): (u32, u32),
    limits: &Limits,
) -> Result<(), ImagingError> {
    if width == 0 || height == 0 {
        return Err(ImagingError::Corrupt(format!(
            "{} header gives an empty image ({width}x{height})",
            format.name()
        )));
    }
    let pixels = u64::from(width) * u64::from(height);
    if width > limits.max_dimension || height > limits.max_dimension || pixels > limits.max_pixels {
        return Err(ImagingError::TooManyPixels {
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    Ok(())
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        0,
    ]))
}

fn corrupt(message: &str) -> ImagingError {
    ImagingError::Corrupt(message.to_owned())
}

/// Walks the JPEG marker segments from SOI to the first SOS, taking the
/// dimensions from the frame header (SOF). Segments are skipped by their
/// length, so an EXIF thumbnail inside APP1 never counts as the main image.
fn jpeg(b: &[u8]) -> Result<(u32, u32), ImagingError> {
    let mut at = 2; // after SOI
    let mut frame: Option<(u32, u32)> = None;
    loop {
        // Tolerate junk before a marker (as libjpeg does), then fill bytes.
        while at < b.len() && b[at] != 0xFF {
            at += 1;
        }
        while at < b.len() && b[at] == 0xFF {
            at += 1;
        }
        let Some(&marker) = b.get(at) else {
            return Err(ImagingError::Truncated);
        };
        at += 1;
        match marker {
            // TEM and RST carry no length.
            0x01 | 0xD0..=0xD7 => continue,
            0xD8 => return Err(corrupt("jpeg: second start-of-image marker in the header")),
            0xD9 => return Err(corrupt("jpeg: end of image before any scan")),
            _ => {}
        }
        let len = usize::from(be16(b, at).ok_or(ImagingError::Truncated)?);
        if len < 2 {
            return Err(corrupt("jpeg: invalid segment length"));
        }
        let end = at + len;
        if end > b.len() {
            return Err(ImagingError::Truncated);
        }
        match marker {
            0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                if len < 8 {
                    return Err(corrupt("jpeg: frame header too short"));
                }
                if frame.is_none() {
                    let height = be16(b, at + 3).ok_or(ImagingError::Truncated)?;
                    let width = be16(b, at + 5).ok_or(ImagingError::Truncated)?;
                    frame = Some((u32::from(width), u32::from(height)));
                }
            }
            0xDA => {
                let Some(dims) = frame else {
                    return Err(corrupt("jpeg: scan before frame header"));
                };
                // Whether the scan data is whole is the decoder's to judge:
                // a file may lack its EOI and still be complete.
                return Ok(dims);
            }
            _ => {}
        }
        at = end;
    }
}

/// PNG: signature, then IHDR first with width and height; IEND must exist.
fn png(b: &[u8]) -> Result<(u32, u32), ImagingError> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    let sig_len = b.len().min(SIGNATURE.len());
    if b[..sig_len] != SIGNATURE[..sig_len] {
        return Err(corrupt("png: bad signature"));
    }
    // signature(8) + length(4) + "IHDR"(4) + width(4) + height(4) + 5 + crc(4)
    if b.len() < 33 {
        return Err(ImagingError::Truncated);
    }
    if be32(b, 8) != Some(13) || &b[12..16] != b"IHDR" {
        return Err(corrupt("png: first chunk is not a valid IHDR"));
    }
    let width = be32(b, 16).ok_or(ImagingError::Truncated)?;
    let height = be32(b, 20).ok_or(ImagingError::Truncated)?;
    if width > i32::MAX as u32 || height > i32::MAX as u32 {
        return Err(corrupt("png: dimensions out of range"));
    }
    let has_iend = b
        .get(33..)
        .is_some_and(|tail| tail.windows(4).rev().any(|w| w == b"IEND"));
    if !has_iend {
        return Err(ImagingError::Truncated);
    }
    Ok((width, height))
}

/// GIF: the canvas browsers paint, the union of the logical screen and the
/// first frame's rectangle (see `gif_canvas`); found by walking the header
/// blocks up to the first image descriptor.
fn gif(b: &[u8]) -> Result<(u32, u32), ImagingError> {
    Ok(crate::gif_canvas::first_frame(b)?.canvas())
}

/// WebP: the first chunk is VP8 (lossy), VP8L (lossless) or VP8X (extended,
/// with the canvas size). The RIFF size must fit in the input.
fn webp(b: &[u8]) -> Result<(u32, u32), ImagingError> {
    let riff_len = le32(b, 4).ok_or(ImagingError::Truncated)? as usize;
    if riff_len < 4 {
        return Err(corrupt("webp: bad RIFF size"));
    }
    if b.len() < riff_len.saturating_add(8) {
        return Err(ImagingError::Truncated);
    }
    let chunk = b.get(12..16).ok_or(ImagingError::Truncated)?;
    let data = 20; // after the chunk FourCC and its length
    match chunk {
        b"VP8 " => {
            // frame tag (3), start code 9d 01 2a, then 14-bit width and height.
            if b.get(data + 3..data + 6).ok_or(ImagingError::Truncated)? != [0x9D, 0x01, 0x2A] {
                return Err(corrupt("webp: bad VP8 start code"));
            }
            let width = le16(b, data + 6).ok_or(ImagingError::Truncated)? & 0x3FFF;
            let height = le16(b, data + 8).ok_or(ImagingError::Truncated)? & 0x3FFF;
            Ok((u32::from(width), u32::from(height)))
        }
        b"VP8L" => {
            if *b.get(data).ok_or(ImagingError::Truncated)? != 0x2F {
                return Err(corrupt("webp: bad VP8L signature"));
            }
            let bits = le32(b, data + 1).ok_or(ImagingError::Truncated)?;
            Ok(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => {
            let width = le24(b, data + 4).ok_or(ImagingError::Truncated)? + 1;
            let height = le24(b, data + 7).ok_or(ImagingError::Truncated)? + 1;
            Ok((width, height))
        }
        _ => Err(corrupt("webp: unknown first chunk")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG made of just a signature, an IHDR claiming `w`x`h`, and IEND.
    fn png_header(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0DIHDR".to_vec();
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(b"\0\0\0\0IEND\xAE\x42\x60\x82");
        b
    }

    #[test]
    fn png_dimensions_and_limits() {
        let limits = Limits::default();
        let p = probe(&png_header(640, 480), &limits).ok();
        assert_eq!(p.map(|p| (p.width, p.height)), Some((640, 480)));
        assert!(matches!(
            probe(&png_header(100_000, 100_000), &limits),
            Err(ImagingError::TooManyPixels { width: 100_000, .. })
        ));
        assert!(matches!(
            probe(&png_header(70_000, 10), &limits),
            Err(ImagingError::TooManyPixels { .. })
        ));
        assert!(matches!(
            probe(&png_header(0, 10), &limits),
            Err(ImagingError::Corrupt(_))
        ));
        let full = png_header(10, 10);
        assert!(matches!(
            probe(&full[..20], &limits),
            Err(ImagingError::Truncated)
        ));
        assert!(matches!(
            probe(&full[..40], &limits),
            Err(ImagingError::Truncated)
        ));
    }

    #[test]
    fn input_size_limit_comes_first() {
        let limits = Limits {
            max_input_bytes: 10,
            ..Limits::default()
        };
        assert!(matches!(
            probe(&png_header(1, 1), &limits),
            Err(ImagingError::TooLarge { limit: 10, .. })
        ));
    }

    #[test]
    fn jpeg_walk() {
        let limits = Limits::default();
        // SOI, APP0 (len 4), SOF0 (len 11: 8-bit, 20 high, 30 wide, 1 component), SOS, data, EOI
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0];
        b.extend_from_slice(&[0xFF, 0xC0, 0, 11, 8, 0, 20, 0, 30, 1, 1, 0x11, 0]);
        b.extend_from_slice(&[0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0, 0x12, 0x34]);
        b.extend_from_slice(&[0xFF, 0xD9]);
        let p = probe(&b, &limits).ok();
        assert_eq!(p.map(|p| (p.width, p.height)), Some((30, 20)));
        // No EOI: the decoder judges the scan data.
        assert!(probe(&b[..b.len() - 2], &limits).is_ok());
        assert!(matches!(
            probe(&b[..10], &limits),
            Err(ImagingError::Truncated)
        ));
        assert!(matches!(
            probe(&b[..2], &limits),
            Err(ImagingError::Truncated)
        ));
    }

    #[test]
    fn gif_and_webp_headers() {
        let limits = Limits::default();
        // Screen 32x16, no colour table, a 40x8 frame at (0, 4).
        let gif = b"GIF89a\x20\0\x10\0\0\0\0\x2C\0\0\x04\0\x28\0\x08\0\0;";
        assert_eq!(
            probe(gif, &limits).ok().map(|p| (p.width, p.height)),
            Some((40, 16))
        );
        assert!(matches!(
            probe(&gif[..8], &limits),
            Err(ImagingError::Truncated)
        ));
        assert!(matches!(
            probe(b"GIF89a\0\0\0\0\0\0\0;", &limits),
            Err(ImagingError::Corrupt(_))
        ));
        let small = Limits {
            max_dimension: 39,
            ..Limits::default()
        };
        assert!(matches!(
            probe(gif, &small),
            Err(ImagingError::TooManyPixels { width: 40, .. })
        ));

        let mut vp8x = b"RIFF\0\0\0\0WEBPVP8X\x0A\0\0\0\0\0\0\0".to_vec();
        vp8x.extend_from_slice(&[99, 0, 0, 49, 0, 0]);
        let len = (vp8x.len() - 8) as u32;
        vp8x[4..8].copy_from_slice(&len.to_le_bytes());
        assert_eq!(
            probe(&vp8x, &limits).ok().map(|p| (p.width, p.height)),
            Some((100, 50))
        );
        assert!(matches!(
            probe(&vp8x[..25], &limits),
            Err(ImagingError::Truncated)
        ));
    }
}
