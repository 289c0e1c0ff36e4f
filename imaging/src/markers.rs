//! The JPEG marker segments read outside libjpeg: the EXIF block (APP1,
//! `Exif\0\0` then a TIFF header) and whether an Adobe APP14 segment is
//! present (it decides whether CMYK samples are stored inverted).
//!
//! The walk stops at the first scan (SOS) and skips each segment by its
//! length, so an EXIF thumbnail inside APP1 is never mistaken for a marker.
//! It is bounded by the input and by [`MAX_SEGMENTS`].

/// Most segments walked before giving up.
const MAX_SEGMENTS: usize = 4096;

/// What the header segments carry.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JpegMarkers<'a> {
    /// The first APP1 EXIF payload, with its `Exif\0\0` prefix.
    pub exif: Option<&'a [u8]>,
    /// An Adobe APP14 segment is present.
    pub adobe: bool,
}

/// Reads the segments of `b` from SOI to the first SOS.
pub(crate) fn jpeg(b: &[u8]) -> JpegMarkers<'_> {
    let mut found = JpegMarkers::default();
    for (marker, payload) in segments(b).take(MAX_SEGMENTS) {
        match marker {
            0xE1 if found.exif.is_none() && payload.starts_with(b"Exif\0") => {
                found.exif = Some(payload);
            }
            0xEE if payload.starts_with(b"Adobe") => found.adobe = true,
            _ => {}
        }
    }
    found
}

/// The (marker, payload) pairs of the segments before the first scan.
pub(crate) fn segments(b: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut at = 2; // after SOI
    std::iter::from_fn(move || {
        loop {
            // Junk before a marker (as libjpeg tolerates it), then fill bytes.
            while *b.get(at)? != 0xFF {
                at += 1;
            }
            while *b.get(at)? == 0xFF {
                at += 1;
            }
            let marker = *b.get(at)?;
            at += 1;
            match marker {
                0x01 | 0xD0..=0xD8 => continue,
                0xD9 | 0xDA => return None,
                _ => {}
            }
            let len = usize::from(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]));
            let payload = b.get(at + 2..at + len.max(2))?;
            at += len.max(2);
            return Some((marker, payload));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_found_before_the_scan_only() {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0];
        b.extend_from_slice(&[0xFF, 0xE1, 0, 10]);
        b.extend_from_slice(b"Exif\0\0MM");
        b.extend_from_slice(&[0xFF, 0xEE, 0, 14]);
        b.extend_from_slice(b"Adobe\0\x64\0\0\0\0\x02");
        b.extend_from_slice(&[0xFF, 0xDA, 0, 2, 0xFF, 0xEE, 0, 7]);
        b.extend_from_slice(b"Adobe");
        let m = jpeg(&b);
        assert_eq!(m.exif, Some(&b"Exif\0\0MM"[..]));
        assert!(m.adobe);
        assert!(!jpeg(&b[..16]).adobe);
        assert_eq!(
            jpeg(&[0xFF, 0xD8, 0xFF, 0xDA, 0, 2]),
            JpegMarkers::default()
        );
        // A segment longer than the input ends the walk.
        assert_eq!(
            jpeg(&[0xFF, 0xD8, 0xFF, 0xEE, 0, 40, b'A']),
            JpegMarkers::default()
        );
    }
}
