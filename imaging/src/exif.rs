//! EXIF orientation (temporary: replaced by the kamadak-exif reader).

use image::metadata::Orientation;

/// The orientation an EXIF block gives, with or without `Exif\0\0`.
pub(crate) fn orientation(raw: &[u8]) -> Orientation {
    let tiff = raw.strip_prefix(b"Exif\0\0").unwrap_or(raw);
    Orientation::from_exif_chunk(tiff).unwrap_or(Orientation::NoTransforms)
}
