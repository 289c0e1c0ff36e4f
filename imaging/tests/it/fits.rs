//! Output dimensions of every fit mode through `process`, for landscape,
//! portrait and small sources, with and without enlargement, and the
//! standard preset's guarantees.

use crate::common::{decode, encode, variant};
use image::{DynamicImage, ImageFormat, RgbImage};
use pixpipe_imaging::{Fit, Format, Limits, process};

fn source(w: u32, h: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    encode(&DynamicImage::ImageRgb8(img), ImageFormat::Png)
}

/// (source, fit, without_enlargement, expected size), all with a 200x100 box.
type Case<'a> = (&'a [u8], Fit, bool, (u32, u32));

#[test]
fn every_fit_for_every_shape() {
    let landscape = source(400, 300);
    let portrait = source(300, 400);
    let small = source(50, 40);
    let cases: &[Case] = &[
        (&landscape, Fit::Fill, true, (200, 100)),
        (&landscape, Fit::Inside, true, (133, 100)),
        (&landscape, Fit::Outside, true, (200, 150)),
        (&landscape, Fit::Cover, true, (200, 100)),
        (&landscape, Fit::Contain, true, (200, 100)),
        (&portrait, Fit::Fill, true, (200, 100)),
        (&portrait, Fit::Inside, true, (75, 100)),
        (&portrait, Fit::Outside, true, (200, 267)),
        (&portrait, Fit::Cover, true, (200, 100)),
        (&portrait, Fit::Contain, true, (200, 100)),
        // Small source, never enlarged.
        (&small, Fit::Fill, true, (50, 40)),
        (&small, Fit::Inside, true, (50, 40)),
        (&small, Fit::Outside, true, (50, 40)),
        (&small, Fit::Cover, true, (50, 25)),
        (&small, Fit::Contain, true, (200, 100)),
        // Small source, enlarged.
        (&small, Fit::Fill, false, (200, 100)),
        (&small, Fit::Inside, false, (125, 100)),
        (&small, Fit::Outside, false, (200, 160)),
        (&small, Fit::Cover, false, (200, 100)),
        (&small, Fit::Contain, false, (200, 100)),
    ];
    for (i, &(bytes, fit, we, expected)) in cases.iter().enumerate() {
        let v = variant(200, 100, fit, Format::Png, we);
        let out = process(bytes, &[v], &Limits::default()).expect("process");
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].width, out[0].height),
            expected,
            "case {i}: {fit:?} we={we}"
        );
        decode(&out[0]);
    }
}

#[test]
fn standard_preset_shapes() {
    let limits = Limits::default();
    let variants = [
        variant(300, 300, Fit::Cover, Format::Jpeg, true),
        variant(1024, 1024, Fit::Inside, Format::Webp, true),
        variant(2048, 2048, Fit::Inside, Format::Jpeg, true),
    ];
    let expectations = [
        ((1600, 1200), [(300, 300), (1024, 768), (1600, 1200)]),
        ((1200, 1600), [(300, 300), (768, 1024), (1200, 1600)]),
        ((301, 300), [(300, 300), (301, 300), (301, 300)]),
        ((3000, 500), [(300, 300), (1024, 171), (2048, 341)]),
        ((200, 100), [(100, 100), (200, 100), (200, 100)]),
    ];
    for ((w, h), expected) in expectations {
        let out = process(&source(w, h), &variants, &limits).expect("process");
        let got: Vec<_> = out.iter().map(|o| (o.width, o.height)).collect();
        assert_eq!(got, expected, "source {w}x{h}");
        let formats: Vec<_> = out.iter().map(|o| o.format).collect();
        assert_eq!(formats, [Format::Jpeg, Format::Webp, Format::Jpeg]);
        for o in &out {
            decode(o);
        }
    }
}

#[test]
fn contain_pads_with_white_and_cover_keeps_the_centre() {
    // Left half black, right half white: a 2:1 source.
    let img = RgbImage::from_fn(200, 100, |x, _| {
        if x < 100 {
            image::Rgb([0; 3])
        } else {
            image::Rgb([255; 3])
        }
    });
    let bytes = encode(&DynamicImage::ImageRgb8(img), ImageFormat::Png);
    let out = process(
        &bytes,
        &[variant(100, 100, Fit::Contain, Format::Png, true)],
        &Limits::default(),
    )
    .expect("process");
    let img = decode(&out[0]);
    assert_eq!(
        img.get_pixel(10, 5).0,
        [255, 255, 255, 255],
        "padding is white"
    );
    assert!(
        img.get_pixel(10, 50).0[0] < 10,
        "image is centred vertically"
    );

    let out = process(
        &bytes,
        &[variant(50, 100, Fit::Cover, Format::Png, true)],
        &Limits::default(),
    )
    .expect("process");
    let img = decode(&out[0]);
    assert!(img.get_pixel(5, 50).0[0] < 10 && img.get_pixel(45, 50).0[0] > 245);
}

#[test]
fn variants_keep_their_order_and_the_empty_list_is_fine() {
    let bytes = source(64, 48);
    let variants = [
        variant(10, 10, Fit::Fill, Format::Webp, true),
        variant(20, 20, Fit::Fill, Format::Png, true),
        variant(30, 30, Fit::Fill, Format::Jpeg, true),
    ];
    let out = process(&bytes, &variants, &Limits::default()).expect("process");
    let got: Vec<_> = out.iter().map(|o| (o.format, o.width)).collect();
    assert_eq!(
        got,
        [(Format::Webp, 10), (Format::Png, 20), (Format::Jpeg, 30)]
    );
    assert!(
        process(&bytes, &[], &Limits::default())
            .expect("process")
            .is_empty()
    );
}
