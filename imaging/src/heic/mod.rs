//! HEIC/HEIF decoding with `heifer` (pure Rust, HEVC), into the engine's
//! 8-bit sRGB raster.
//!
//! - The primary image only, plain or a grid of tiles, with its auxiliary
//!   alpha plane as RGBA. heifer converts YCbCr to RGB with the `nclx`
//!   matrix and range (else the HEVC VUI's).
//! - 8-bit images are decoded at 8 bits; deeper ones (10, 12 bits) at their
//!   depth and rounded to 8 bits after any colour transform.
//! - Colour: the item's ICC profile, else its `nclx` primaries and transfer,
//!   are converted to sRGB by [`crate::colour`]; PQ and HLG (HDR) transfers
//!   are refused rather than shown wrong.
//! - Orientation, applied once: heifer applies the `clap`, `irot` and `imir`
//!   properties; when the primary image has `irot` or `imir` they are the
//!   transform and the EXIF orientation (which iPhones also write, with the
//!   same meaning) is ignored; without them the EXIF orientation is returned
//!   for the pipeline to apply after resizing.
//!
//! [`header`] reads the container for [`probe`](crate::probe) first, so the
//! limits are enforced before heifer parses or decodes anything.

pub(crate) mod header;

use heifer::heifer_isobmff::boxes::{ColorInfo, Property};
use heifer::heifer_isobmff::{self as isobmff, HeifFile, ItemId};
use image::metadata::Orientation;

use crate::colour::{self, Profile};
use crate::decode::Decoded;
use crate::error::ImagingError;
use crate::options::Limits;
use crate::pixels::{Layout, Pixels};
use crate::probe::Probe;

/// Decodes the primary image of `bytes`, whose header `probe` has read.
pub(crate) fn decode(
    bytes: &[u8],
    probe: &Probe,
    limits: &Limits,
) -> Result<Decoded, ImagingError> {
    let file = HeifFile::parse(bytes).map_err(container)?;
    let id = file.primary_id;
    let coded = match file.referenced_items(id, b"dimg").first() {
        Some(&first) => first,
        None => id,
    };
    let depth = file
        .hevc_config(coded)
        .map_err(container)?
        .map_or(8, |c| c.bit_depth_luma.max(c.bit_depth_chroma));
    let profile = profile(&file, id, coded)?;
    let orientation = orientation(&file, id)?;
    drop(file);

    let (width, height) = (probe.width, probe.height);
    let sample = if depth > 8 { 2 } else { 1 };
    let size = u64::from(width) * u64::from(height) * 4 * sample;
    if size > limits.max_alloc {
        return Err(ImagingError::LimitExceeded(format!(
            "decoding needs {size} bytes, over the limit of {}",
            limits.max_alloc
        )));
    }
    let options = heifer::Options {
        max_threads: limits.max_threads.max(1),
        max_pixels: limits.max_pixels,
    };
    let (w, h, alpha, data) = if depth > 8 {
        let image = heifer::decode_with_options(bytes, &options).map_err(fail)?;
        let data = reduce(image.data, image.bit_depth, profile.as_ref())?;
        (image.width, image.height, image.has_alpha, data)
    } else {
        let image = heifer::decode_rgba8(bytes, &options).map_err(fail)?;
        let (w, h, alpha) = (image.width, image.height, image.has_alpha);
        let mut data = if alpha { image.data } else { image.into_rgb8() };
        if let Some(p) = &profile {
            colour::rgb8_in_place(p, &mut data, alpha);
        }
        (w, h, alpha, data)
    };
    if (w, h) != (width, height) {
        return Err(ImagingError::Corrupt(format!(
            "heic: decoded {w}x{h}, the header says {width}x{height}"
        )));
    }
    let layout = if alpha || data.len() == w as usize * h as usize * 4 {
        Layout::Rgba
    } else {
        Layout::Rgb
    };
    let mut pixels = Pixels::from_vec(w, h, layout, data)?;
    pixels.drop_opaque_alpha();
    Ok(Decoded {
        pixels,
        orientation,
    })
}

/// RGBA samples of `depth` bits to 8-bit RGBA: through `profile` at 16 bits
/// when there is one, rounded to nearest.
fn reduce(
    mut data: Vec<u16>,
    depth: u8,
    profile: Option<&Profile>,
) -> Result<Vec<u8>, ImagingError> {
    let max = (1u32 << depth.clamp(1, 16)) - 1;
    if let Some(p) = profile {
        for v in &mut data {
            *v = ((u32::from(*v) * 65_535 + max / 2) / max) as u16;
        }
        if let Some(out) = colour::sixteen(p, &data, false, true) {
            return Ok(out);
        }
        return Ok(data.iter().map(|&v| colour::reduce16(v)).collect());
    }
    Ok(data
        .iter()
        .map(|&v| ((u32::from(v) * 255 + max / 2) / max) as u8)
        .collect())
}

/// The colour description to convert from: the ICC profile of the image
/// (or of its first tile), else the `nclx` of the image or its first tile.
/// `None` when the pixels are sRGB already (or say nothing).
fn profile(
    file: &HeifFile<'_>,
    id: ItemId,
    coded: ItemId,
) -> Result<Option<Profile>, ImagingError> {
    if let Some(icc) = file.icc_profile(id).map_err(container)? {
        return Ok(Profile::from_icc(Some(icc)));
    }
    let nclx = |item| -> Result<Option<(u16, u16)>, ImagingError> {
        Ok(file
            .item_properties(item)
            .map_err(container)?
            .find_map(|p| match p {
                Property::Color(ColorInfo::Nclx {
                    primaries,
                    transfer,
                    ..
                }) => Some((*primaries, *transfer)),
                _ => None,
            }))
    };
    let Some((primaries, transfer)) = nclx(id)?.or(nclx(coded)?) else {
        return Ok(None);
    };
    if matches!(transfer, 16 | 18) {
        return Err(ImagingError::UnsupportedFormat(
            "heic with an HDR transfer (PQ or HLG)",
        ));
    }
    Ok(Profile::from_cicp(primaries, transfer))
}

/// The orientation left for the pipeline to apply: none when the image has
/// `irot` or `imir` (heifer has applied them), else its EXIF orientation.
fn orientation(file: &HeifFile<'_>, id: ItemId) -> Result<Orientation, ImagingError> {
    let transformed = file
        .item_properties(id)
        .map_err(container)?
        .any(|p| matches!(p, Property::Rotation(_) | Property::Mirror(_)));
    if transformed {
        return Ok(Orientation::NoTransforms);
    }
    // Unreadable EXIF is not worth failing the image for.
    Ok(file
        .exif(id)
        .ok()
        .flatten()
        .and_then(|tiff| Orientation::from_exif_chunk(&tiff))
        .unwrap_or(Orientation::NoTransforms))
}

fn container(err: isobmff::Error) -> ImagingError {
    match err {
        isobmff::Error::UnexpectedEof => ImagingError::Truncated,
        isobmff::Error::Unimplemented(_) => ImagingError::UnsupportedFormat("heic"),
        other => ImagingError::Corrupt(format!("heic: {other}")),
    }
}

/// heifer's errors: truncation, unsupported features and malformed data.
fn fail(err: heifer::Error) -> ImagingError {
    use heifer::heifer_hevc_dec::Error as Hevc;
    match err {
        heifer::Error::Container(e) => container(e),
        heifer::Error::Hevc(Hevc::UnexpectedEof) => ImagingError::Truncated,
        heifer::Error::Hevc(Hevc::Unimplemented(_)) | heifer::Error::Unsupported(_) => {
            ImagingError::UnsupportedFormat("heic")
        }
        other => ImagingError::Corrupt(format!("heic: {other}")),
    }
}
