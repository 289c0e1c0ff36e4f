//! Where `cover` crops for each gravity, checked by which coloured strip of
//! the source survives; smart crops on detailed and salient regions; and
//! that gravity leaves the other fits' geometry alone.

use crate::common::{close, decode, encode, jpeg, variant, with_exif_orientation};
use image::{DynamicImage, ImageFormat, Rgba, RgbaImage};
use pixpipe_imaging::{Fit, Format, Gravity, Limits, Variant, process};

const RED: [u8; 4] = [220, 30, 30, 255];
const GREEN: [u8; 4] = [30, 200, 30, 255];
const BLUE: [u8; 4] = [30, 30, 220, 255];

/// Three equal strips, red / green / blue, side by side (`across`) or stacked.
fn strips(w: u32, h: u32, across: bool) -> RgbaImage {
    RgbaImage::from_fn(w, h, |x, y| {
        let band = if across { x * 3 / w } else { y * 3 / h };
        Rgba([RED, GREEN, BLUE][band as usize])
    })
}

fn png(img: &RgbaImage) -> Vec<u8> {
    encode(&DynamicImage::ImageRgba8(img.clone()), ImageFormat::Png)
}

fn cover(w: u32, h: u32, gravity: Gravity, enlarge: bool) -> Variant {
    Variant {
        gravity,
        ..variant(w, h, Fit::Cover, Format::Png, !enlarge)
    }
}

/// The colour at the centre of the single output.
fn centre_of(bytes: &[u8], v: Variant) -> (Rgba<u8>, (u32, u32)) {
    let out = process(bytes, &[v], &Limits::default()).expect("process");
    let img = decode(&out[0]);
    (
        *img.get_pixel(img.width() / 2, img.height() / 2),
        img.dimensions(),
    )
}

#[test]
fn compass_gravities_keep_their_strip() {
    let landscape = png(&strips(600, 200, true));
    let portrait = png(&strips(200, 600, false));
    use Gravity::*;
    let cases = [
        (&landscape, West, RED),
        (&landscape, Northwest, RED),
        (&landscape, Southwest, RED),
        (&landscape, Centre, GREEN),
        (&landscape, North, GREEN),
        (&landscape, South, GREEN),
        (&landscape, East, BLUE),
        (&landscape, Northeast, BLUE),
        (&landscape, Southeast, BLUE),
        (&portrait, North, RED),
        (&portrait, Northwest, RED),
        (&portrait, Northeast, RED),
        (&portrait, Centre, GREEN),
        (&portrait, West, GREEN),
        (&portrait, East, GREEN),
        (&portrait, South, BLUE),
        (&portrait, Southwest, BLUE),
        (&portrait, Southeast, BLUE),
    ];
    for (bytes, gravity, colour) in cases {
        // Resized 4x (a 200x200 window to 50x50), and cropped at scale 1.
        for (v, size) in [
            (cover(50, 50, gravity, false), (50, 50)),
            (cover(400, 400, gravity, false), (200, 200)),
        ] {
            let (px, dims) = centre_of(bytes, v);
            assert_eq!(dims, size);
            assert!(close(px, colour, 3), "{gravity:?} {size:?}: {px:?}");
        }
    }
}

#[test]
fn gravity_applies_to_the_upright_image() {
    // Stored rotated a quarter turn back; EXIF orientation 6 turns it upright.
    let upright = strips(300, 100, true);
    let stored = image::imageops::rotate270(&upright);
    let bytes = with_exif_orientation(&jpeg(&DynamicImage::ImageRgba8(stored), 95), 6);
    for (gravity, colour) in [
        (Gravity::West, RED),
        (Gravity::Centre, GREEN),
        (Gravity::East, BLUE),
    ] {
        let (px, dims) = centre_of(&bytes, cover(40, 40, gravity, false));
        assert_eq!(dims, (40, 40));
        assert!(close(px, colour, 16), "{gravity:?}: {px:?}");
    }
}

#[test]
fn gravity_leaves_other_fits_alone() {
    let bytes = png(&strips(300, 100, true));
    for fit in [Fit::Contain, Fit::Fill, Fit::Inside, Fit::Outside] {
        let centred = process(
            &bytes,
            &[variant(90, 60, fit, Format::Png, true)],
            &Limits::default(),
        )
        .expect("process");
        for gravity in [Gravity::Northeast, Gravity::Entropy, Gravity::Attention] {
            let v = Variant {
                gravity,
                ..variant(90, 60, fit, Format::Png, true)
            };
            let out = process(&bytes, &[v], &Limits::default()).expect("process");
            assert_eq!(out, centred, "{fit:?} {gravity:?}");
        }
    }
}

/// Spread of the luminance of an output: near 0 for a flat image.
fn spread(img: &RgbaImage) -> u8 {
    let lum: Vec<u8> = img.pixels().map(|p| p.0[1]).collect();
    lum.iter().max().unwrap_or(&0) - lum.iter().min().unwrap_or(&0)
}

#[test]
fn entropy_crop_finds_the_detail() {
    // Flat grey, with noise on the rightmost quarter only.
    let mut seed = 99u32;
    let img = RgbaImage::from_fn(800, 200, |x, _| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let v = if x >= 600 { (seed >> 16) as u8 } else { 128 };
        Rgba([v, v, v, 255])
    });
    let bytes = png(&img);
    let run = |gravity| {
        let out = process(
            &bytes,
            &[cover(100, 100, gravity, false)],
            &Limits::default(),
        )
        .expect("process");
        decode(&out[0])
    };
    assert!(spread(&run(Gravity::Centre)) < 4, "the centre is flat");
    let smart = run(Gravity::Entropy);
    assert!(spread(&smart) > 100, "entropy keeps the noise");
    let left = image::imageops::crop_imm(&smart, 0, 0, 10, 100).to_image();
    assert!(spread(&left) > 100, "all of it");
}

#[test]
fn attention_crop_finds_skin_and_colour() {
    // Dull grey texture, with a skin-toned disc near the left edge.
    let skin = [224, 172, 140, 255];
    let img = RgbaImage::from_fn(800, 200, |x, y| {
        let (dx, dy) = (x as i32 - 110, y as i32 - 100);
        if dx * dx + dy * dy < 70 * 70 {
            Rgba(skin)
        } else {
            let v = 100 + ((x / 7 + y / 5) % 3) as u8 * 10;
            Rgba([v, v, v, 255])
        }
    });
    let bytes = png(&img);
    let (px, _) = centre_of(&bytes, cover(100, 100, Gravity::Attention, false));
    assert!(close(px, skin, 4), "attention centres the skin: {px:?}");
    let (px, _) = centre_of(&bytes, cover(100, 100, Gravity::Centre, false));
    assert!(!close(px, skin, 30), "the centre has none: {px:?}");
}
