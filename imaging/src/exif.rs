//! EXIF, wherever a container carries it: finding the block (JPEG APP1,
//! PNG `eXIf`, WebP `EXIF`) and reading it with kamadak-exif.
//!
//! A block is a TIFF structure (`II*\0` or `MM\0*`), possibly preceded by
//! `Exif\0\0` (always so in JPEG APP1; some writers put it in WebP and PNG
//! too). Everything here is lenient: an unreadable block reads as empty,
//! since broken metadata is not worth failing an image for.
//!
//! Bounds: the container walk visits at most [`MAX_SEGMENTS`] segments and
//! never copies; kamadak-exif sees at most the first [`MAX_TIFF`] bytes of a
//! block. It parses every IFD it reaches (at most 8 in the main chain, each
//! visited once) and reads values lazily, but the number of entries it
//! records grows with the square of its input (sub-IFDs may overlap), so the
//! cap keeps its work and memory small. The tags read here (orientation,
//! copyright, artist) live in IFD0, which writers put, with its values, at
//! the start of the block.

use exif::{Exif, In, Reader, Tag, Value};
use image::metadata::Orientation;

/// Most bytes of a TIFF block given to the parser.
const MAX_TIFF: usize = 16 * 1024;
/// Most container segments or chunks walked looking for the block (an
/// animated WebP keeps its EXIF chunk after every frame).
const MAX_SEGMENTS: usize = 65_536;

/// The orientation an EXIF block (TIFF, with or without the `Exif\0\0`
/// prefix) asks for: 1..=8 from IFD0's Orientation tag; anything missing,
/// unreadable or out of range is [`Orientation::NoTransforms`].
pub(crate) fn orientation(raw: &[u8]) -> Orientation {
    parse(raw)
        .and_then(|exif| {
            exif.get_field(Tag::Orientation, In::PRIMARY)
                .and_then(|f| f.value.get_uint(0))
        })
        .and_then(|v| u8::try_from(v).ok())
        .and_then(Orientation::from_exif)
        .unwrap_or(Orientation::NoTransforms)
}

/// The raw bytes of IFD0's ASCII `tag` (first string only), if any.
pub(crate) fn ascii(exif: &Exif, tag: Tag) -> Option<&[u8]> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Ascii(strings) => strings.first().map(Vec::as_slice),
        _ => None,
    }
}

/// Parses an EXIF block, leniently: fields read before an error are kept.
pub(crate) fn parse(raw: &[u8]) -> Option<Exif> {
    let tiff = raw.strip_prefix(b"Exif\0\0").unwrap_or(raw);
    if !(tiff.starts_with(b"II*\0") || tiff.starts_with(b"MM\0*")) {
        return None;
    }
    let tiff = &tiff[..tiff.len().min(MAX_TIFF)];
    match Reader::new()
        .continue_on_error(true)
        .read_raw(tiff.to_vec())
    {
        Ok(exif) => Some(exif),
        Err(exif::Error::PartialResult(partial)) => Some(partial.into_inner().0),
        Err(_) => None,
    }
}

fn be32(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_be_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?) as usize)
}

fn le32(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_le_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?) as usize)
}

/// The EXIF block inside a JPEG (APP1 before the first scan), PNG (`eXIf`
/// before the image data) or WebP (`EXIF` chunk), as stored: a `Exif\0\0`
/// prefix is left for [`parse`] to strip.
pub(crate) fn find_block(b: &[u8]) -> Option<&[u8]> {
    if b.starts_with(&[0xFF, 0xD8]) {
        return crate::markers::jpeg(b).exif;
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        let mut at = 8;
        for _ in 0..MAX_SEGMENTS {
            let len = be32(b, at)?;
            let kind = b.get(at + 4..at + 8)?;
            if kind == b"IDAT" || kind == b"IEND" {
                return None;
            }
            let body = b.get(at + 8..(at + 8).checked_add(len)?)?;
            if kind == b"eXIf" {
                return Some(body);
            }
            at = at.checked_add(12 + len)?;
        }
    } else if b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        let mut at = 12;
        for _ in 0..MAX_SEGMENTS {
            let kind = b.get(at..at + 4)?;
            let len = le32(b, at + 4)?;
            let body = b.get(at + 8..(at + 8).checked_add(len)?)?;
            if kind == b"EXIF" {
                return Some(body);
            }
            at = at.checked_add(8 + len + len % 2)?;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IFD0 with one Orientation entry holding `value`.
    fn block(value: u16, big_endian: bool) -> Vec<u8> {
        let (mut t, entry) = if big_endian {
            let mut e = vec![0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1];
            e.extend(value.to_be_bytes());
            (b"MM\0*\0\0\0\x08".to_vec(), e)
        } else {
            let mut e = vec![1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0];
            e.extend(value.to_le_bytes());
            (b"II*\0\x08\0\0\0".to_vec(), e)
        };
        t.extend(entry);
        t.extend([0; 6]);
        t
    }

    #[test]
    fn orientations_in_both_byte_orders_with_and_without_prefix() {
        for value in 1..=8u16 {
            let expected = Orientation::from_exif(value as u8).expect("valid");
            for big_endian in [false, true] {
                let tiff = block(value, big_endian);
                assert_eq!(orientation(&tiff), expected, "{value} {big_endian}");
                let mut prefixed = b"Exif\0\0".to_vec();
                prefixed.extend(&tiff);
                assert_eq!(orientation(&prefixed), expected, "{value} {big_endian}");
            }
        }
    }

    #[test]
    fn anything_else_reads_as_no_transform() {
        let none = Orientation::NoTransforms;
        for value in [0, 9, 0x0106, 0xFFFF] {
            assert_eq!(orientation(&block(value, true)), none, "{value}");
        }
        let good = block(6, false);
        for cut in 0..good.len() - 6 {
            assert_eq!(orientation(&good[..cut]), none, "cut at {cut}");
        }
        assert_eq!(orientation(b"Exif\0\0Exif\0\0II*\0"), none);
        assert_eq!(orientation(b"JFIF"), none);
        // IFD0 pointing at itself as the next IFD.
        let mut looped = good.clone();
        looped[good.len() - 4..].copy_from_slice(&8u32.to_le_bytes());
        assert_eq!(orientation(&looped), Orientation::Rotate90);
    }

    /// A block built so that the parser records a number of entries growing
    /// with the square of its length: IFD0 points to overlapping sub-IFDs,
    /// each as long as the rest of the block.
    fn overlapping_sub_ifds(len: usize) -> Vec<u8> {
        let pointers = len / 24;
        let first = 8 + 2 + 12 * pointers + 4;
        let mut t = b"II*\0\x08\0\0\0".to_vec();
        t.extend((pointers as u16).to_le_bytes());
        for i in 0..pointers {
            t.extend([0x69, 0x87, 4, 0, 1, 0, 0, 0]);
            t.extend(((first + i) as u32).to_le_bytes());
        }
        t.extend([0; 4]);
        t.resize(len, 0xFF);
        t
    }

    #[test]
    fn parsing_is_bounded() {
        // The worst case that fits the cap: about 445,000 entries (some
        // 20 MB, 40 ms). Twice the cap would give four times as many; a
        // 64 KiB block, uncapped, about 7 million (1 s, 340 MB).
        let bound = MAX_TIFF * MAX_TIFF / 500;
        let entries = |len| parse(&overlapping_sub_ifds(len)).map(|e| e.fields().len());
        let worst = entries(MAX_TIFF).expect("parses");
        assert!(worst > bound / 2 && worst < bound, "{worst} entries");
        let cut = entries(64 * 1024).expect("parses");
        assert!(cut < bound, "{cut} entries");
    }

    #[test]
    fn blocks_are_found_in_each_container() {
        let tiff = block(3, true);
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xE1];
        jpeg.extend(((tiff.len() + 8) as u16).to_be_bytes());
        jpeg.extend(b"Exif\0\0");
        jpeg.extend(&tiff);
        jpeg.extend([0xFF, 0xDA]);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend((tiff.len() as u32).to_be_bytes());
        png.extend(b"eXIf");
        png.extend(&tiff);
        png.extend([0; 4]);
        let mut webp = b"RIFF\0\0\0\0WEBPVP8X\x0A\0\0\0".to_vec();
        webp.extend([0; 10]);
        webp.extend(b"EXIF");
        webp.extend((tiff.len() as u32).to_le_bytes());
        webp.extend(&tiff);
        for file in [jpeg, png, webp] {
            let found = find_block(&file).expect("found");
            assert_eq!(orientation(found), Orientation::Rotate180);
        }
        assert_eq!(find_block(b"GIF89a"), None);
    }
}
