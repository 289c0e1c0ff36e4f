//! Colour management of decoded sources: an embedded ICC profile is read
//! (bounded in size, never fatal) and the pixels are converted to sRGB with
//! moxcms; 16-bit samples are reduced to 8 bits with rounding, after the
//! transform; CMYK is converted through its profile, or naively without one.
//!
//! A profile that is absent, invalid, of a colour space that does not match
//! the pixels, or already sRGB (within half an 8-bit level) yields no
//! [`Profile`], so the common sRGB path costs one header parse and nothing
//! per pixel.

use crate::error::ImagingError;
use moxcms::{
    CicpColorPrimaries, CicpProfile, ColorProfile, DataColorSpace, Layout as CmsLayout,
    MatrixCoefficients, ParsingOptions, ToneReprCurve, TransferCharacteristics, TransformOptions,
    Xyzd,
};

/// Larger embedded profiles are ignored (treated as sRGB).
pub(crate) const MAX_PROFILE_BYTES: usize = 4 * 1024 * 1024;

/// Pixels converted per moxcms call when a scratch buffer is needed, so the
/// scratch stays small (and in cache) whatever the image size.
const BAND_PIXELS: usize = 16 * 1024;

/// The colour space an embedded profile describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Space {
    Rgb,
    Gray,
    Cmyk,
}

/// An embedded profile worth applying: valid, supported, and not sRGB.
pub(crate) struct Profile {
    icc: ColorProfile,
    space: Space,
}

impl Profile {
    /// Parses an embedded profile; `None` means "treat the pixels as sRGB".
    pub(crate) fn from_icc(icc: Option<&[u8]>) -> Option<Profile> {
        let bytes = icc.filter(|b| !b.is_empty() && b.len() <= MAX_PROFILE_BYTES)?;
        let options = ParsingOptions {
            max_profile_size: MAX_PROFILE_BYTES + 1,
            ..ParsingOptions::default()
        };
        let icc = ColorProfile::new_from_slice_with_options(bytes, options).ok()?;
        let space = match icc.color_space {
            DataColorSpace::Rgb if !is_srgb(&icc) => Space::Rgb,
            DataColorSpace::Gray if !trc_is_srgb(icc.gray_trc.as_ref()) => Space::Gray,
            DataColorSpace::Cmyk => Space::Cmyk,
            _ => return None,
        };
        Some(Profile { icc, space })
    }

    /// An RGB profile from H.273 colour primaries and transfer
    /// characteristics (a HEIF `nclx` box); `None` means "treat as sRGB":
    /// sRGB/BT.709 primaries with the sRGB or a BT.709-family transfer (SDR
    /// video curves, shown as sRGB like other image decoders do), unknown
    /// or unspecified code points, and HDR transfers (refused by the caller).
    pub(crate) fn from_cicp(primaries: u16, transfer: u16) -> Option<Profile> {
        let primaries = match primaries {
            0 | 2 => CicpColorPrimaries::Bt709,
            p => CicpColorPrimaries::try_from(u8::try_from(p).ok()?).ok()?,
        };
        let transfer = match transfer {
            0 | 1 | 2 | 6 | 13 | 14 | 15 => TransferCharacteristics::Srgb,
            t => TransferCharacteristics::try_from(u8::try_from(t).ok()?).ok()?,
        };
        let icc = ColorProfile::new_from_cicp(CicpProfile {
            color_primaries: primaries,
            transfer_characteristics: transfer,
            matrix_coefficients: MatrixCoefficients::Bt709,
            full_range: true,
        });
        // moxcms leaves the curves unset for code points it cannot model.
        if icc.red_trc.is_none() || is_srgb(&icc) {
            return None;
        }
        Some(Profile {
            icc,
            space: Space::Rgb,
        })
    }

    pub(crate) fn space(&self) -> Space {
        self.space
    }
}

/// The same colorants as sRGB (adapted to D50, as profiles store them) and a
/// tone curve that encodes every level within half a level of sRGB's.
fn is_srgb(icc: &ColorProfile) -> bool {
    let srgb = ColorProfile::new_srgb();
    let near = |a: Xyzd, b: Xyzd| {
        (a.x - b.x).abs() < 2e-3 && (a.y - b.y).abs() < 2e-3 && (a.z - b.z).abs() < 2e-3
    };
    icc.is_matrix_shaper()
        && icc.pcs == DataColorSpace::Xyz
        && near(icc.red_colorant, srgb.red_colorant)
        && near(icc.green_colorant, srgb.green_colorant)
        && near(icc.blue_colorant, srgb.blue_colorant)
        && [&icc.red_trc, &icc.green_trc, &icc.blue_trc]
            .iter()
            .all(|trc| trc_is_srgb(trc.as_ref()))
}

/// Whether decoding with `trc` and re-encoding with sRGB's curve moves any
/// sample point by more than half an 8-bit level.
fn trc_is_srgb(trc: Option<&ToneReprCurve>) -> bool {
    let Some(Ok(eval)) = trc.map(|t| t.make_linear_evaluator()) else {
        return false;
    };
    (0..=32).all(|i| {
        let x = i as f32 / 32.0;
        (srgb_encode(eval.evaluate_value(x)) - x).abs() <= 0.5 / 255.0
    })
}

fn srgb_encode(linear: f32) -> f32 {
    let l = linear.clamp(0.0, 1.0);
    if l <= 0.003_130_8 {
        l * 12.92
    } else {
        1.055 * l.powf(1.0 / 2.4) - 0.055
    }
}

fn options() -> TransformOptions {
    TransformOptions::default()
}

/// Converts interleaved 8-bit RGB (or RGBA, alpha kept) to sRGB in place, a
/// band at a time through a small scratch buffer. Returns false, leaving the
/// pixels untouched, when the profile is not RGB or no transform can be built.
pub(crate) fn rgb8_in_place(profile: &Profile, data: &mut [u8], alpha: bool) -> bool {
    if profile.space != Space::Rgb {
        return false;
    }
    let (layout, channels) = if alpha {
        (CmsLayout::Rgba, 4)
    } else {
        (CmsLayout::Rgb, 3)
    };
    let srgb = ColorProfile::new_srgb();
    let Ok(transform) = profile
        .icc
        .create_transform_8bit(layout, &srgb, layout, options())
    else {
        return false;
    };
    let mut scratch = vec![0u8; BAND_PIXELS * channels];
    for band in data.chunks_mut(BAND_PIXELS * channels) {
        let src = &mut scratch[..band.len()];
        src.copy_from_slice(band);
        if transform.transform(src, band).is_err() {
            band.copy_from_slice(src);
            return false;
        }
    }
    true
}

/// Converts 8-bit grey (or grey+alpha) through a grey profile into a new
/// 8-bit sRGB RGB (or RGBA) buffer; `None` if no transform can be built.
pub(crate) fn gray8(profile: &Profile, data: &[u8], alpha: bool) -> Option<Vec<u8>> {
    if profile.space != Space::Gray {
        return None;
    }
    let (src, dst, channels) = layouts(Space::Gray, alpha);
    let srgb = ColorProfile::new_srgb();
    let transform = profile
        .icc
        .create_transform_8bit(src, &srgb, dst, options())
        .ok()?;
    let pixels = data.len() / if alpha { 2 } else { 1 };
    let mut out = vec![0u8; pixels * channels];
    transform.transform(data, &mut out).ok()?;
    Some(out)
}

/// Converts 16-bit RGB(A) or grey(+alpha) samples through a matching
/// profile at 16 bits, then rounds to 8 bits, into a new RGB(A) buffer.
/// `None` if the profile does not match or no transform can be built.
pub(crate) fn sixteen(profile: &Profile, data: &[u16], gray: bool, alpha: bool) -> Option<Vec<u8>> {
    let space = if gray { Space::Gray } else { Space::Rgb };
    if profile.space != space {
        return None;
    }
    let (src, dst, channels) = layouts(space, alpha);
    let srgb = ColorProfile::new_srgb();
    let transform = profile
        .icc
        .create_transform_16bit(src, &srgb, dst, options())
        .ok()?;
    let in_channels = match (gray, alpha) {
        (true, false) => 1,
        (true, true) => 2,
        (false, false) => 3,
        (false, true) => 4,
    };
    let pixels = data.len() / in_channels;
    let mut out = Vec::with_capacity(pixels * channels);
    let mut scratch = vec![0u16; BAND_PIXELS * channels];
    for band in data.chunks(BAND_PIXELS * in_channels) {
        let converted = &mut scratch[..band.len() / in_channels * channels];
        transform.transform(band, converted).ok()?;
        out.extend(converted.iter().map(|&v| reduce16(v)));
    }
    Some(out)
}

fn layouts(space: Space, alpha: bool) -> (CmsLayout, CmsLayout, usize) {
    match (space, alpha) {
        (Space::Gray, false) => (CmsLayout::Gray, CmsLayout::Rgb, 3),
        (Space::Gray, true) => (CmsLayout::GrayAlpha, CmsLayout::Rgba, 4),
        (_, false) => (CmsLayout::Rgb, CmsLayout::Rgb, 3),
        (_, true) => (CmsLayout::Rgba, CmsLayout::Rgba, 4),
    }
}

/// A 16-bit sample to 8 bits, rounded to nearest (`v * 255 / 65535`).
pub(crate) fn reduce16(v: u16) -> u8 {
    ((u32::from(v) * 255 + 32_767) / 65_535) as u8
}

/// Converts CMYK ink amounts (0 = no ink, 255 = full) to 8-bit sRGB RGB:
/// through `profile` when it is a CMYK profile, else naively
/// (`R = (1 - C)(1 - K)` and so on). Reuses the buffer in place.
pub(crate) fn cmyk_to_rgb(
    profile: Option<&Profile>,
    mut inks: Vec<u8>,
) -> Result<Vec<u8>, ImagingError> {
    let pixels = inks.len() / 4;
    let srgb = ColorProfile::new_srgb();
    let transform = profile.filter(|p| p.space == Space::Cmyk).and_then(|p| {
        p.icc
            .create_transform_8bit(CmsLayout::Rgba, &srgb, CmsLayout::Rgb, options())
            .ok()
    });
    if let Some(transform) = transform {
        let mut scratch = vec![0u8; BAND_PIXELS * 4];
        // Each band's output (3 bytes a pixel) ends before the next band's
        // input (4 bytes a pixel) starts, so writing in place is safe.
        for first in (0..pixels).step_by(BAND_PIXELS) {
            let count = BAND_PIXELS.min(pixels - first);
            let src = &mut scratch[..count * 4];
            src.copy_from_slice(&inks[first * 4..(first + count) * 4]);
            transform
                .transform(src, &mut inks[first * 3..(first + count) * 3])
                .map_err(|e| ImagingError::Corrupt(format!("cmyk colour transform: {e}")))?;
        }
    } else {
        for i in 0..pixels {
            let [c, m, y, k] = [
                inks[i * 4],
                inks[i * 4 + 1],
                inks[i * 4 + 2],
                inks[i * 4 + 3],
            ];
            let white = 255 - u32::from(k);
            let channel = |ink: u8| (((255 - u32::from(ink)) * white + 127) / 255) as u8;
            inks[i * 3] = channel(c);
            inks[i * 3 + 1] = channel(m);
            inks[i * 3 + 2] = channel(y);
        }
    }
    inks.truncate(pixels * 3);
    Ok(inks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(profile: &ColorProfile) -> Vec<u8> {
        profile.encode().expect("encode profile")
    }

    #[test]
    fn only_profiles_that_change_colours_are_kept() {
        assert!(Profile::from_icc(None).is_none());
        assert!(Profile::from_icc(Some(&encoded(&ColorProfile::new_srgb()))).is_none());
        assert!(Profile::from_icc(Some(b"not a profile")).is_none());
        let p3 = encoded(&ColorProfile::new_display_p3());
        assert_eq!(
            Profile::from_icc(Some(&p3)).map(|p| p.space()),
            Some(Space::Rgb)
        );
        assert!(Profile::from_icc(Some(&p3[..p3.len() / 2])).is_none());
        let linear_grey = encoded(&ColorProfile::new_gray_with_gamma(1.0));
        assert_eq!(
            Profile::from_icc(Some(&linear_grey)).map(|p| p.space()),
            Some(Space::Gray)
        );
        // Over the size bound: ignored before any parsing.
        let mut huge = p3.clone();
        huge.resize(MAX_PROFILE_BYTES + 1, 0);
        assert!(Profile::from_icc(Some(&huge)).is_none());
    }

    #[test]
    fn cicp_profiles() {
        // sRGB, BT.709 and unspecified: nothing to do.
        for (p, t) in [(1, 13), (1, 1), (2, 2), (1, 6), (0, 0)] {
            assert!(Profile::from_cicp(p, t).is_none(), "{p}/{t}");
        }
        // Display P3 (P3 primaries, D65), BT.2020, linear sRGB: converted.
        for (p, t) in [(12, 13), (9, 1), (1, 8)] {
            assert_eq!(
                Profile::from_cicp(p, t).map(|p| p.space()),
                Some(Space::Rgb),
                "{p}/{t}"
            );
        }
        let p3 = Profile::from_cicp(12, 13).expect("P3");
        let mut red = [255, 0, 0];
        assert!(rgb8_in_place(&p3, &mut red, false));
        // P3 red is outside sRGB: clipped red, no other channel.
        assert_eq!(red, [255, 0, 0]);
        let mut grey = [100, 150, 200];
        assert!(rgb8_in_place(&p3, &mut grey, false));
        assert!(grey[0] < 100 && grey[2] > 200, "{grey:?}");
    }

    #[test]
    fn sixteen_bits_round_to_nearest() {
        assert_eq!(reduce16(0), 0);
        assert_eq!(reduce16(65535), 255);
        assert_eq!(reduce16(257 * 100), 100);
        // 100.5 levels is the boundary: just below rounds down, just above up.
        assert_eq!(reduce16(257 * 100 + 128), 100);
        assert_eq!(reduce16(257 * 100 + 129), 101);
        // Truncation would give 254 here.
        assert_eq!(reduce16(65535 - 100), 255);
    }

    #[test]
    fn naive_cmyk() {
        let inks = vec![255, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 0, 128, 0, 255, 64];
        let rgb = cmyk_to_rgb(None, inks).expect("converts");
        assert_eq!(rgb, vec![0, 255, 255, 0, 0, 0, 255, 255, 255, 95, 191, 0]);
    }
}
