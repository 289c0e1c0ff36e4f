//! What the source was: the facts a job reports about its upload. The
//! probe and the decode give the format, size, alpha and orientation; the
//! rest is read here from the container's structures alone, never by a
//! second decode of the pixels:
//!
//! - frames: GIF image descriptors, WebP `ANMF` chunks (when VP8X says the
//!   file is animated), APNG `fcTL` chunks (when `acTL` is present); 1 for
//!   every other file (HEIC: the primary image, the only one decoded);
//! - the ICC profile's description ([`icc`]): JPEG APP2, PNG `iCCP`, WebP
//!   `ICCP`, HEIC `colr` (`prof`/`rICC`) of the primary image; a GIF's
//!   profile (an `ICCRGBG1` application extension) is not looked for;
//! - the metadata present: EXIF (found by [`crate::exif::find_block`], or
//!   heifer's Exif item of the primary image) and, inside it, GPS tags and
//!   serial numbers; XMP, IPTC and comments from each container's own
//!   segments ([`jpeg`], [`png`], [`gif`], [`webp`]) or heifer's XMP item.
//!
//! Everything is lenient (damaged structures end a walk, never fail the
//! image) and bounded: walks advance through the input and stop at
//! [`MAX_FRAMES`] or a fixed number of segments; copies are made only of
//! an ICC profile in several pieces or compressed (at most
//! [`crate::colour::MAX_PROFILE_BYTES`]) and of HEIC's profile, EXIF and
//! XMP (heifer hands them over owned). Only a JPEG's segments before its
//! first scan are read (writers put their metadata there).

mod gif;
mod icc;
mod jpeg;
mod png;
mod webp;

use std::borrow::Cow;

use exif::{Context, Tag};
use heifer::heifer_isobmff::HeifFile;

use crate::sniff::SourceFormat;

/// Metadata found in the source that no output carries (outputs are written
/// without metadata; on request a variant gets back only Copyright and Artist).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(
    feature = "schema",
    derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)
)]
#[cfg_attr(feature = "schema", serde(rename_all = "snake_case"))]
pub enum Metadata {
    /// An EXIF block (camera, settings, dates, ...).
    Exif,
    /// GPS position tags inside the EXIF block.
    Gps,
    /// Camera or lens serial numbers inside the EXIF block.
    SerialNumbers,
    /// An XMP packet.
    Xmp,
    /// IPTC data (JPEG APP13 Photoshop resources).
    Iptc,
    /// Text comments (JPEG COM, PNG text chunks, GIF comment extensions).
    Comment,
}

/// The source's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFacts {
    pub format: SourceFormat,
    /// Width once upright (after the orientation is applied), in pixels.
    pub width: u32,
    /// Height once upright, in pixels.
    pub height: u32,
    /// Whether any pixel is not fully opaque (an alpha channel that is
    /// opaque everywhere does not count).
    pub has_alpha: bool,
    /// Frames in the file: more than 1 for an animated GIF or WebP (the
    /// first frame is what the variants show).
    pub frames: u32,
    /// The description of the embedded ICC profile, if the source had one
    /// (the pixels are converted from it to sRGB when it applies to them).
    pub icc_profile: Option<String>,
    /// The EXIF orientation (1..=8) the engine applied; 1 when there was none,
    /// and for a HEIC turned by its `irot`/`imir` boxes.
    pub orientation: u8,
    /// Size of the uploaded file.
    pub bytes: u64,
    /// Metadata the source carried that the outputs do not, sorted.
    pub metadata_removed: Vec<Metadata>,
}

/// The facts only the container holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Scan {
    pub frames: u32,
    pub icc_profile: Option<String>,
    pub metadata_removed: Vec<Metadata>,
}

/// Most frames counted.
pub(crate) const MAX_FRAMES: u32 = 100_000;

/// What a walk of a container found (EXIF aside).
#[derive(Debug, Default)]
struct Found<'a> {
    /// Frames counted; 0 reads as 1.
    frames: u32,
    /// The ICC profile, as stored.
    icc: Option<Cow<'a, [u8]>>,
    /// Metadata found, each once, in the order found.
    metadata: Vec<Metadata>,
}

impl Found<'_> {
    /// Records `kind` once (a file may hold thousands of comments).
    fn note(&mut self, kind: Metadata) {
        if !self.metadata.contains(&kind) {
            self.metadata.push(kind);
        }
    }
}

/// Reads frames, the ICC profile's description and the metadata present
/// from a source whose header has been probed as `format`.
pub(crate) fn scan(bytes: &[u8], format: SourceFormat) -> Scan {
    let (found, exif) = match format {
        SourceFormat::Heic => heic(bytes),
        other => {
            let found = match other {
                SourceFormat::Jpeg => jpeg::walk(bytes),
                SourceFormat::Png => png::walk(bytes),
                SourceFormat::Gif => gif::walk(bytes),
                _ => webp::walk(bytes),
            };
            (found, crate::exif::find_block(bytes).map(Cow::Borrowed))
        }
    };
    let mut metadata = found.metadata;
    if let Some(block) = exif {
        metadata.push(Metadata::Exif);
        metadata.extend(inside_exif(&block));
    }
    metadata.sort_unstable();
    metadata.dedup();
    Scan {
        frames: found.frames.clamp(1, MAX_FRAMES),
        icc_profile: found.icc.as_deref().and_then(icc::description),
        metadata_removed: metadata,
    }
}

/// The primary image's profile, XMP and EXIF, through heifer's parse of
/// the container (which the decode has already done once, successfully).
fn heic(bytes: &[u8]) -> (Found<'_>, Option<Cow<'_, [u8]>>) {
    let Ok(file) = HeifFile::parse(bytes) else {
        return (Found::default(), None);
    };
    let id = file.primary_id;
    let icc = file.icc_profile(id).ok().flatten().map(|p| p.to_vec());
    let xmp = file.xmp(id).ok().flatten().is_some();
    let exif = file.exif(id).ok().flatten();
    let found = Found {
        frames: 1,
        icc: icc.map(Cow::Owned),
        metadata: if xmp { vec![Metadata::Xmp] } else { Vec::new() },
    };
    (found, exif.map(Cow::Owned))
}

/// EXIF's `GPSInfoIFDPointer` (in IFD0).
const GPS_POINTER: u16 = 0x8825;
/// The TIFF/EP and DNG `CameraSerialNumber` (in IFD0).
const CAMERA_SERIAL: u16 = 0xC62F;

/// GPS and serial numbers inside an EXIF block (with or without the
/// `Exif\0\0` prefix): a GPS IFD pointer in IFD0 (read here, whatever and
/// however far it points) or GPS fields; `BodySerialNumber`, `LensSerialNumber` or
/// `CameraSerialNumber`. Fields are read by [`crate::exif::parse`], which
/// sees the block's first 16 KiB only.
fn inside_exif(block: &[u8]) -> Vec<Metadata> {
    let mut found = Vec::new();
    if ifd0_value(block, GPS_POINTER).is_some() {
        found.push(Metadata::Gps);
    }
    let serials = [
        Tag::BodySerialNumber,
        Tag::LensSerialNumber,
        Tag(Context::Tiff, CAMERA_SERIAL),
    ];
    for field in crate::exif::parse(block).iter().flat_map(|e| e.fields()) {
        if field.tag.0 == Context::Gps {
            found.push(Metadata::Gps);
        } else if serials.contains(&field.tag) {
            found.push(Metadata::SerialNumbers);
        }
    }
    found
}

/// The value field (read as a LONG) of IFD0's entry for `tag`.
fn ifd0_value(block: &[u8], tag: u16) -> Option<u32> {
    let tiff = block.strip_prefix(b"Exif\0\0").unwrap_or(block);
    let big = match tiff.get(..4)? {
        b"MM\0*" => true,
        b"II*\0" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let count = usize::from(u16_at(ifd)?);
    (0..count).find_map(|i| {
        let entry = ifd.checked_add(2 + 12 * i)?;
        (u16_at(entry)? == tag).then(|| u32_at(entry + 8)).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian TIFF block: IFD0 with `entries` (tag, type, count,
    /// value), then `tail` (at offset 8 + 2 + 12 * entries + 4).
    fn tiff(entries: &[(u16, u16, u32, u32)], tail: &[u8]) -> Vec<u8> {
        let mut t = b"II*\0\x08\0\0\0".to_vec();
        t.extend((entries.len() as u16).to_le_bytes());
        for &(tag, kind, count, value) in entries {
            t.extend(tag.to_le_bytes());
            t.extend(kind.to_le_bytes());
            t.extend(count.to_le_bytes());
            t.extend(value.to_le_bytes());
        }
        t.extend([0; 4]);
        t.extend(tail);
        t
    }

    #[test]
    fn serial_numbers_of_each_kind() {
        // IFD0 of one entry ends at 26: the sub-IFD or the text goes there.
        let camera = tiff(&[(CAMERA_SERIAL, 2, 6, 26)], b"A1234\0");
        assert_eq!(inside_exif(&camera), [Metadata::SerialNumbers]);
        for tag in [0xA431u16, 0xA435] {
            let mut exif_ifd = 1u16.to_le_bytes().to_vec();
            exif_ifd.extend(tag.to_le_bytes());
            exif_ifd.extend(2u16.to_le_bytes());
            exif_ifd.extend(4u32.to_le_bytes());
            exif_ifd.extend(*b"123\0");
            exif_ifd.extend([0; 4]);
            let block = tiff(&[(0x8769, 4, 1, 26)], &exif_ifd);
            assert_eq!(inside_exif(&block), [Metadata::SerialNumbers], "{tag:#x}");
            let prefixed = [&b"Exif\0\0"[..], &block].concat();
            assert_eq!(
                inside_exif(&prefixed),
                [Metadata::SerialNumbers],
                "{tag:#x}"
            );
        }
        let orientation_only = tiff(&[(0x0112, 3, 1, 6)], b"");
        assert!(inside_exif(&orientation_only).is_empty());
    }

    #[test]
    fn a_gps_pointer_counts_however_far_its_ifd_lies() {
        // Past the 16 KiB the EXIF parser reads, and past the end.
        for offset in [40_000, u32::MAX] {
            let block = tiff(&[(GPS_POINTER, 4, 1, offset)], &[0; 30_000]);
            assert_eq!(inside_exif(&block), [Metadata::Gps], "{offset}");
        }
        let none = tiff(&[(0x0112, 3, 1, 1)], &[0; 30_000]);
        assert!(inside_exif(&none).is_empty());
    }

    #[test]
    fn truncated_exif_blocks_do_not_panic() {
        let block = tiff(
            &[(GPS_POINTER, 4, 1, 38), (CAMERA_SERIAL, 2, 6, 56)],
            &[
                &[1, 0, 1, 0, 2, 0, 2, 0, 0, 0][..],
                b"N\0\0\0\0\0\0\0A1234\0",
            ]
            .concat(),
        );
        assert_eq!(
            inside_exif(&block),
            [Metadata::Gps, Metadata::Gps, Metadata::SerialNumbers]
        );
        for cut in 0..block.len() {
            assert!(inside_exif(&block[..cut]).len() <= 3, "cut at {cut}");
        }
        assert!(inside_exif(b"MM\0*\xFF\xFF\xFF\xFF").is_empty());
    }

    #[test]
    fn scan_sorts_and_merges_what_it_finds() {
        let mut jpeg = vec![0xFF, 0xD8];
        for payload in [&b"one"[..], b"two"] {
            jpeg.extend([0xFF, 0xFE, 0, payload.len() as u8 + 2]);
            jpeg.extend(payload);
        }
        let block = tiff(&[(GPS_POINTER, 4, 1, 26)], &[0; 6]);
        jpeg.extend([0xFF, 0xE1, 0, (block.len() + 8) as u8]);
        jpeg.extend(b"Exif\0\0");
        jpeg.extend(&block);
        jpeg.extend([0xFF, 0xDA, 0, 2]);
        let found = scan(&jpeg, SourceFormat::Jpeg);
        assert_eq!(
            found.metadata_removed,
            [Metadata::Exif, Metadata::Gps, Metadata::Comment]
        );
        assert_eq!((found.frames, found.icc_profile), (1, None));
        for format in [
            SourceFormat::Jpeg,
            SourceFormat::Png,
            SourceFormat::Gif,
            SourceFormat::Webp,
            SourceFormat::Heic,
        ] {
            for cut in 0..jpeg.len() {
                assert_eq!(scan(&jpeg[..cut], format).frames, 1);
            }
        }
    }
}
