//! Test inputs made on the fly, so that no test needs a file from outside the
//! repository.
//!
//! Each [`Photo`] is a photo-like scene (sky gradient, a sun disc at the top
//! right, a pole at the left, textured ground, sensor grain) rendered at the
//! geometry of a real camera or app file and encoded the way such a file is.
//! The scene is asymmetric on both axes, so a wrong rotation or mirror of an
//! output is visible, and textured at several scales, so that encoders and
//! resamplers have real work to do. The one real photograph, [`Photo::Rocket`],
//! ships in this crate (`rocket.jpg`, public domain; see `SOURCES.md`).
//!
//! Photos are made once per process and cached; generation is deterministic.

pub mod reference;
mod scene;
pub mod tagged;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use scene::{scene, scene_rgba};

/// A test input of a kind real phones and apps produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Photo {
    /// 4032x3024 JPEG, quality 90, no EXIF: the 12 MP phone geometry.
    Phone12mp,
    /// 3264x2448 stored pixels with EXIF Orientation 6 (shown 2448x3264).
    Rotated,
    /// 2560x3840 portrait JPEG, quality 75.
    Portrait,
    /// 1920x1200 PNG, RGBA 8-bit, alpha graded from 40 to 230 (none opaque).
    Alpha,
    /// 3088x2056 lossy WebP (VP8), quality 90.
    Webp,
    /// 512x512 RGB PNG.
    Png,
    /// 640x427 JPEG 4:4:4 tagged Adobe RGB (ICC): a real photograph (a rocket
    /// launch, public domain).
    Rocket,
}

impl Photo {
    /// Every photo, in declaration order.
    pub const ALL: [Photo; 7] = [
        Photo::Phone12mp,
        Photo::Rotated,
        Photo::Portrait,
        Photo::Alpha,
        Photo::Webp,
        Photo::Png,
        Photo::Rocket,
    ];

    /// The file's bytes (made on first use, then cached for the process).
    pub fn bytes(self) -> &'static [u8] {
        static CACHE: [OnceLock<Vec<u8>>; 7] = [const { OnceLock::new() }; 7];
        CACHE[self as usize].get_or_init(|| self.make())
    }

    /// A file name with the right extension.
    pub fn file_name(self) -> &'static str {
        match self {
            Photo::Phone12mp => "phone12mp.jpg",
            Photo::Rotated => "rotated-orientation6.jpg",
            Photo::Portrait => "portrait.jpg",
            Photo::Alpha => "alpha.png",
            Photo::Webp => "photo.webp",
            Photo::Png => "photo.png",
            Photo::Rocket => "rocket.jpg",
        }
    }

    /// The media type a client would send with it.
    pub fn content_type(self) -> &'static str {
        match self {
            Photo::Alpha | Photo::Png => "image/png",
            Photo::Webp => "image/webp",
            _ => "image/jpeg",
        }
    }

    /// Writes the photo into `dir` under [`Photo::file_name`]; returns its path.
    pub fn write_into(self, dir: &Path) -> PathBuf {
        let path = dir.join(self.file_name());
        std::fs::write(&path, self.bytes()).expect("write test photo");
        path
    }

    fn make(self) -> Vec<u8> {
        match self {
            Photo::Phone12mp => jpeg(&scene(4032, 3024), 90),
            Photo::Rotated => with_exif_orientation(&jpeg(&scene(3264, 2448), 90), 6),
            Photo::Portrait => jpeg(&scene(2560, 3840), 75),
            Photo::Alpha => png(image::DynamicImage::ImageRgba8(scene_rgba(1920, 1200))),
            Photo::Webp => {
                let img = scene(3088, 2056);
                webp::Encoder::from_rgb(img.as_raw(), img.width(), img.height())
                    .encode(90.0)
                    .to_vec()
            }
            Photo::Png => png(image::DynamicImage::ImageRgb8(scene(512, 512))),
            Photo::Rocket => include_bytes!("../rocket.jpg").to_vec(),
        }
    }
}

/// Baseline JPEG of `img` at `quality` (the `image` crate's encoder).
pub fn jpeg(img: &image::RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .expect("encode JPEG");
    out
}

fn png(img: image::DynamicImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode PNG");
    out.into_inner()
}

/// `jpeg` with an EXIF APP1 segment holding only `Orientation` (tag 0x0112),
/// inserted right after SOI, as cameras write it.
pub fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    assert_eq!(&jpeg[..2], [0xFF, 0xD8], "not a JPEG");
    // Little-endian TIFF: header, one IFD with one SHORT entry, no next IFD.
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x0112u16.to_le_bytes());
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    let mut body = b"Exif\0\0".to_vec();
    body.extend_from_slice(&tiff);
    let length = u16::try_from(body.len() + 2).expect("small segment");
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(&body);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_photo_decodes_to_its_stated_geometry() {
        let expected = [
            (4032, 3024),
            (3264, 2448),
            (2560, 3840),
            (1920, 1200),
            (3088, 2056),
            (512, 512),
            (640, 427),
        ];
        for (photo, dims) in Photo::ALL.into_iter().zip(expected) {
            let img = image::load_from_memory(photo.bytes()).expect("decodes");
            assert_eq!((img.width(), img.height()), dims, "{photo:?}");
        }
    }

    #[test]
    fn the_rotated_photo_carries_orientation_6() {
        use image::ImageDecoder;
        let bytes = Photo::Rotated.bytes();
        let mut decoder =
            image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(
            decoder.orientation().unwrap(),
            image::metadata::Orientation::Rotate90
        );
    }

    #[test]
    fn the_alpha_photo_has_no_opaque_pixel() {
        let img = image::load_from_memory(Photo::Alpha.bytes()).unwrap();
        let alphas: Vec<u8> = img.to_rgba8().pixels().map(|p| p[3]).collect();
        assert!(alphas.iter().all(|&a| (40..=230).contains(&a)));
        assert!(alphas.iter().any(|&a| a < 80) && alphas.iter().any(|&a| a > 200));
    }
}
