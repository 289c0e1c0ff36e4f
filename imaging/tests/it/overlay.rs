//! The `background` option (contain padding, JPEG flattening) and the
//! watermark: position, opacity, size threshold, orientation, and the error
//! when none is given.

use crate::common::{close, decode, encode, jpeg, variant, with_exif_orientation};
use image::{DynamicImage, ImageFormat, Rgba, RgbaImage};
use pixpipe_imaging::{
    Colour, Fit, Format, Gravity, Limits, Variant, Watermark, WatermarkPlacement, process,
    process_with,
};

fn flat_png(w: u32, h: u32, rgba: [u8; 4]) -> Vec<u8> {
    let img = RgbaImage::from_pixel(w, h, Rgba(rgba));
    encode(&DynamicImage::ImageRgba8(img), ImageFormat::Png)
}

#[test]
fn contain_pads_with_the_background() {
    let bytes = flat_png(200, 100, [255, 0, 0, 255]);
    let with = |format, hex: &str| Variant {
        background: Some(hex.parse::<Colour>().expect("colour")),
        ..variant(100, 100, Fit::Contain, format, true)
    };
    let out = process(
        &bytes,
        &[
            with(Format::Png, "#00ff00"),
            with(Format::Jpeg, "#0000ff"),
            with(Format::Png, "#0000ff80"),
            with(Format::Webp, "#00000000"),
        ],
        &Limits::default(),
    )
    .expect("process");
    let imgs: Vec<_> = out.iter().map(decode).collect();
    assert_eq!(imgs[0].get_pixel(50, 5).0, [0, 255, 0, 255]);
    assert_eq!(imgs[0].get_pixel(50, 50).0, [255, 0, 0, 255]);
    assert!(close(*imgs[1].get_pixel(50, 5), [0, 0, 255, 255], 8));
    assert!(close(*imgs[1].get_pixel(50, 50), [255, 0, 0, 255], 8));
    assert_eq!(imgs[2].get_pixel(50, 95).0, [0, 0, 255, 128]);
    assert_eq!(imgs[2].get_pixel(50, 50).0, [255, 0, 0, 255]);
    assert_eq!(imgs[3].get_pixel(50, 5).0[3], 0);
    assert!(imgs[3].get_pixel(50, 50).0[3] > 250);
}

#[test]
fn jpeg_flattens_alpha_onto_the_background() {
    // Opaque red left half, fully transparent right half.
    let img = RgbaImage::from_fn(40, 20, |x, _| {
        Rgba(if x < 20 {
            [255, 0, 0, 255]
        } else {
            [0, 0, 0, 0]
        })
    });
    let bytes = encode(&DynamicImage::ImageRgba8(img), ImageFormat::Png);
    let v = Variant {
        background: Some(Colour([0, 0, 0, 255])),
        ..variant(40, 20, Fit::Fill, Format::Jpeg, true)
    };
    let out = process(&bytes, &[v], &Limits::default()).expect("process");
    let img = decode(&out[0]);
    assert!(close(*img.get_pixel(35, 10), [0, 0, 0, 255], 6));
    assert!(close(*img.get_pixel(5, 10), [255, 0, 0, 255], 12));
}

fn mark() -> Watermark {
    Watermark::from_png(&flat_png(40, 20, [0, 0, 255, 255])).expect("watermark")
}

fn marked(position: Gravity, opacity: f32, min_width: u32) -> Variant {
    Variant {
        watermark: Some(WatermarkPlacement {
            position,
            scale: 0.25,
            margin: 4.0,
            opacity,
            min_width,
            min_height: 0,
        }),
        ..variant(200, 100, Fit::Fill, Format::Png, true)
    }
}

#[test]
fn watermark_lands_where_and_as_opaque_as_asked() {
    let bytes = flat_png(200, 100, [255, 0, 0, 255]);
    let wm = mark();
    let variants = [
        marked(Gravity::Southeast, 0.5, 0),
        marked(Gravity::Northwest, 1.0, 0),
        marked(Gravity::Centre, 0.25, 0),
        marked(Gravity::Southeast, 0.5, 201),
    ];
    let out = process_with(&bytes, &variants, &Limits::default(), Some(&wm)).expect("process");
    let imgs: Vec<_> = out.iter().map(decode).collect();
    let red = [255, 0, 0, 255];
    // 50x25 overlay; south-east at (146, 71), north-west at (4, 4).
    let half = [128, 0, 127, 255];
    for (x, y) in [(147, 72), (170, 83), (194, 94)] {
        assert!(close(*imgs[0].get_pixel(x, y), half, 2), "({x},{y})");
    }
    for (x, y) in [(144, 83), (170, 69), (197, 97), (10, 10)] {
        assert_eq!(imgs[0].get_pixel(x, y).0, red, "({x},{y}) untouched");
    }
    assert_eq!(imgs[1].get_pixel(10, 10).0, [0, 0, 255, 255]);
    assert_eq!(imgs[1].get_pixel(2, 2).0, red);
    assert_eq!(imgs[1].get_pixel(170, 83).0, red);
    // Centre: 75..125 x 37..62, a quarter opaque.
    assert!(close(*imgs[2].get_pixel(100, 50), [191, 0, 64, 255], 2));
    assert_eq!(imgs[2].get_pixel(70, 50).0, red);
    // Below the threshold: no watermark at all.
    assert!(imgs[3].pixels().all(|p| p.0 == red));
}

#[test]
fn watermark_goes_on_the_upright_output() {
    // Stored 100x200 white; EXIF orientation 6 makes it 200x100.
    let stored = DynamicImage::ImageRgba8(RgbaImage::from_pixel(100, 200, Rgba([255; 4])));
    let bytes = with_exif_orientation(&jpeg(&stored, 95), 6);
    let v = Variant {
        format: Format::Jpeg,
        ..marked(Gravity::Northeast, 1.0, 0)
    };
    let out = process_with(&bytes, &[v], &Limits::default(), Some(&mark())).expect("process");
    let img = decode(&out[0]);
    assert_eq!(img.dimensions(), (200, 100));
    assert!(close(*img.get_pixel(170, 16), [0, 0, 255, 255], 12));
    assert!(close(*img.get_pixel(30, 16), [255, 255, 255, 255], 6));
    assert!(close(*img.get_pixel(170, 84), [255, 255, 255, 255], 6));
}

#[test]
fn a_watermark_variant_without_a_watermark_is_an_error() {
    let bytes = flat_png(20, 10, [255, 0, 0, 255]);
    let err = process(
        &bytes,
        &[marked(Gravity::Centre, 1.0, 0)],
        &Limits::default(),
    )
    .expect_err("no watermark");
    assert_eq!(err.code(), "watermark_unavailable");
}
