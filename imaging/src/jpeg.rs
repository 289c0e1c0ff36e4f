//! JPEG decoding with zune-jpeg, straight from the input slice (no copy of
//! the file, one header parse), into 8-bit sRGB.
//!
//! - YCbCr and RGB JPEGs, baseline or progressive, decode to RGB; an
//!   embedded non-sRGB RGB profile is then applied in place.
//! - Greyscale decodes to RGB directly, or to grey first when it carries a
//!   non-sRGB grey profile, which then expands it to RGB.
//! - CMYK and YCCK decode to their raw four channels. With an Adobe APP14
//!   marker the stored values are inverted (255 = no ink), as Adobe writes
//!   them; YCCK's colour part is turned back into (inverted) CMY first. The
//!   inks then go through an embedded CMYK profile, or a naive conversion.

use image::metadata::Orientation;
use zune_jpeg::JpegDecoder;
use zune_jpeg::errors::DecodeErrors;
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;

use crate::colour::{self, Profile, Space};
use crate::decode::Decoded;
use crate::error::ImagingError;
use crate::options::Limits;
use crate::pixels::{Layout, Pixels};

/// How the raw decoder output is to be finished.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Raw {
    Rgb,
    Gray,
    Cmyk,
    Ycck,
}

/// Decodes `bytes`; at 1/`shrink(orientation)` of the stored size when that
/// is above 1 and the image is YCbCr, RGB or grey (see `shrink`).
pub(crate) fn decode(
    bytes: &[u8],
    limits: &Limits,
    shrink: &dyn Fn(Orientation) -> u32,
) -> Result<Decoded, ImagingError> {
    let side = limits.max_dimension as usize;
    let options = DecoderOptions::default()
        .set_strict_mode(false)
        .set_max_width(side)
        .set_max_height(side);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(fail)?;
    let (width, height) = decoder
        .dimensions()
        .ok_or_else(|| ImagingError::Corrupt("jpeg: no frame header".into()))?;
    let (width, height) = (width as u32, height as u32);
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(ImagingError::TooManyPixels {
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    // Unreadable EXIF is not worth failing the image for.
    let orientation = decoder
        .exif()
        .and_then(|exif| Orientation::from_exif_chunk(exif))
        .unwrap_or(Orientation::NoTransforms);
    let profile = Profile::from_icc(decoder.icc_profile().as_deref());
    let space = profile.as_ref().map(Profile::space);

    let input = decoder
        .input_colorspace()
        .ok_or_else(|| ImagingError::Corrupt("jpeg: no colour space".into()))?;
    let (output, raw) = match input {
        ColorSpace::Luma | ColorSpace::LumaA if space == Some(Space::Gray) => {
            (ColorSpace::Luma, Raw::Gray)
        }
        ColorSpace::CMYK => (ColorSpace::CMYK, Raw::Cmyk),
        ColorSpace::YCCK => (ColorSpace::YCCK, Raw::Ycck),
        _ => (ColorSpace::RGB, Raw::Rgb),
    };
    let scale = shrink(orientation);
    if scale > 1
        && matches!(raw, Raw::Rgb | Raw::Gray)
        && let Some(scaled) = crate::shrink::decode(bytes, (width, height), scale, limits)
    {
        let rgb = finish(scaled.data, scaled.grey, profile.as_ref(), input);
        return Ok(Decoded {
            pixels: Pixels::from_vec(scaled.width, scaled.height, Layout::Rgb, rgb)?,
            orientation,
        });
    }
    decoder.set_options(decoder.options().jpeg_set_out_colorspace(output));
    let size = decoder
        .output_buffer_size()
        .ok_or_else(|| ImagingError::Corrupt("jpeg: no output size".into()))?;
    if size as u64 > limits.max_alloc {
        return Err(ImagingError::LimitExceeded(format!(
            "decoding needs {size} bytes, over the limit of {}",
            limits.max_alloc
        )));
    }
    let mut data = vec![0u8; size];
    decoder.decode_into(&mut data).map_err(fail)?;

    let pixels = match raw {
        Raw::Rgb => finish(data, false, profile.as_ref(), input),
        Raw::Gray => finish(data, true, profile.as_ref(), input),
        Raw::Cmyk | Raw::Ycck => {
            let adobe = adobe_transform(bytes).is_some();
            if raw == Raw::Ycck {
                ycck_to_inks(&mut data);
            } else if adobe {
                data.iter_mut().for_each(|v| *v = 255 - *v);
            }
            colour::cmyk_to_rgb(profile.as_ref(), data)?
        }
    };
    Ok(Decoded {
        pixels: Pixels::from_vec(width, height, Layout::Rgb, pixels)?,
        orientation,
    })
}

/// Decoded RGB, or one grey channel (`grey`), of an image whose JPEG colour
/// space is `input`, made sRGB RGB: grey expanded (through a grey profile if
/// it has one), RGB through its profile.
fn finish(data: Vec<u8>, grey: bool, profile: Option<&Profile>, input: ColorSpace) -> Vec<u8> {
    if grey {
        return match profile
            .filter(|p| p.space() == Space::Gray)
            .and_then(|p| colour::gray8(p, &data, false))
        {
            Some(rgb) => rgb,
            None => data.iter().flat_map(|&v| [v, v, v]).collect(),
        };
    }
    let mut rgb = data;
    // A grey image's RGB profile does not describe it: ignored.
    let grey_input = matches!(input, ColorSpace::Luma | ColorSpace::LumaA);
    if let Some(p) = profile.filter(|_| !grey_input) {
        colour::rgb8_in_place(p, &mut rgb, false);
    }
    rgb
}

/// Raw YCCK (Y, Cb, Cr, stored K) to ink amounts. The colour part decodes
/// to the stored, inverted CMY, so its inks are the decoded RGB values; K is
/// stored inverted.
fn ycck_to_inks(data: &mut [u8]) {
    for px in data.chunks_exact_mut(4) {
        let y = i32::from(px[0]) << 16;
        let cb = i32::from(px[1]) - 128;
        let cr = i32::from(px[2]) - 128;
        let round = 1 << 15;
        // JFIF's YCbCr -> RGB in 16.16 fixed point.
        let r = (y + 91_881 * cr + round) >> 16;
        let g = (y - 22_554 * cb - 46_802 * cr + round) >> 16;
        let b = (y + 116_130 * cb + round) >> 16;
        px[0] = r.clamp(0, 255) as u8;
        px[1] = g.clamp(0, 255) as u8;
        px[2] = b.clamp(0, 255) as u8;
        px[3] = 255 - px[3];
    }
}

/// The colour transform byte of the Adobe APP14 segment, if the header (up
/// to the first scan) has one.
fn adobe_transform(b: &[u8]) -> Option<u8> {
    let mut at = 2;
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
            0xD9 | 0xDA => return None,
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]));
        let payload = b.get(at + 2..at + len.max(2))?;
        if marker == 0xEE && payload.len() >= 12 && payload.starts_with(b"Adobe") {
            return Some(payload[11]);
        }
        at += len.max(2);
    }
}

fn fail(err: DecodeErrors) -> ImagingError {
    match err {
        DecodeErrors::Unsupported(_) => ImagingError::UnsupportedFormat("jpeg"),
        DecodeErrors::LargeDimensions(_) => {
            ImagingError::LimitExceeded("jpeg: image dimensions".into())
        }
        DecodeErrors::ExhaustedData => ImagingError::Truncated,
        other => {
            let decoding = image::error::DecodingError::new(image::ImageFormat::Jpeg.into(), other);
            ImagingError::from_decode(image::ImageError::Decoding(decoding), "jpeg")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adobe_marker_is_found_before_the_scan_only() {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0];
        b.extend_from_slice(&[0xFF, 0xEE, 0, 14]);
        b.extend_from_slice(b"Adobe\0\x64\0\0\0\0\x02");
        b.extend_from_slice(&[0xFF, 0xDA, 0, 2, 0xFF, 0xD9]);
        assert_eq!(adobe_transform(&b), Some(2));
        assert_eq!(adobe_transform(&b[..10]), None);
        assert_eq!(adobe_transform(&[0xFF, 0xD8, 0xFF, 0xDA, 0, 2]), None);
        assert_eq!(adobe_transform(&[0xFF, 0xD8, 0xFF, 0xEE, 0, 0]), None);
    }

    #[test]
    fn ycck_gives_inks() {
        // Y=Cb=Cr neutral mid grey: stored CMY 128 each -> inks 128; K stored 255 -> no ink.
        let mut px = [128, 128, 128, 255];
        ycck_to_inks(&mut px);
        assert_eq!(px, [128, 128, 128, 0]);
    }
}
