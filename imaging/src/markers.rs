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

/// `Exif\0\0` then a TIFF header in either byte order.
fn is_exif(payload: &[u8]) -> bool {
    payload.get(..6) == Some(b"Exif\0\0") && matches!(payload.get(6..10), Some(b"II*\0" | b"MM\0*"))
}

/// Reads the segments of `b` from SOI to the first SOS.
pub(crate) fn jpeg(b: &[u8]) -> JpegMarkers<'_> {
    let mut found = JpegMarkers::default();
    for (marker, payload) in segments(b).take(MAX_SEGMENTS) {
        match marker {
            // The first APP1 that holds a TIFF header (as browsers skip
            // a broken one and read the next).
            0xE1 if found.exif.is_none() && is_exif(payload) => found.exif = Some(payload),
            // libjpeg reads an Adobe segment only when it is whole (12 bytes).
            0xEE if payload.len() >= 12 && payload.starts_with(b"Adobe") => found.adobe = true,
            _ => {}
        }
    }
    found
}

/// Whether the scans of `b`, a Huffman-coded JPEG (SOF0, SOF1 or SOF2), hold
/// every coefficient of every component at full precision: each component
/// in a sequential scan, or, progressive, coefficients 0 to 63 covered by
/// scans whose successive approximation ends at 0. Such a file, cut after
/// its last scan, is whole once an EOI is appended (a cut inside a scan is
/// then reported by the Huffman decoder). Arithmetic-coded files never
/// qualify: their decoder reads a marker as zeros without a warning.
pub(crate) fn whole_huffman_scans(b: &[u8]) -> bool {
    let mut ids: Vec<u8> = Vec::new();
    let mut covered: Vec<u64> = Vec::new();
    let mut progressive = false;
    let mut at = 2;
    for _ in 0..MAX_SEGMENTS {
        let Some((marker, start, end)) = next_segment(b, at) else {
            break;
        };
        let payload = &b[start..end];
        match marker {
            0xC0..=0xC2 => {
                progressive = marker == 0xC2;
                let n = usize::from(payload.get(5).copied().unwrap_or(0));
                ids = (0..n)
                    .filter_map(|i| payload.get(6 + 3 * i).copied())
                    .collect();
                covered = vec![0; ids.len()];
            }
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return false,
            0xDA => {
                let n = usize::from(payload.first().copied().unwrap_or(0));
                let tail = |k: usize| payload.get(1 + 2 * n + k).copied();
                let (ss, se, al) = match (tail(0), tail(1), tail(2)) {
                    (Some(ss), Some(se), Some(a)) => (ss.min(63), se.min(63), a & 0x0F),
                    _ => return false,
                };
                let bits = if !progressive {
                    u64::MAX
                } else if al == 0 && ss <= se {
                    (u64::MAX >> (63 - se)) & (u64::MAX << ss)
                } else {
                    0
                };
                for k in 0..n {
                    let id = payload.get(1 + 2 * k).copied();
                    if let Some(i) = ids.iter().position(|&c| Some(c) == id) {
                        covered[i] |= bits;
                    }
                }
                at = end + entropy_len(&b[end..]);
                continue;
            }
            _ => {}
        }
        at = end;
    }
    !covered.is_empty() && covered.iter().all(|&c| c == u64::MAX)
}

/// The marker at or after `at` and its payload's range; None at EOI or at
/// the end of the data.
fn next_segment(b: &[u8], mut at: usize) -> Option<(u8, usize, usize)> {
    loop {
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
            0xD9 => return None,
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]));
        let end = at + len.max(2);
        return (end <= b.len()).then_some((marker, at + 2, end));
    }
}

/// How many bytes of entropy-coded data open `data`: up to the first
/// marker that is not a stuffed byte, a fill byte or a restart marker.
fn entropy_len(data: &[u8]) -> usize {
    let mut i = 0;
    while let Some(off) = data[i..].iter().position(|&v| v == 0xFF) {
        i += off;
        match data.get(i + 1) {
            Some(0x00 | 0xD0..=0xD7) => i += 2,
            Some(0xFF) => i += 1,
            _ => return i,
        }
    }
    data.len()
}

/// The (marker, payload) pairs of the segments up to the first scan header
/// (SOS, the last one yielded).
pub(crate) fn segments(b: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut at = Some(2); // after SOI
    std::iter::from_fn(move || {
        let (marker, start, end) = next_segment(b, at?)?;
        at = (marker != 0xDA).then_some(end);
        Some((marker, &b[start..end]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_found_before_the_scan_only() {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0];
        b.extend_from_slice(&[0xFF, 0xE1, 0, 15]);
        b.extend_from_slice(b"Exif\0\0garbage");
        b.extend_from_slice(&[0xFF, 0xE1, 0, 12]);
        b.extend_from_slice(b"Exif\0\0MM\0*");
        b.extend_from_slice(&[0xFF, 0xEE, 0, 14]);
        b.extend_from_slice(b"Adobe\0\x64\0\0\0\0\x02");
        b.extend_from_slice(&[0xFF, 0xDA, 0, 2, 0xFF, 0xEE, 0, 7]);
        b.extend_from_slice(b"Adobe");
        let m = jpeg(&b);
        assert_eq!(m.exif, Some(&b"Exif\0\0MM\0*"[..]));
        assert!(m.adobe);
        assert!(!jpeg(&b[..16]).adobe);
        // A short Adobe segment is not one, for libjpeg nor for us.
        let short = [0xFF, 0xD8, 0xFF, 0xEE, 0, 7, b'A', b'd', b'o', b'b', b'e'];
        assert!(!jpeg(&short).adobe);
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

    #[test]
    fn only_whole_huffman_scans_may_take_an_eoi() {
        let file = |sof: u8, scans: &[&[u8]]| {
            let mut b = vec![0xFF, 0xD8, 0xFF, sof, 0, 14, 8, 0, 20, 0, 30, 2];
            b.extend_from_slice(&[1, 0x11, 0, 2, 0x11, 0]);
            for scan in scans {
                let len = 2 + scan.len() as u8;
                b.extend_from_slice(&[0xFF, 0xDA, 0, len]);
                b.extend_from_slice(scan);
                b.extend_from_slice(&[1, 0xFF, 0, 2, 0xFF, 0xD0, 3]);
            }
            b
        };
        let both = [2, 1, 0, 2, 0, 0, 63, 0];
        let (one, two) = ([1, 1, 0, 0, 63, 0], [1, 2, 0, 0, 63, 0]);
        assert!(whole_huffman_scans(&file(0xC0, &[&both])));
        assert!(whole_huffman_scans(&file(0xC1, &[&one, &two])));
        // A component missing: cut between scans.
        assert!(!whole_huffman_scans(&file(0xC0, &[&one])));
        // Progressive: DC then AC 1..63 of each, all at Al 0.
        let dc = [2, 1, 0, 2, 0, 0, 0, 0];
        let ac = |c| [1, c, 0, 1, 63, 0];
        assert!(whole_huffman_scans(&file(0xC2, &[&dc, &ac(1), &ac(2)])));
        assert!(!whole_huffman_scans(&file(0xC2, &[&dc, &ac(1)])));
        // A first pass at Al 1 with no refinement is not whole.
        let coarse = |c| [1, c, 0, 1, 63, 1];
        assert!(!whole_huffman_scans(&file(
            0xC2,
            &[&dc, &coarse(1), &ac(2)]
        )));
        // Arithmetic coding never qualifies.
        assert!(!whole_huffman_scans(&file(0xC9, &[&both])));
        assert!(!whole_huffman_scans(&[0xFF, 0xD8]));
    }
}
