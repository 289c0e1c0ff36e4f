//! A WebP's facts from its RIFF chunks: the frames of an animation (`ANMF`
//! chunks, counted when the VP8X animation flag is set), the ICC profile
//! (`ICCP`) and XMP (`XMP `).

use std::borrow::Cow;

use super::{Found, MAX_FRAMES, Metadata};
use crate::webp_canvas::chunks;

fn le32(b: &[u8], at: usize) -> Option<usize> {
    let bytes: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(bytes) as usize)
}

/// Walks the chunks of `b` (within the RIFF size, if the data holds it).
pub(super) fn walk(b: &[u8]) -> Found<'_> {
    let mut found = Found::default();
    let end = le32(b, 4).map_or(b.len(), |riff| riff.saturating_add(8).min(b.len()));
    let body = b.get(12..end).unwrap_or_default();
    let (mut animated, mut frames) = (false, 0u32);
    for (kind, data) in chunks(body) {
        match kind {
            b"VP8X" => animated = data.first().is_some_and(|flags| flags & 0x02 != 0),
            b"ANMF" => frames = frames.saturating_add(1).min(MAX_FRAMES),
            b"ICCP" if found.icc.is_none() => found.icc = Some(Cow::Borrowed(data)),
            b"XMP " => found.note(Metadata::Xmp),
            _ => {}
        }
    }
    found.frames = if animated { frames } else { 1 };
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut c = kind.to_vec();
        c.extend((body.len() as u32).to_le_bytes());
        c.extend(body);
        if body.len() % 2 == 1 {
            c.push(0);
        }
        c
    }

    fn file(flags: u8) -> Vec<u8> {
        let mut body = b"WEBP".to_vec();
        body.extend(chunk(b"VP8X", &[flags, 0, 0, 0, 1, 0, 0, 1, 0, 0]));
        body.extend(chunk(b"ICCP", b"profile"));
        body.extend(chunk(b"ANIM", &[0; 6]));
        for _ in 0..3 {
            body.extend(chunk(b"ANMF", &[0; 17]));
        }
        body.extend(chunk(b"XMP ", b"<x/>"));
        let mut b = b"RIFF".to_vec();
        b.extend((body.len() as u32).to_le_bytes());
        b.extend(body);
        // Past the RIFF size: not read.
        b.extend(chunk(b"XMP ", b"<y/>"));
        b
    }

    #[test]
    fn chunks_are_found() {
        let b = file(0x02 | 0x20 | 0x04);
        let found = walk(&b);
        assert_eq!(found.frames, 3);
        assert_eq!(found.icc.as_deref(), Some(&b"profile"[..]));
        assert_eq!(found.metadata, [Metadata::Xmp]);
        // ANMF chunks without the animation flag: a still image.
        assert_eq!(walk(&file(0x20)).frames, 1);
    }

    #[test]
    fn truncations_and_garbage_do_not_panic() {
        let b = file(0x02);
        for cut in 0..b.len() {
            assert!(walk(&b[..cut]).frames <= 3, "cut at {cut}");
        }
        let _ = walk(b"RIFF\xFF\xFF\xFF\xFFWEBPANMF\xFF\xFF\xFF\xFF");
        let _ = walk(&[0; 3]);
    }
}
