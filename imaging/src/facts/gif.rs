//! A GIF's facts from its blocks, walked without decoding any image data:
//! the frames (image descriptors), comments (comment extensions, 0xFE) and
//! XMP (the `XMP DataXMP` application extension).
//!
//! Each block's data sub-blocks are skipped by their lengths, so the walk
//! advances through the input at every step and ends at the trailer, at an
//! unknown block or at the end of the data.

use super::{Found, MAX_FRAMES, Metadata};

/// The application identifier and code of an XMP extension.
const XMP: &[u8] = b"XMP DataXMP";

/// The offset after the sub-blocks starting at `at` (after their
/// terminator); `None` if the data ends first.
fn skip_sub_blocks(b: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let size = usize::from(*b.get(at)?);
        at += 1;
        if size == 0 {
            return Some(at);
        }
        at += size;
    }
}

/// The size of a colour table that `flags` announce, if any.
fn colour_table(flags: u8) -> usize {
    if flags & 0x80 == 0 {
        0
    } else {
        3 << ((flags & 7) + 1)
    }
}

/// Walks the blocks of `b`.
pub(super) fn walk(b: &[u8]) -> Found<'_> {
    let mut found = Found::default();
    let mut frames = 0u32;
    let mut at = b.get(10).map_or(b.len(), |&flags| 13 + colour_table(flags));
    while let Some(&block) = b.get(at) {
        let next = match block {
            0x2C => {
                frames = frames.saturating_add(1).min(MAX_FRAMES);
                let Some(&flags) = b.get(at + 9) else { break };
                // Descriptor, local table, LZW minimum code size, data.
                skip_sub_blocks(b, at + 10 + colour_table(flags) + 1)
            }
            0x21 => {
                match b.get(at + 1) {
                    Some(0xFE) => found.note(Metadata::Comment),
                    Some(0xFF)
                        if b.get(at + 2) == Some(&11)
                            && b.get(at + 3..at + 3 + XMP.len()) == Some(XMP) =>
                    {
                        found.note(Metadata::Xmp);
                    }
                    _ => {}
                }
                skip_sub_blocks(b, at + 2)
            }
            _ => None,
        };
        let Some(next) = next else { break };
        at = next;
    }
    found.frames = frames;
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> Vec<u8> {
        // 2x2, a global table of 2 colours.
        let mut b = b"GIF89a\x02\0\x02\0\x80\0\0".to_vec();
        b.extend([0; 6]);
        b.extend(b"\x21\xFE\x05hello\0");
        b.extend(b"\x21\xFF\x0BXMP DataXMP\x03<x/\0");
        for local in [false, true] {
            b.extend(b"\x21\xF9\x04\0\0\0\0\0");
            b.extend(b"\x2C\0\0\0\0\x02\0\x02\0");
            if local {
                b.push(0x80);
                b.extend([0; 6]);
            } else {
                b.push(0);
            }
            b.extend(b"\x02\x02\x44\x01\0");
        }
        b.push(0x3B);
        b
    }

    #[test]
    fn frames_and_extensions_are_found() {
        let b = file();
        let found = walk(&b);
        assert_eq!(found.frames, 2);
        assert_eq!(found.metadata, [Metadata::Comment, Metadata::Xmp]);
        assert!(found.icc.is_none());
    }

    #[test]
    fn truncations_and_garbage_do_not_panic() {
        let b = file();
        for cut in 0..b.len() {
            assert!(walk(&b[..cut]).frames <= 2, "cut at {cut}");
        }
        let _ = walk(&[0x2C; 1000]);
        let _ = walk(&[0x21; 1000]);
        assert_eq!(walk(b"GIF89a\x02\0\x02\0\xFF").frames, 0);
    }
}
