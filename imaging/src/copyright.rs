//! The one piece of metadata an output may carry: the source's EXIF
//! Copyright and Artist strings, read from the source and written into a
//! fresh, minimal EXIF block (one IFD, those two tags, nothing else, so no
//! GPS, camera or time data can leak).
//!
//! The source's block is found and parsed by [`crate::exif`] (bounded
//! container walk, kamadak-exif on a capped block); the new block is written
//! by kamadak-exif's writer. Strings are cleaned and capped.

use exif::experimental::Writer;
use exif::{Field, In, Tag, Value};

use crate::exif::{self as block, ascii};

/// Longest string copied; longer ones are cut at a character boundary.
const MAX_TEXT: usize = 1024;

/// The strings kept from a source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Rights {
    pub copyright: Option<String>,
    pub artist: Option<String>,
}

impl Rights {
    /// Reads the source's Copyright and Artist; empty if there are none.
    pub(crate) fn read(source: &[u8]) -> Rights {
        block::find_block(source)
            .map(Rights::from_block)
            .unwrap_or_default()
    }

    /// Reads IFD0's Copyright and Artist from an EXIF block.
    fn from_block(raw: &[u8]) -> Rights {
        let Some(exif) = block::parse(raw) else {
            return Rights::default();
        };
        Rights {
            copyright: ascii(&exif, Tag::Copyright).and_then(clean),
            artist: ascii(&exif, Tag::Artist).and_then(clean),
        }
    }

    /// A little-endian TIFF block with IFD0 holding just these tags; `None`
    /// when there are none.
    pub(crate) fn tiff(&self) -> Option<Vec<u8>> {
        let fields: Vec<Field> = [
            (Tag::Artist, &self.artist),
            (Tag::Copyright, &self.copyright),
        ]
        .into_iter()
        .filter_map(|(tag, text)| {
            Some(Field {
                tag,
                ifd_num: In::PRIMARY,
                value: Value::Ascii(vec![text.as_ref()?.as_bytes().to_vec()]),
            })
        })
        .collect();
        if fields.is_empty() {
            return None;
        }
        let mut writer = Writer::new();
        for field in &fields {
            writer.push_field(field);
        }
        let mut out = std::io::Cursor::new(Vec::new());
        // Writing two ASCII fields to memory cannot fail.
        writer.write(&mut out, true).ok()?;
        Some(out.into_inner())
    }
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
            let tiff = r.tiff().expect("a block");
            assert_eq!(Rights::from_block(&tiff), r);
            let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xE1];
            jpeg.extend(((tiff.len() + 8) as u16).to_be_bytes());
            jpeg.extend(b"Exif\0\0");
            jpeg.extend(&tiff);
            jpeg.extend([0xFF, 0xDA]);
            assert_eq!(Rights::read(&jpeg), r);
            for prefix in [&b""[..], b"Exif\0\0"] {
                let mut webp = b"RIFF\0\0\0\0WEBPVP8X".to_vec();
                webp.extend(10u32.to_le_bytes());
                webp.extend([0; 10]);
                webp.extend(b"EXIF");
                webp.extend(((prefix.len() + tiff.len()) as u32).to_le_bytes());
                webp.extend(prefix);
                webp.extend(&tiff);
                assert_eq!(Rights::read(&webp), r);
            }
        }
        assert_eq!(Rights::default().tiff(), None);
    }

    #[test]
    fn the_written_block_has_one_ifd_of_the_two_tags() {
        let tiff = rights("(c) 2024 Ada", Some("Ada")).tiff().expect("a block");
        // Header, IFD0 at 8 with two entries: Artist (0x013B) then Copyright (0x8298).
        assert!(tiff.starts_with(b"II*\0\x08\0\0\0\x02\0\x3B\x01\x02\0"));
        assert_eq!(&tiff[22..24], b"\x98\x82");
        // No next IFD.
        assert_eq!(&tiff[34..38], b"\0\0\0\0");
    }

    #[test]
    fn strings_are_cleaned_and_capped() {
        let long = "é".repeat(MAX_TEXT);
        let r = Rights {
            copyright: Some(format!(" \u{7}{long}")),
            artist: Some("\u{1b}".to_owned()),
        };
        let back = Rights::from_block(&r.tiff().expect("a block"));
        let copyright = back.copyright.expect("kept");
        assert!(copyright.len() <= MAX_TEXT && copyright.starts_with('é'));
        assert_eq!(back.artist, None);
    }

    #[test]
    fn garbage_gives_nothing() {
        assert_eq!(Rights::read(b""), Rights::default());
        assert_eq!(
            Rights::read(&[0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF]),
            Rights::default()
        );
        assert_eq!(
            Rights::from_block(b"II*\0\xff\xff\xff\xff"),
            Rights::default()
        );
        // An entry pointing past the end.
        let mut t = b"II*\0\x08\0\0\0\x01\0".to_vec();
        t.extend([0x98, 0x82, 2, 0, 100, 0, 0, 0, 0xF0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(Rights::from_block(&t), Rights::default());
    }
}
