//! Display P3 HEIC files, tagged with `nclx` (primaries 12) or an ICC
//! profile, come out as sRGB: compared with libheif's decode (which leaves
//! the P3 code values as they are) converted to sRGB here with the textbook
//! matrix (both spaces share the D65 white and the sRGB curve).

use image::{DynamicImage, RgbaImage};
use moxcms::ColorProfile;

use crate::heic::boxes::with_property;
use crate::heic::tools::{assert_close, heif_convert, heif_enc, mean_difference, pixpipe};

/// Linear sRGB to linear Display P3.
const SRGB_TO_P3: [[f64; 3]; 3] = [
    [0.822_462_1, 0.177_538_0, 0.0],
    [0.033_194_1, 0.966_805_8, 0.0],
    [0.017_082_7, 0.072_397_4, 0.910_519_9],
];
/// Linear Display P3 to linear sRGB.
const P3_TO_SRGB: [[f64; 3]; 3] = [
    [1.224_940_1, -0.224_940_4, 0.0],
    [-0.042_056_9, 1.042_057_1, 0.0],
    [-0.019_637_6, -0.078_636_1, 1.098_273_5],
];

/// Mean difference per channel allowed after the colour conversion (the
/// matrix amplifies the decoders' differences a little).
const BOUND: f64 = 0.8;

fn linear(v: u8) -> f64 {
    let v = f64::from(v) / 255.0;
    if v <= 0.040_45 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

fn encoded(l: f64) -> u8 {
    let l = l.clamp(0.0, 1.0);
    let v = if l <= 0.003_130_8 {
        l * 12.92
    } else {
        1.055 * l.powf(1.0 / 2.4) - 0.055
    };
    (v * 255.0).round() as u8
}

fn convert(img: &RgbaImage, m: [[f64; 3]; 3]) -> RgbaImage {
    RgbaImage::from_fn(img.width(), img.height(), |x, y| {
        let p = img.get_pixel(x, y).0;
        let l = [linear(p[0]), linear(p[1]), linear(p[2])];
        let c = |r: usize| encoded(m[r][0] * l[0] + m[r][1] * l[1] + m[r][2] * l[2]);
        image::Rgba([c(0), c(1), c(2), p[3]])
    })
}

/// Checks that pixpipe turns the P3 file `heic` into sRGB.
fn check(case: &str, heic: &[u8], w: u32, h: u32) {
    let p3 = heif_convert(heic);
    let ours = pixpipe(heic, w, h);
    assert_close(case, &ours, &convert(&p3, P3_TO_SRGB), BOUND);
    let unconverted = mean_difference(&ours, &p3);
    assert!(
        unconverted[0] > 3.0,
        "{case}: the colours were not converted ({unconverted:.2?})"
    );
}

/// A P3 picture encoded by heif-enc (which writes no colour box for PNG
/// input), then tagged with `colr` carrying `payload`.
fn tagged(payload: &[u8]) -> Vec<u8> {
    let img = convert(&crate::heic::scene(480, 320), SRGB_TO_P3);
    let heic = heif_enc(&DynamicImage::ImageRgba8(img), &["-q", "80"]);
    assert!(!heic.windows(4).any(|w| w == b"colr"), "no colour box yet");
    let mut colr = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
    colr.extend_from_slice(b"colr");
    colr.extend_from_slice(payload);
    with_property(&heic, &colr)
}

#[test]
fn display_p3_nclx_becomes_srgb() {
    // Primaries 12 (P3, D65), transfer 13 (sRGB), and heif-enc's own
    // matrix 6 (BT.601) and full range, which the stream was coded with.
    let mut nclx = b"nclx".to_vec();
    for v in [12u16, 13, 6] {
        nclx.extend_from_slice(&v.to_be_bytes());
    }
    nclx.push(0x80);
    check("P3 nclx", &tagged(&nclx), 480, 320);
}

#[test]
fn display_p3_icc_becomes_srgb() {
    // Padded to a multiple of 4 bytes and with the D50 illuminant in its
    // header, as the ICC format wants (libpng, which writes heif-convert's
    // output, refuses the profile otherwise).
    let mut icc = ColorProfile::new_display_p3().encode().expect("P3 profile");
    icc.resize(icc.len().next_multiple_of(4), 0);
    let len = icc.len() as u32;
    icc[..4].copy_from_slice(&len.to_be_bytes());
    for (i, v) in [0xF6D6u32, 0x1_0000, 0xD32D].iter().enumerate() {
        icc[68 + 4 * i..72 + 4 * i].copy_from_slice(&v.to_be_bytes());
    }
    check("P3 ICC", &tagged(&[&b"prof"[..], &icc].concat()), 480, 320);
}
