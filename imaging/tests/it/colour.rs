//! ICC colour management, end to end through `process`: Display P3, Adobe
//! RGB and ProPhoto tagged JPEG, PNG (8 and 16 bit) and WebP sources come out
//! in sRGB within a stated tolerance of an independent matrix-math reference
//! (`colour_ref`); sRGB, broken and mismatched profiles change nothing.
//!
//! Tolerance: at most 2 levels per channel for lossless sources, 3 for JPEG
//! (quality 100, 4:4:4). Each test prints the largest difference it saw.

use crate::colour_ref::{ADOBE_RGB, DISPLAY_P3, PROPHOTO, Space, max_diff, to_srgb8};
use crate::common::{decode, variant};
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{ExtendedColorType, ImageEncoder, RgbaImage};
use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
use moxcms::ColorProfile;
use pixpipe_imaging::{Fit, Format, Limits, process};

/// Each patch is 16x16 pixels (whole JPEG blocks); patches run left to right.
const PATCH: u32 = 16;

/// Source values: in-gamut colours, greys and an out-of-sRGB-gamut red.
const PATCHES: [[u8; 3]; 8] = [
    [200, 60, 40],
    [40, 160, 90],
    [60, 80, 200],
    [128, 128, 128],
    [230, 200, 80],
    [20, 20, 20],
    [250, 250, 250],
    [255, 0, 0],
];

fn icc(profile: &ColorProfile) -> Vec<u8> {
    profile.encode().expect("moxcms encodes the profile")
}

fn patch_pixels(channels: usize, alpha: u8) -> Vec<u8> {
    let (w, h) = (PATCH * PATCHES.len() as u32, PATCH);
    let mut out = Vec::with_capacity((w * h) as usize * channels);
    for _ in 0..h {
        for x in 0..w {
            let p = PATCHES[(x / PATCH) as usize];
            out.extend_from_slice(&p);
            if channels == 4 {
                out.push(alpha);
            }
        }
    }
    out
}

/// A JPEG with `icc` split by hand over two APP2 `ICC_PROFILE` segments.
pub fn jpeg_with_split_icc(icc: &[u8]) -> Vec<u8> {
    let w = PATCH * PATCHES.len() as u32;
    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, 100);
    enc.set_sampling_factor(SamplingFactor::F_1_1);
    let half = icc.len() / 2;
    for (seq, part) in [&icc[..half], &icc[half..]].into_iter().enumerate() {
        let mut data = b"ICC_PROFILE\0".to_vec();
        data.extend_from_slice(&[seq as u8 + 1, 2]);
        data.extend_from_slice(part);
        enc.add_app_segment(2, data).expect("app2");
    }
    enc.encode(
        &patch_pixels(3, 255),
        w as u16,
        PATCH as u16,
        ColorType::Rgb,
    )
    .expect("encode jpeg");
    out
}

fn png_with_icc(pixels: &[u8], color: ExtendedColorType, icc: Option<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = PngEncoder::new(&mut out);
    if let Some(icc) = icc {
        enc.set_icc_profile(icc).expect("png takes icc");
    }
    let w = PATCH * PATCHES.len() as u32;
    enc.write_image(pixels, w, PATCH, color)
        .expect("encode png");
    out
}

/// Runs `bytes` through `process` at its own size to a lossless PNG.
fn run(bytes: &[u8]) -> RgbaImage {
    let w = PATCH * PATCHES.len() as u32;
    let v = variant(w, PATCH, Fit::Fill, Format::Png, true);
    let out = process(bytes, &[v], &Limits::default()).expect("process");
    decode(&out[0])
}

fn centre(img: &RgbaImage, patch: usize) -> [u8; 4] {
    img.get_pixel(patch as u32 * PATCH + PATCH / 2, PATCH / 2).0
}

/// Checks each patch against the reference and returns the worst difference.
/// Also requires that the profile mattered: some patch must move > 10 levels.
fn check(img: &RgbaImage, space: &Space, tolerance: u8, what: &str) -> u8 {
    let mut worst = 0;
    let mut moved = 0;
    for (i, src) in PATCHES.iter().enumerate() {
        let got = centre(img, i);
        let want = to_srgb8(space, src.map(|v| f64::from(v) / 255.0));
        let d = max_diff([got[0], got[1], got[2]], want);
        assert!(
            d <= tolerance,
            "{what} patch {i}: got {got:?}, want {want:?}"
        );
        worst = worst.max(d);
        moved = moved.max(max_diff(*src, want));
    }
    assert!(moved > 10, "{what}: the profile should matter");
    println!("{what}: worst difference {worst} levels (tolerance {tolerance})");
    worst
}

#[test]
fn display_p3_jpeg_with_split_profile_becomes_srgb() {
    let bytes = jpeg_with_split_icc(&icc(&ColorProfile::new_display_p3()));
    check(&run(&bytes), &DISPLAY_P3, 3, "display p3 jpeg");
}

#[test]
fn adobe_rgb_jpeg_and_png_become_srgb() {
    let profile = icc(&ColorProfile::new_adobe_rgb());
    check(
        &run(&jpeg_with_split_icc(&profile)),
        &ADOBE_RGB,
        3,
        "adobe rgb jpeg",
    );
    let png = png_with_icc(
        &patch_pixels(3, 255),
        ExtendedColorType::Rgb8,
        Some(profile),
    );
    check(&run(&png), &ADOBE_RGB, 2, "adobe rgb png");
}

#[test]
fn prophoto_sixteen_bit_png_becomes_srgb_from_full_precision() {
    // 16-bit samples off the 8-bit grid: the reference uses the exact values.
    let w = PATCH * PATCHES.len() as u32;
    let mut samples: Vec<u16> = Vec::new();
    for _ in 0..PATCH {
        for x in 0..w {
            let p = PATCHES[(x / PATCH) as usize];
            samples.extend(p.map(|v| (u16::from(v) * 257).saturating_sub(100)));
        }
    }
    let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_ne_bytes()).collect();
    let png = png_with_icc(
        &bytes,
        ExtendedColorType::Rgb16,
        Some(icc(&ColorProfile::new_pro_photo_rgb())),
    );
    let img = run(&png);
    let mut worst = 0;
    for (i, src) in PATCHES.iter().enumerate() {
        let exact = src.map(|v| f64::from((u16::from(v) * 257).saturating_sub(100)) / 65535.0);
        let want = to_srgb8(&PROPHOTO, exact);
        let got = centre(&img, i);
        let d = max_diff([got[0], got[1], got[2]], want);
        assert!(d <= 2, "prophoto patch {i}: got {got:?}, want {want:?}");
        worst = worst.max(d);
    }
    println!("prophoto png16: worst difference {worst} levels (tolerance 2)");
}

#[test]
fn display_p3_webp_with_alpha_becomes_srgb_and_keeps_alpha() {
    let w = PATCH * PATCHES.len() as u32;
    let mut out = Vec::new();
    let mut enc = WebPEncoder::new_lossless(&mut out);
    enc.set_icc_profile(icc(&ColorProfile::new_display_p3()))
        .expect("webp takes icc");
    enc.write_image(&patch_pixels(4, 255), w, PATCH, ExtendedColorType::Rgba8)
        .expect("encode webp");
    check(&run(&out), &DISPLAY_P3, 2, "display p3 webp");

    // Half-transparent: alpha survives the transform untouched.
    let mut out = Vec::new();
    let mut enc = WebPEncoder::new_lossless(&mut out);
    enc.set_icc_profile(icc(&ColorProfile::new_display_p3()))
        .expect("webp takes icc");
    enc.write_image(&patch_pixels(4, 128), w, PATCH, ExtendedColorType::Rgba8)
        .expect("encode webp");
    let img = run(&out);
    for i in 0..PATCHES.len() {
        assert_eq!(centre(&img, i)[3], 128, "alpha of patch {i}");
    }
}

#[test]
fn grey_png_with_linear_grey_profile_is_encoded_to_srgb() {
    let levels: Vec<u8> = (0..PATCHES.len() as u8).map(|i| i * 36).collect();
    let w = PATCH * PATCHES.len() as u32;
    let pixels: Vec<u8> = (0..PATCH * w)
        .map(|i| levels[((i % w) / PATCH) as usize])
        .collect();
    let profile = icc(&ColorProfile::new_gray_with_gamma(1.0));
    let img = run(&png_with_icc(&pixels, ExtendedColorType::L8, Some(profile)));
    let mut worst = 0;
    for (i, &v) in levels.iter().enumerate() {
        let want = (crate::colour_ref::srgb_encode(f64::from(v) / 255.0) * 255.0).round() as u8;
        let got = centre(&img, i);
        let d = max_diff([got[0], got[1], got[2]], [want; 3]);
        assert!(d <= 2, "grey level {v}: got {got:?}, want {want}");
        worst = worst.max(d);
    }
    println!("linear grey png: worst difference {worst} levels (tolerance 2)");
}

#[test]
fn srgb_broken_and_mismatched_profiles_change_nothing() {
    let pixels = patch_pixels(3, 255);
    let plain = run(&png_with_icc(&pixels, ExtendedColorType::Rgb8, None));
    for (i, src) in PATCHES.iter().enumerate() {
        assert_eq!(&centre(&plain, i)[..3], src, "untagged patch {i}");
    }
    let srgb = icc(&ColorProfile::new_srgb());
    let mut truncated = icc(&ColorProfile::new_display_p3());
    truncated.truncate(200);
    let cases: [(&str, Vec<u8>); 4] = [
        ("srgb", srgb),
        ("garbage", b"definitely not an icc profile".repeat(20)),
        ("truncated p3", truncated),
        (
            "grey profile on rgb",
            icc(&ColorProfile::new_gray_with_gamma(1.0)),
        ),
    ];
    for (what, profile) in cases {
        let png = png_with_icc(&pixels, ExtendedColorType::Rgb8, Some(profile.clone()));
        assert_eq!(run(&png), plain, "{what} png");
        let jpeg = jpeg_with_split_icc(&profile);
        let img = run(&jpeg);
        for (i, src) in PATCHES.iter().enumerate() {
            let got = centre(&img, i);
            assert!(
                max_diff([got[0], got[1], got[2]], *src) <= 2,
                "{what} jpeg patch {i}: {got:?} vs {src:?}"
            );
        }
    }
}
