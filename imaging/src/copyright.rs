//! The one piece of metadata an output may carry: the source's EXIF
//! Copyright and Artist strings, read from the source and written into a
//! fresh, minimal EXIF block (one IFD, those two tags, nothing else, so no
//! GPS, camera or time data can leak).
//!
//! Finding the source's EXIF (TIFF) block scans container structure only:
//! JPEG segment headers up to the first scan, PNG chunks up to the image
//! data, WebP RIFF chunks. Every read is bounds-checked; IFD entries and
//! string lengths are capped.

/// EXIF tag numbers copied.
const ARTIST: u16 = 0x013B;
const COPYRIGHT: u16 = 0x8298;
/// The TIFF field type of a NUL-terminated ASCII string.
const ASCII: u16 = 2;
/// Longest string copied; longer ones are cut at a character boundary.
const MAX_TEXT: usize = 1024;
/// Most IFD entries looked at.
const MAX_ENTRIES: usize = 1024;
/// Most container segments or chunks walked.
const MAX_SEGMENTS: usize = 4096;

/// The strings kept from a source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Rights {
    pub copyright: Option<String>,
    pub artist: Option<String>,
}

impl Rights {
    /// Reads the source's Copyright and Artist; empty if there are none.
    pub(crate) fn read(source: &[u8]) -> Rights {
        find_tiff(source).map(parse_tiff).unwrap_or_default()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.copyright.is_none() && self.artist.is_none()
    }

    /// A little-endian TIFF block with IFD0 holding just these tags.
    pub(crate) fn tiff(&self) -> Vec<u8> {
        let tags: Vec<(u16, &str)> = [(ARTIST, &self.artist), (COPYRIGHT, &self.copyright)]
            .into_iter()
            .filter_map(|(tag, text)| text.as_deref().map(|t| (tag, t)))
            .collect();
        let mut out = b"II*\0\x08\0\0\0".to_vec();
        out.extend((tags.len() as u16).to_le_bytes());
        let mut data_at = 8 + 2 + tags.len() * 12 + 4;
        let mut data = Vec::new();
        for (tag, text) in &tags {
            let count = text.len() + 1;
            out.extend(tag.to_le_bytes());
            out.extend(ASCII.to_le_bytes());
            out.extend((count as u32).to_le_bytes());
            let mut bytes = text.as_bytes().to_vec();
            bytes.push(0);
            if count <= 4 {
                bytes.resize(4, 0);
                out.extend(bytes);
            } else {
                out.extend((data_at as u32).to_le_bytes());
                bytes.resize(count + count % 2, 0);
                data_at += bytes.len();
                data.extend(bytes);
            }
        }
        out.extend(0u32.to_le_bytes());
        out.extend(data);
        out
    }
}

fn be16(b: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_be_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn be32(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

fn le32(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

/// The TIFF block inside a JPEG, PNG or WebP container, if any.
fn find_tiff(b: &[u8]) -> Option<&[u8]> {
    if b.starts_with(&[0xFF, 0xD8]) {
        let mut at = 2;
        for _ in 0..MAX_SEGMENTS {
            if *b.get(at)? != 0xFF {
                return None;
            }
            let marker = *b.get(at + 1)?;
            if marker == 0xFF {
                at += 1;
                continue;
            }
            if marker == 0xDA || marker == 0xD9 {
                return None;
            }
            let len = be16(b, at + 2)?;
            let body = b.get(at + 4..at + 2 + len)?;
            if marker == 0xE1 && body.starts_with(b"Exif\0\0") {
                return Some(&body[6..]);
            }
            at += 2 + len;
        }
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
                return Some(body.strip_prefix(b"Exif\0\0").unwrap_or(body));
            }
            at = at.checked_add(8 + len + len % 2)?;
        }
    }
    None
}

/// Reads the two tags from IFD0 of a TIFF block.
fn parse_tiff(t: &[u8]) -> Rights {
    let mut rights = Rights::default();
    let big = match t.get(..4) {
        Some(b"MM\0*") => true,
        Some(b"II*\0") => false,
        _ => return rights,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = t.get(at..at + 2)?.try_into().ok()?;
        Some(if big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<usize> {
        let b: [u8; 4] = t.get(at..at + 4)?.try_into().ok()?;
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        } as usize)
    };
    let Some(ifd) = u32_at(4) else {
        return rights;
    };
    let count = usize::from(u16_at(ifd).unwrap_or(0)).min(MAX_ENTRIES);
    for i in 0..count {
        let entry = ifd + 2 + i * 12;
        let (Some(tag), Some(kind), Some(n)) =
            (u16_at(entry), u16_at(entry + 2), u32_at(entry + 4))
        else {
            break;
        };
        if kind != ASCII || !(tag == ARTIST || tag == COPYRIGHT) {
            continue;
        }
        let start = if n <= 4 {
            Some(entry + 8)
        } else {
            u32_at(entry + 8)
        };
        let text = start
            .and_then(|s| t.get(s..s.checked_add(n)?))
            .and_then(clean);
        match tag {
            ARTIST => rights.artist = text,
            _ => rights.copyright = text,
        }
    }
    rights
}

/// The printable text of an EXIF ASCII value: up to its first NUL, control
/// characters dropped, trimmed, at most [`MAX_TEXT`] bytes; `None` if empty.
fn clean(raw: &[u8]) -> Option<String> {
    let raw = raw.split(|&b| b == 0).next().unwrap_or(&[]);
    let text: String = String::from_utf8_lossy(raw)
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let mut text = text.trim().to_owned();
    if text.len() > MAX_TEXT {
        let mut cut = MAX_TEXT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rights(copyright: &str, artist: Option<&str>) -> Rights {
        Rights {
            copyright: Some(copyright.to_owned()),
            artist: artist.map(str::to_owned),
        }
    }

    #[test]
    fn blocks_round_trip_through_each_container() {
        for r in [rights("(c) 2024 Ada", Some("Ada")), rights("ab", None)] {
            let tiff = r.tiff();
            assert_eq!(parse_tiff(&tiff), r);
            let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xE1];
            jpeg.extend(((tiff.len() + 8) as u16).to_be_bytes());
            jpeg.extend(b"Exif\0\0");
            jpeg.extend(&tiff);
            jpeg.extend([0xFF, 0xDA]);
            assert_eq!(Rights::read(&jpeg), r);
            let mut webp = b"RIFF\0\0\0\0WEBPVP8X".to_vec();
            webp.extend(10u32.to_le_bytes());
            webp.extend([0; 10]);
            webp.extend(b"EXIF");
            webp.extend((tiff.len() as u32).to_le_bytes());
            webp.extend(&tiff);
            assert_eq!(Rights::read(&webp), r);
        }
    }

    #[test]
    fn garbage_gives_nothing() {
        assert!(Rights::read(b"").is_empty());
        assert!(Rights::read(&[0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF]).is_empty());
        assert!(parse_tiff(b"II*\0\xff\xff\xff\xff").is_empty());
        // An entry pointing past the end.
        let mut t = b"II*\0\x08\0\0\0\x01\0".to_vec();
        t.extend([0x98, 0x82, 2, 0, 100, 0, 0, 0, 0xF0, 0, 0, 0, 0, 0, 0, 0]);
        assert!(parse_tiff(&t).is_empty());
    }
}
