//! A JPEG's facts from its segments before the first scan: the ICC profile
//! (APP2 `ICC_PROFILE` chunks), XMP (APP1, the main packet or an extended
//! one), IPTC (APP13 `Photoshop 3.0` resources) and comments (COM).

use super::{Found, Metadata, icc};

/// Most segments walked.
const MAX_SEGMENTS: usize = 65_536;

/// Opens the APP1 segment of an XMP packet.
const XMP: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
/// Opens the APP1 segments of an extended XMP packet's parts.
const XMP_EXTENSION: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";
/// Opens the APP13 segment of Photoshop resources (where IPTC lives).
const PHOTOSHOP: &[u8] = b"Photoshop 3.0\0";

/// Walks the segments of `b` up to its first scan.
pub(super) fn walk(b: &[u8]) -> Found<'_> {
    let mut found = Found {
        frames: 1,
        ..Found::default()
    };
    let mut app2 = Vec::new();
    for (marker, payload) in crate::markers::segments(b).take(MAX_SEGMENTS) {
        match marker {
            0xE1 if payload.starts_with(XMP) || payload.starts_with(XMP_EXTENSION) => {
                found.note(Metadata::Xmp);
            }
            0xE2 => app2.push(payload),
            0xED if payload.starts_with(PHOTOSHOP) => found.note(Metadata::Iptc),
            0xFE => found.note(Metadata::Comment),
            _ => {}
        }
    }
    found.icc = icc::jpeg_profile(&app2);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend(((payload.len() + 2) as u16).to_be_bytes());
        s.extend(payload);
        s
    }

    fn file() -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8];
        b.extend(segment(0xE1, b"Exif\0\0II*\0\x08\0\0\0\0\0\0\0\0\0"));
        b.extend(segment(0xE1, &[XMP, b"<x:xmpmeta/>"].concat()));
        b.extend(segment(0xE2, b"ICC_PROFILE\0\x02\x02def"));
        b.extend(segment(0xE2, b"ICC_PROFILE\0\x01\x02abc"));
        b.extend(segment(0xED, &[PHOTOSHOP, b"8BIM\x04\x04"].concat()));
        b.extend(segment(0xFE, b"a comment"));
        b.extend(segment(0xFE, b"another, recorded once"));
        b.extend(segment(0xDA, &[0; 8]));
        // After the scan: not read.
        b.extend(segment(0xFE, b"late"));
        b
    }

    #[test]
    fn segments_before_the_scan_are_found() {
        let b = file();
        let found = walk(&b);
        assert_eq!(found.frames, 1);
        assert_eq!(found.icc.as_deref(), Some(&b"abcdef"[..]));
        assert_eq!(
            found.metadata,
            [Metadata::Xmp, Metadata::Iptc, Metadata::Comment]
        );
        let bare = walk(&[0xFF, 0xD8, 0xFF, 0xDA, 0, 2]);
        assert!(bare.icc.is_none() && bare.metadata.is_empty());
    }

    #[test]
    fn truncations_and_garbage_do_not_panic() {
        let b = file();
        for cut in 0..b.len() {
            let found = walk(&b[..cut]);
            assert!(found.metadata.len() <= 3, "cut at {cut}");
        }
        let mut garbage = vec![0xFF, 0xD8];
        garbage.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
        let _ = walk(&garbage);
        let _ = walk(&[0xFF; 100]);
    }
}
