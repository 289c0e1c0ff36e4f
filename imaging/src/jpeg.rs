//! JPEG decoding through libjpeg-turbo (the decoder browsers, libvips,
//! sharp and Pillow use; see `turbo`), full size or DCT-scaled by 1/2, 1/4
//! or 1/8 (see `shrink`), into 8-bit sRGB. One decoder for every layout
//! libjpeg reads: baseline, progressive, arithmetic, lossless, any chroma
//! subsampling, interleaved or not, restart markers, 8 or 12 bits.
//!
//! - YCbCr and RGB decode to RGB (libjpeg honours the Adobe APP14
//!   transform and RGB component ids); an embedded non-sRGB RGB profile is
//!   then applied in place.
//! - Greyscale decodes to one channel and is expanded to RGB, through its
//!   grey profile if it has one.
//! - CMYK and YCCK decode to four channels of ink (libjpeg turns YCCK into
//!   CMYK). With an Adobe APP14 marker the stored values are inverted (255 =
//!   no ink), as Adobe writes them. The inks then go through an embedded
//!   CMYK profile, or a naive conversion.
//! - More than 8 bits per sample are rounded to 8 after decoding.
//!
//! libjpeg reports damaged data as warnings while still producing a whole
//! image. A warning that the data ran out ("Premature end of JPEG file") is
//! retried once with an end-of-image marker appended: a file whose scan
//! data is complete but whose EOI is missing decodes (as in libvips); one
//! cut inside its scan data fails `truncated_image`. Warnings about the data
//! itself fail `corrupt_image`; the harmless ones listed in [`BENIGN`] are
//! ignored, as every mainstream decoder does.

use image::metadata::Orientation;
use turbojpeg_sys as tj;

use crate::colour::{self, Profile, Space};
use crate::decode::Decoded;
use crate::error::ImagingError;
use crate::options::Limits;
use crate::pixels::{Layout, Pixels};
use crate::turbo::{Handle, Header, Pixel, TurboError};

/// Scans times pixels decoded, at most: each progressive scan costs a pass
/// over the whole image's coefficients, so a tiny file of many empty scans
/// would otherwise cost minutes. 600 M allows 50 scans of a 12 MP photo
/// (libjpeg writes 10, mozjpeg about a dozen).
const SCAN_PIXEL_BUDGET: u64 = 600_000_000;
/// Scans always allowed, and never exceeded (libjpeg-turbo's `-maxscans`
/// advice uses 500).
const SCANS: (u64, u64) = (16, 500);

/// libjpeg warnings that say nothing about the pixels: JFIF version and
/// thumbnail quirks, an unknown Adobe transform code (libjpeg then uses the
/// usual default), a sequential scan header that names progressive
/// parameters, and a broken ICC marker (the profile is then ignored).
/// Padding bytes before a marker are benign too, except before a restart
/// marker, where they mean the entropy-coded data lost its place.
const BENIGN: [&str; 5] = [
    "unknown JFIF revision",
    "thumbnail image size does not match",
    "Unknown Adobe color transform",
    "Invalid SOS parameters for sequential JPEG",
    "bad ICC marker",
];

/// Decodes `bytes`; at 1/`shrink(orientation)` of the stored size when that
/// is above 1 and the image is lossy with 8-bit samples.
pub(crate) fn decode(
    bytes: &[u8],
    limits: &Limits,
    shrink: &dyn Fn(Orientation) -> u32,
) -> Result<Decoded, ImagingError> {
    let markers = crate::markers::jpeg(bytes);
    let orientation = markers
        .exif
        .map(crate::exif::orientation)
        .unwrap_or(Orientation::NoTransforms);
    let mut decoder = Handle::decompressor().map_err(fatal)?;
    decoder
        .set(tj::TJPARAM_TJPARAM_MAXPIXELS, limits.max_pixels as i64)
        .and_then(|()| {
            let megabytes = (limits.max_alloc / (1024 * 1024)).max(1);
            decoder.set(tj::TJPARAM_TJPARAM_MAXMEMORY, megabytes as i64)
        })
        .map_err(fatal)?;
    let header = decoder.header(bytes).map_err(fatal)?;
    let (width, height) = (header.width, header.height);
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(ImagingError::TooManyPixels {
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    let scans = (SCAN_PIXEL_BUDGET / pixels.max(1)).clamp(SCANS.0, SCANS.1);
    decoder
        .set(tj::TJPARAM_TJPARAM_SCANLIMIT, scans as i64)
        .map_err(fatal)?;
    let profile = Profile::from_icc(decoder.icc_profile().as_deref());
    let pixel = match header.colorspace {
        tj::TJCS_TJCS_GRAY => Pixel::Gray,
        tj::TJCS_TJCS_CMYK | tj::TJCS_TJCS_YCCK => Pixel::Cmyk,
        _ => Pixel::Rgb,
    };
    let scale = if header.lossless || header.precision != 8 {
        1
    } else {
        shrink(orientation)
    };
    decoder.set_scale(scale).map_err(fatal)?;
    let size = (width.div_ceil(scale), height.div_ceil(scale));
    let data = samples(&mut decoder, bytes, &header, size, pixel, limits)?;
    let rgb = match pixel {
        Pixel::Rgb => finish(data, false, profile.as_ref()),
        Pixel::Gray => finish(data, true, profile.as_ref()),
        Pixel::Cmyk => {
            let mut inks = data;
            if markers.adobe {
                inks.iter_mut().for_each(|v| *v = 255 - *v);
            }
            colour::cmyk_to_rgb(profile.as_ref(), inks)?
        }
    };
    Ok(Decoded {
        pixels: Pixels::from_vec(size.0, size.1, Layout::Rgb, rgb)?,
        orientation,
    })
}

/// Decodes the samples of a `size` image as `pixel`, 8 bits each.
fn samples(
    decoder: &mut Handle,
    bytes: &[u8],
    header: &Header,
    size: (u32, u32),
    pixel: Pixel,
    limits: &Limits,
) -> Result<Vec<u8>, ImagingError> {
    let count = size.0 as usize * size.1 as usize * pixel.channels();
    let wide = header.precision > 8;
    let need = count as u64 * if wide { 3 } else { 1 };
    if need > limits.max_alloc {
        return Err(ImagingError::LimitExceeded(format!(
            "decoding needs {need} bytes, over the limit of {}",
            limits.max_alloc
        )));
    }
    if !wide {
        let mut data = Vec::new();
        settle(bytes, |input| {
            decoder.decode8(input, &mut data, size.0, pixel)
        })?;
        if data.len() != count {
            return Err(ImagingError::Corrupt(
                "jpeg: decoded size differs from the header".into(),
            ));
        }
        if header.precision < 8 {
            rescale(&mut data, header.precision);
        }
        return Ok(data);
    }
    let mut wide_data = vec![0u16; count];
    settle(bytes, |input| {
        decoder.decode16(input, &mut wide_data, size.0, pixel, header.precision)
    })?;
    let max = (1u32 << header.precision) - 1;
    Ok(wide_data
        .iter()
        .map(|&v| ((u32::from(v).min(max) * 255 + max / 2) / max) as u8)
        .collect())
}

/// Runs `decode` on `bytes` and judges libjpeg's warnings (see the module
/// documentation): Ok when the image is whole and right.
fn settle(
    bytes: &[u8],
    mut decode: impl FnMut(&[u8]) -> Result<(), TurboError>,
) -> Result<(), ImagingError> {
    let err = match decode(bytes) {
        Ok(()) => return Ok(()),
        Err(e) if e.warning && is_benign(&e.message) => return Ok(()),
        Err(e) if !e.warning => return Err(fatal(e)),
        Err(e) => e,
    };
    if !err.message.contains("Premature end of JPEG file") {
        return Err(ImagingError::Corrupt(format!("jpeg: {}", err.message)));
    }
    // The data ran out. Only a Huffman-coded file whose scans cover every
    // coefficient can be judged whole by a retry with its EOI: an arithmetic
    // decoder reads a marker as zeros without a warning, and a file cut
    // between scans would decode, degraded, without one.
    if !crate::markers::whole_huffman_scans(bytes) {
        return Err(ImagingError::Truncated);
    }
    let mut ended = Vec::with_capacity(bytes.len() + 2);
    ended.extend_from_slice(bytes);
    ended.extend_from_slice(&[0xFF, 0xD9]);
    match decode(&ended) {
        Ok(()) => Ok(()),
        Err(e) if e.warning && is_benign(&e.message) => Ok(()),
        Err(e) if !e.warning => Err(fatal(e)),
        Err(_) => Err(ImagingError::Truncated),
    }
}

fn is_benign(message: &str) -> bool {
    let padding = message
        .split_once("extraneous bytes before marker 0x")
        .and_then(|(_, marker)| u8::from_str_radix(marker.get(..2)?, 16).ok())
        .is_some_and(|marker| !(0xD0..=0xD7).contains(&marker));
    padding || BENIGN.iter().any(|b| message.contains(b))
}

/// Samples of a lossless image of fewer than 8 bits, stretched to 0..=255.
fn rescale(data: &mut [u8], precision: u32) {
    let max = (1u32 << precision.max(1)) - 1;
    for v in data {
        *v = ((u32::from(*v).min(max) * 255 + max / 2) / max) as u8;
    }
}

/// Decoded RGB, or one grey channel (`grey`), made sRGB RGB: grey expanded
/// (through a grey profile if it has one), RGB through its RGB profile.
fn finish(data: Vec<u8>, grey: bool, profile: Option<&Profile>) -> Vec<u8> {
    if grey {
        // A grey image's RGB profile does not describe it: ignored.
        return match profile
            .filter(|p| p.space() == Space::Gray)
            .and_then(|p| colour::gray8(p, &data, false))
        {
            Some(rgb) => rgb,
            None => data.iter().flat_map(|&v| [v, v, v]).collect(),
        };
    }
    let mut rgb = data;
    if let Some(p) = profile {
        colour::rgb8_in_place(p, &mut rgb, false);
    }
    rgb
}

/// Maps a libjpeg error (not a warning) onto the engine's codes.
fn fatal(err: TurboError) -> ImagingError {
    let m = err.message;
    let unsupported = [
        "not implemented",
        "Unsupported JPEG process",
        "Unsupported JPEG data precision",
        "Unsupported color conversion",
        "omitted at compile time",
        "Could not determine",
    ];
    if unsupported.iter().any(|u| m.contains(u)) {
        ImagingError::UnsupportedFormat("jpeg")
    } else if [
        "Image is too large",
        "Maximum supported image dimension",
        "too wide",
        "Insufficient memory",
        "more than",
    ]
    .iter()
    .any(|l| m.contains(l))
    {
        ImagingError::LimitExceeded(format!("jpeg: {m}"))
    } else if m.contains("Premature end") {
        ImagingError::Truncated
    } else {
        ImagingError::Corrupt(format!("jpeg: {m}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_precision_is_stretched() {
        let mut v = [0, 1, 3];
        rescale(&mut v, 2);
        assert_eq!(v, [0, 85, 255]);
    }

    #[test]
    fn warnings_are_judged() {
        assert!(is_benign(
            "Corrupt JPEG data: 2 extraneous bytes before marker 0xd9"
        ));
        assert!(!is_benign("Corrupt JPEG data: bad Huffman code"));
        let bad = TurboError {
            warning: true,
            message: "Corrupt JPEG data: bad Huffman code".into(),
        };
        assert!(matches!(
            settle(b"x", |_| Err(bad.clone())),
            Err(ImagingError::Corrupt(_))
        ));
        let eof = TurboError {
            warning: true,
            message: "Premature end of JPEG file".into(),
        };
        // One whole Huffman scan: complete once the EOI is there, decoded.
        let mut one = vec![0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 1, 0, 1, 1, 1, 0x11, 0];
        one.extend_from_slice(&[0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0, 0x12]);
        assert!(
            settle(&one, |b| if b.ends_with(&[0xFF, 0xD9]) {
                Ok(())
            } else {
                Err(eof.clone())
            })
            .is_ok()
        );
        // Still short with the EOI, or not one whole scan: truncated.
        assert_eq!(
            settle(&one, |_| Err(eof.clone())),
            Err(ImagingError::Truncated)
        );
        assert_eq!(
            settle(b"x", |_| Err(eof.clone())),
            Err(ImagingError::Truncated)
        );
    }

    #[test]
    fn fatal_errors_map_to_codes() {
        let e = |m: &str| {
            fatal(TurboError {
                warning: false,
                message: m.into(),
            })
        };
        assert_eq!(
            e("Unsupported JPEG process: SOF type 0xc7").code(),
            "unsupported_format"
        );
        assert_eq!(
            e("tj3Decompress8(): Image is too large").code(),
            "limit_exceeded"
        );
        assert_eq!(
            e("Progressive JPEG image has more than 500 scans").code(),
            "limit_exceeded"
        );
        assert_eq!(e("Bogus marker length").code(), "corrupt_image");
    }
}
