//! Source colour types and formats: alpha handling per output format,
//! animated GIF, 16-bit and greyscale PNG, WebP input, and outputs that
//! decode back at their stated size with no metadata.

use crate::common::{close, decode, encode, variant, with_exif_orientation};
use image::codecs::gif::GifEncoder;
use image::{
    DynamicImage, Frame, GrayImage, ImageBuffer, ImageFormat, Luma, LumaA, Rgb, Rgba, RgbaImage,
};
use pixpipe_imaging::{Fit, Format, Limits, SourceFormat, probe, process};

/// 40x20: left half opaque red, right half fully transparent.
fn half_transparent() -> Vec<u8> {
    let img = RgbaImage::from_fn(40, 20, |x, _| {
        if x < 20 {
            Rgba([255, 0, 0, 255])
        } else {
            Rgba([0, 0, 0, 0])
        }
    });
    encode(&DynamicImage::ImageRgba8(img), ImageFormat::Png)
}

#[test]
fn alpha_is_flattened_on_white_for_jpeg_and_kept_otherwise() {
    let bytes = half_transparent();
    for (w, h) in [(40, 20), (20, 10)] {
        let variants = [
            variant(w, h, Fit::Fill, Format::Jpeg, true),
            variant(w, h, Fit::Fill, Format::Png, true),
            variant(w, h, Fit::Fill, Format::Webp, true),
        ];
        let out = process(&bytes, &variants, &Limits::default()).expect("process");
        let (left, right) = ((w / 8, h / 2), (w - 1 - w / 8, h / 2));

        let jpeg = decode(&out[0]);
        let px = *jpeg.get_pixel(right.0, right.1);
        assert!(close(px, [255, 255, 255, 255], 6), "jpeg is white: {px:?}");
        assert!(
            close(*jpeg.get_pixel(left.0, left.1), [255, 0, 0, 255], 12),
            "jpeg keeps red"
        );

        let png = decode(&out[1]);
        assert_eq!(
            png.get_pixel(right.0, right.1).0[3],
            0,
            "png stays transparent"
        );
        assert!(
            close(*png.get_pixel(left.0, left.1), [255, 0, 0, 255], 2),
            "png keeps red"
        );

        let webp = decode(&out[2]);
        assert!(
            webp.get_pixel(right.0, right.1).0[3] < 8,
            "webp stays transparent"
        );
        let px = *webp.get_pixel(left.0, left.1);
        assert!(
            px.0[3] > 247 && px.0[0] > 200 && px.0[1] < 60,
            "webp keeps red: {px:?}"
        );
    }
}

#[test]
fn contain_pads_transparent_when_alpha_is_kept() {
    let bytes = half_transparent();
    let variants = [
        variant(40, 40, Fit::Contain, Format::Png, true),
        variant(40, 40, Fit::Contain, Format::Jpeg, true),
    ];
    let out = process(&bytes, &variants, &Limits::default()).expect("process");
    let png = decode(&out[0]);
    assert_eq!(png.get_pixel(5, 2).0[3], 0, "transparent padding");
    assert_eq!(png.get_pixel(5, 20).0, [255, 0, 0, 255]);
    let jpeg = decode(&out[1]);
    assert!(
        close(*jpeg.get_pixel(5, 2), [255, 255, 255, 255], 6),
        "white padding"
    );
}

#[test]
fn animated_gif_gives_its_first_frame() {
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut bytes);
        let red = Frame::new(RgbaImage::from_pixel(16, 12, Rgba([255, 0, 0, 255])));
        let blue = Frame::new(RgbaImage::from_pixel(16, 12, Rgba([0, 0, 255, 255])));
        encoder.encode_frames([red, blue]).expect("encode gif");
    }
    let p = probe(&bytes, &Limits::default()).expect("probe");
    assert_eq!((p.format, p.width, p.height), (SourceFormat::Gif, 16, 12));
    let out = process(
        &bytes,
        &[variant(8, 6, Fit::Fill, Format::Png, true)],
        &Limits::default(),
    )
    .expect("process");
    let img = decode(&out[0]);
    assert!(
        close(*img.get_pixel(4, 3), [255, 0, 0, 255], 2),
        "{:?}",
        img.get_pixel(4, 3)
    );
}

#[test]
fn sixteen_bit_and_greyscale_pngs() {
    let limits = Limits::default();
    let v = [variant(10, 10, Fit::Inside, Format::Png, true)];

    let rgb16: ImageBuffer<Rgb<u16>, Vec<u16>> =
        ImageBuffer::from_pixel(10, 10, Rgb([65535, 32896, 0]));
    let out = process(
        &encode(&DynamicImage::ImageRgb16(rgb16), ImageFormat::Png),
        &v,
        &limits,
    )
    .expect("16-bit");
    assert!(close(
        *decode(&out[0]).get_pixel(5, 5),
        [255, 128, 0, 255],
        1
    ));

    let rgba16: ImageBuffer<Rgba<u16>, Vec<u16>> =
        ImageBuffer::from_pixel(10, 10, Rgba([0, 65535, 0, 32896]));
    let out = process(
        &encode(&DynamicImage::ImageRgba16(rgba16), ImageFormat::Png),
        &v,
        &limits,
    )
    .expect("16-bit rgba");
    assert!(close(*decode(&out[0]).get_pixel(5, 5), [0, 255, 0, 128], 2));

    let grey = GrayImage::from_pixel(10, 10, Luma([100]));
    let out = process(
        &encode(&DynamicImage::ImageLuma8(grey), ImageFormat::Png),
        &v,
        &limits,
    )
    .expect("grey");
    assert!(close(
        *decode(&out[0]).get_pixel(5, 5),
        [100, 100, 100, 255],
        1
    ));

    let grey_alpha: ImageBuffer<LumaA<u8>, Vec<u8>> =
        ImageBuffer::from_pixel(10, 10, LumaA([50, 255]));
    let out = process(
        &encode(&DynamicImage::ImageLumaA8(grey_alpha), ImageFormat::Png),
        &v,
        &limits,
    )
    .expect("grey alpha");
    assert!(close(
        *decode(&out[0]).get_pixel(5, 5),
        [50, 50, 50, 255],
        1
    ));

    // A greyscale JPEG too.
    let grey = GrayImage::from_pixel(16, 16, Luma([180]));
    let out = process(
        &encode(&DynamicImage::ImageLuma8(grey), ImageFormat::Jpeg),
        &v,
        &limits,
    )
    .expect("grey jpeg");
    assert!(close(
        *decode(&out[0]).get_pixel(5, 5),
        [180, 180, 180, 255],
        3
    ));
}

#[test]
fn webp_sources_decode() {
    let img = RgbaImage::from_pixel(30, 20, Rgba([10, 120, 240, 255]));
    let bytes = encode(&DynamicImage::ImageRgba8(img), ImageFormat::WebP);
    let p = probe(&bytes, &Limits::default()).expect("probe");
    assert_eq!((p.format, p.width, p.height), (SourceFormat::Webp, 30, 20));
    let out = process(
        &bytes,
        &[variant(15, 15, Fit::Inside, Format::Jpeg, true)],
        &Limits::default(),
    )
    .expect("process");
    assert_eq!((out[0].width, out[0].height), (15, 10));
    assert!(close(
        *decode(&out[0]).get_pixel(7, 5),
        [10, 120, 240, 255],
        8
    ));
}

#[test]
fn outputs_decode_at_their_size_and_carry_no_metadata() {
    let img = crate::common::quadrants(123, 77);
    let bytes = with_exif_orientation(&crate::common::jpeg(&DynamicImage::ImageRgba8(img), 90), 1);
    let variants = [
        variant(50, 50, Fit::Inside, Format::Jpeg, true),
        variant(61, 33, Fit::Cover, Format::Webp, true),
        variant(45, 45, Fit::Contain, Format::Png, true),
        variant(1000, 1000, Fit::Inside, Format::Jpeg, false),
    ];
    let out = process(&bytes, &variants, &Limits::default()).expect("process");
    let sizes: Vec<_> = out.iter().map(|o| (o.width, o.height)).collect();
    assert_eq!(sizes, [(50, 31), (61, 33), (45, 45), (1000, 626)]);
    for o in &out {
        decode(o);
        assert!(
            !o.bytes.windows(6).any(|w| w == b"Exif\0\0"),
            "{:?} has EXIF",
            o.format
        );
        if o.format == Format::Webp {
            assert!(!o.bytes.windows(4).any(|w| w == b"EXIF" || w == b"ICCP"));
        }
    }
    assert_eq!(out[0].bytes[..3], [0xFF, 0xD8, 0xFF]);
}
