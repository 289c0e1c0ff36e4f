//! A PNG's facts from its chunks: the ICC profile (`iCCP`), the frames of
//! an APNG (`fcTL` chunks, counted when `acTL` is present), XMP (`iTXt`
//! keyword `XML:com.adobe.xmp`) and the other text chunks (`tEXt`, `zTXt`,
//! `iTXt`) as comments, save the `Raw profile type` ones ImageMagick writes
//! for EXIF, IPTC and XMP, which count as those.
//!
//! Every chunk up to `IEND` is walked (text may follow the image data);
//! CRCs are not checked.

use std::borrow::Cow;

use super::{Found, MAX_FRAMES, Metadata, icc};

/// Most chunks walked.
const MAX_CHUNKS: usize = 1 << 20;

fn be32(b: &[u8], at: usize) -> Option<usize> {
    let bytes: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes) as usize)
}

/// What a text chunk with `keyword` holds.
fn text(keyword: &[u8]) -> Metadata {
    match keyword {
        b"XML:com.adobe.xmp" | b"Raw profile type xmp" => Metadata::Xmp,
        b"Raw profile type exif" | b"Raw profile type APP1" => Metadata::Exif,
        b"Raw profile type iptc" | b"Raw profile type 8bim" => Metadata::Iptc,
        _ => Metadata::Comment,
    }
}

/// Walks the chunks of `b`.
pub(super) fn walk(b: &[u8]) -> Found<'_> {
    let mut found = Found::default();
    let (mut animated, mut frames, mut profiled) = (false, 0u32, false);
    let mut at = 8usize;
    for _ in 0..MAX_CHUNKS {
        let (Some(len), Some(kind)) = (be32(b, at), b.get(at + 4..at + 8)) else {
            break;
        };
        let Some(body) = (at + 8).checked_add(len).and_then(|end| b.get(at + 8..end)) else {
            break;
        };
        match kind {
            // Only the first is inflated (whether or not it inflates), so
            // that many bad profiles cannot make many times the work.
            b"iCCP" if !profiled => {
                profiled = true;
                found.icc = icc::png_profile(body).map(Cow::Owned);
            }
            b"acTL" => animated = true,
            b"fcTL" => frames = frames.saturating_add(1).min(MAX_FRAMES),
            b"tEXt" | b"zTXt" | b"iTXt" => {
                let keyword = body.split(|&c| c == 0).next().unwrap_or_default();
                found.note(text(keyword));
            }
            b"IEND" => break,
            _ => {}
        }
        at += 12 + len;
    }
    found.frames = if animated { frames } else { 1 };
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut c = (body.len() as u32).to_be_bytes().to_vec();
        c.extend(kind);
        c.extend(body);
        c.extend([0; 4]);
        c
    }

    fn file(animated: bool) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
        b.extend(chunk(b"IHDR", &[0; 13]));
        let stream = miniz_oxide::deflate::compress_to_vec_zlib(b"the profile", 6);
        b.extend(chunk(b"iCCP", &[&b"name\0\0"[..], &stream].concat()));
        // A second profile is not read.
        let other = miniz_oxide::deflate::compress_to_vec_zlib(b"another", 6);
        b.extend(chunk(b"iCCP", &[&b"name\0\0"[..], &other].concat()));
        if animated {
            b.extend(chunk(b"acTL", &[0, 0, 0, 3, 0, 0, 0, 0]));
        }
        for _ in 0..3 {
            b.extend(chunk(b"fcTL", &[0; 26]));
            b.extend(chunk(b"IDAT", &[0; 5]));
        }
        b.extend(chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0<x/>"));
        b.extend(chunk(b"tEXt", b"Comment\0hello"));
        b.extend(chunk(b"zTXt", b"Raw profile type exif\0\0x"));
        b.extend(chunk(b"IEND", b""));
        b.extend(chunk(b"tEXt", b"after the end"));
        b
    }

    #[test]
    fn chunks_are_found_after_the_image_data_too() {
        let b = file(true);
        let found = walk(&b);
        assert_eq!(found.frames, 3);
        assert_eq!(found.icc.as_deref(), Some(&b"the profile"[..]));
        assert_eq!(
            found.metadata,
            [Metadata::Xmp, Metadata::Comment, Metadata::Exif]
        );
        // fcTL chunks without acTL: a still image.
        assert_eq!(walk(&file(false)).frames, 1);
    }

    #[test]
    fn truncations_and_garbage_do_not_panic() {
        let b = file(true);
        for cut in 0..b.len() {
            let found = walk(&b[..cut]);
            assert!(found.frames <= 3, "cut at {cut}");
        }
        let mut huge = b"\x89PNG\r\n\x1a\n".to_vec();
        huge.extend([0xFF, 0xFF, 0xFF, 0xFF]);
        huge.extend(b"tEXt");
        assert!(walk(&huge).metadata.is_empty());
        let _ = walk(&[0; 64]);
        // Only the first profile is read, even if it is unreadable.
        let mut two = b"\x89PNG\r\n\x1a\n".to_vec();
        two.extend(chunk(b"iCCP", b"bad\0\0\x78\x9c"));
        let good = miniz_oxide::deflate::compress_to_vec_zlib(b"good", 6);
        two.extend(chunk(b"iCCP", &[&b"ok\0\0"[..], &good].concat()));
        assert!(walk(&two).icc.is_none());
    }
}
