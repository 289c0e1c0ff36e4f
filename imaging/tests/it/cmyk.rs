//! CMYK and YCCK JPEGs (Adobe APP14, inverted storage) decode to the right
//! colours: naively without a profile, through an embedded CMYK profile with
//! one; and a Display P3 and a CMYK JPEG go end to end to JPEG outputs.

use crate::colour_ref::{max_diff, srgb8_to_xyz_d50, to_srgb8, xyz_d50_to_srgb8};
use crate::common::{decode, variant};
use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
use moxcms::{
    ColorProfile, DataColorSpace, LutDataType, LutStore, LutType, LutWarehouse, Matrix3d,
    ProfileClass, Xyzd,
};
use pixpipe_imaging::{Fit, Format, Limits, process};

const PATCH: u32 = 16;

/// Ink patches (C, M, Y, K; 0 = no ink) and their naive sRGB colours.
const INKS: [([u8; 4], [u8; 3]); 7] = [
    ([255, 0, 0, 0], [0, 255, 255]),
    ([0, 255, 0, 0], [255, 0, 255]),
    ([0, 0, 255, 0], [255, 255, 0]),
    ([0, 0, 0, 255], [0, 0, 0]),
    ([0, 0, 0, 0], [255, 255, 255]),
    ([255, 255, 0, 0], [0, 0, 255]),
    ([0, 128, 0, 64], [191, 95, 191]),
];

fn cmyk_jpeg(color: ColorType, icc: Option<&[u8]>, patches: &[[u8; 4]]) -> Vec<u8> {
    let w = PATCH * patches.len() as u32;
    let mut inks = Vec::new();
    for _ in 0..PATCH {
        for x in 0..w {
            inks.extend_from_slice(&patches[(x / PATCH) as usize]);
        }
    }
    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, 100);
    enc.set_sampling_factor(SamplingFactor::F_1_1);
    if let Some(icc) = icc {
        enc.add_icc_profile(icc).expect("icc");
    }
    enc.encode(&inks, w as u16, PATCH as u16, color)
        .expect("encode cmyk");
    out
}

fn run(bytes: &[u8], patches: usize, format: Format) -> Vec<[u8; 3]> {
    let v = variant(PATCH * patches as u32, PATCH, Fit::Fill, format, true);
    let out = process(bytes, &[v], &Limits::default()).expect("process");
    let img = decode(&out[0]);
    (0..patches as u32)
        .map(|i| {
            let p = img.get_pixel(i * PATCH + PATCH / 2, PATCH / 2).0;
            [p[0], p[1], p[2]]
        })
        .collect()
}

#[test]
fn adobe_cmyk_and_ycck_without_profile_decode_naively() {
    let patches: Vec<[u8; 4]> = INKS.iter().map(|(ink, _)| *ink).collect();
    for (what, color) in [("cmyk", ColorType::Cmyk), ("ycck", ColorType::CmykAsYcck)] {
        let got = run(
            &cmyk_jpeg(color, None, &patches),
            patches.len(),
            Format::Png,
        );
        for (i, (ink, want)) in INKS.iter().enumerate() {
            let d = max_diff(got[i], *want);
            assert!(d <= 3, "{what} {ink:?}: got {:?}, want {want:?}", got[i]);
        }
    }
}

/// Colours a synthetic press would print: each corner of the ink cube gets
/// an sRGB colour unlike the naive conversion's.
fn press_colour(c: bool, m: bool, y: bool, k: bool) -> [u8; 3] {
    if k {
        return [35, 31, 32];
    }
    match (c, m, y) {
        (false, false, false) => [250, 248, 240],
        (true, false, false) => [0, 160, 225],
        (false, true, false) => [230, 0, 125],
        (false, false, true) => [255, 240, 0],
        (true, true, false) => [45, 45, 145],
        (true, false, true) => [0, 150, 70],
        (false, true, true) => [235, 30, 35],
        (true, true, true) => [40, 40, 40],
    }
}

/// A CMYK output profile: a lut16 A2B0 with a 2-point grid whose corners
/// hold `press_colour` as D50 XYZ (u1.15 encoding).
fn press_profile() -> Vec<u8> {
    let mut clut = Vec::new();
    for index in 0..16u8 {
        let bit = |b: u8| index & (8 >> b) != 0;
        let xyz = srgb8_to_xyz_d50(press_colour(bit(0), bit(1), bit(2), bit(3)));
        clut.extend(xyz.map(|v| (v * 32768.0).round().clamp(0.0, 65535.0) as u16));
    }
    let ramp = |n: usize| LutStore::Store16([0, 65535].repeat(n));
    let mut profile = ColorProfile::default();
    profile.color_space = DataColorSpace::Cmyk;
    profile.pcs = DataColorSpace::Xyz;
    profile.profile_class = ProfileClass::OutputDevice;
    profile.white_point = Xyzd::new(0.9642, 1.0, 0.8249);
    profile.media_white_point = Some(profile.white_point);
    profile.lut_a_to_b_perceptual = Some(LutWarehouse::Lut(LutDataType {
        num_input_channels: 4,
        num_output_channels: 3,
        num_clut_grid_points: 2,
        matrix: Matrix3d::IDENTITY,
        num_input_table_entries: 2,
        num_output_table_entries: 2,
        input_table: ramp(4),
        clut_table: LutStore::Store16(clut),
        output_table: ramp(3),
        lut_type: LutType::Lut16,
    }));
    profile.encode().expect("encode cmyk profile")
}

#[test]
fn cmyk_jpeg_with_embedded_profile_goes_through_it() {
    let icc = press_profile();
    let patches: Vec<[u8; 4]> = INKS[..6].iter().map(|(ink, _)| *ink).collect();
    let mut worst = 0;
    // YCCK's inks pass through a YCbCr round trip first: a level or two of
    // ink error, steep near black in sRGB.
    for (what, color, tolerance) in [
        ("cmyk", ColorType::Cmyk, 3),
        ("ycck", ColorType::CmykAsYcck, 6),
    ] {
        let got = run(
            &cmyk_jpeg(color, Some(&icc), &patches),
            patches.len(),
            Format::Png,
        );
        for (i, ink) in patches.iter().enumerate() {
            let on = ink.map(|v| v > 127);
            let want = xyz_d50_to_srgb8(srgb8_to_xyz_d50(press_colour(on[0], on[1], on[2], on[3])));
            let d = max_diff(got[i], want);
            assert!(
                d <= tolerance,
                "{what} {ink:?}: got {:?}, want {want:?}",
                got[i]
            );
            assert!(
                max_diff(got[i], INKS[i].1) > 10,
                "{what} {ink:?}: profile ignored"
            );
            worst = worst.max(d);
        }
        println!("{what} profile: worst difference {worst} levels (tolerance {tolerance})");
    }
}

#[test]
fn p3_and_cmyk_jpegs_end_to_end_to_jpeg() {
    // Display P3 flat patches -> sRGB JPEG output.
    let p3 = ColorProfile::new_display_p3().encode().expect("p3");
    let src = [[200u8, 60, 40], [40, 160, 90], [60, 80, 200]];
    let w = PATCH * src.len() as u32;
    let pixels: Vec<u8> = (0..PATCH * w)
        .flat_map(|i| src[((i % w) / PATCH) as usize])
        .collect();
    let mut bytes = Vec::new();
    let mut enc = Encoder::new(&mut bytes, 100);
    enc.set_sampling_factor(SamplingFactor::F_1_1);
    enc.add_icc_profile(&p3).expect("icc");
    enc.encode(&pixels, w as u16, PATCH as u16, ColorType::Rgb)
        .expect("encode");
    let got = run(&bytes, src.len(), Format::Jpeg);
    for (i, s) in src.iter().enumerate() {
        let want = to_srgb8(
            &crate::colour_ref::DISPLAY_P3,
            s.map(|v| f64::from(v) / 255.0),
        );
        assert!(
            max_diff(got[i], want) <= 6,
            "p3 {s:?}: {:?} vs {want:?}",
            got[i]
        );
    }

    let patches: Vec<[u8; 4]> = INKS.iter().map(|(ink, _)| *ink).collect();
    let got = run(
        &cmyk_jpeg(ColorType::Cmyk, None, &patches),
        patches.len(),
        Format::Jpeg,
    );
    for (i, (ink, want)) in INKS.iter().enumerate() {
        assert!(
            max_diff(got[i], *want) <= 8,
            "cmyk {ink:?}: {:?} vs {want:?}",
            got[i]
        );
    }
}
