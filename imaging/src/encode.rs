//! Encoding a finished raster: JPEG with libjpeg-turbo (4:2:0, Huffman
//! tables optimised per image; one interleaved baseline scan, or
//! progressive scans on request), WebP with
//! libwebp (lossy or lossless), PNG with the `image` crate, AVIF with rav1e
//! (see `avif`, whose budget picks each AVIF job's speed). No metadata is
//! written except, on request, a minimal EXIF block carrying the source's
//! Copyright and Artist (see `copyright`). [`encode_all`] encodes one
//! image's variants side by side on a few threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use image::ImageEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use webp::{PixelLayout, WebPConfig};

use crate::avif;
use crate::error::ImagingError;
use crate::options::{Format, Variant};
use crate::pixels::{Layout, Pixels};
use crate::turbo::{self, Compression};

/// Largest side a JPEG frame header can state.
const JPEG_MAX_SIDE: u32 = 65_535;
/// Largest side libwebp accepts.
const WEBP_MAX_SIDE: u32 = 16383;

/// The bytes of one encoding job, or why it failed.
type Encoded = Result<Vec<u8>, ImagingError>;

/// One raster to encode as its variant asks.
pub(crate) struct Job<'a> {
    pub pixels: &'a Pixels,
    pub variant: &'a Variant,
    /// The EXIF block to embed, if any.
    pub exif: Option<&'a [u8]>,
    /// The rav1e speed of an AVIF job (chosen by `avif::plan`).
    pub avif_speed: u8,
}

/// Encodes every job, largest first, on up to `threads` threads (the calling
/// thread included; fewer if the system will not start more), AVIF jobs one
/// at a time. The bytes come
/// back in the order of `jobs`; the first failure in that order is returned.
pub(crate) fn encode_all(jobs: &[Job<'_>], threads: usize) -> Result<Vec<Vec<u8>>, ImagingError> {
    let workers = threads.clamp(1, jobs.len().max(1));
    // One job alone may use every thread inside its encoder (rav1e does).
    let inner = if workers == 1 { threads.max(1) } else { 1 };
    // One AVIF at a time: rav1e holds about 40 bytes a pixel while it
    // encodes, so two at once could double the job's peak memory.
    let avif_turn = Mutex::new(());
    let run = |job: &Job<'_>| {
        let _turn = (job.variant.format == Format::Avif)
            .then(|| avif_turn.lock().unwrap_or_else(PoisonError::into_inner));
        encode(job, inner)
    };
    let threads = workers;
    if threads == 1 {
        return jobs.iter().map(run).collect();
    }
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(jobs[i].pixels.data().len()));
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<Encoded>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    let work = || {
        while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            let bytes = run(&jobs[i]);
            *results[i].lock().unwrap_or_else(PoisonError::into_inner) = Some(bytes);
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            if std::thread::Builder::new()
                .spawn_scoped(scope, work)
                .is_err()
            {
                break;
            }
        }
        work();
    });
    results
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(PoisonError::into_inner)
                .unwrap_or_else(|| Err(ImagingError::Encode("an encoding job did not run".into())))
        })
        .collect()
}

/// Encodes `job.pixels` (straight alpha; for JPEG any alpha is ignored) as
/// its variant asks, embedding its `exif` (a TIFF block) when given; an
/// encoder that can use threads gets `threads`.
pub(crate) fn encode(job: &Job<'_>, threads: usize) -> Result<Vec<u8>, ImagingError> {
    let (pixels, variant, exif) = (job.pixels, job.variant, job.exif);
    let quality = variant.quality.clamp(1, 100);
    match variant.format {
        Format::Jpeg => jpeg(pixels, quality, variant.progressive, exif),
        Format::Png => png(pixels, exif),
        Format::Webp => webp(pixels, quality, variant.lossless, exif),
        Format::Avif => avif::encode(pixels, quality, job.avif_speed, threads, exif),
    }
}

fn too_big(format: &str, pixels: &Pixels, max: u32) -> ImagingError {
    ImagingError::Encode(format!(
        "{format} cannot store {}x{} (at most {max} pixels a side)",
        pixels.width(),
        pixels.height()
    ))
}

fn jpeg(
    pixels: &Pixels,
    quality: u8,
    progressive: bool,
    exif: Option<&[u8]>,
) -> Result<Vec<u8>, ImagingError> {
    if pixels.width() > JPEG_MAX_SIDE || pixels.height() > JPEG_MAX_SIDE {
        return Err(too_big("jpeg", pixels, JPEG_MAX_SIDE));
    }
    let channels = pixels.layout().channels();
    let how = Compression {
        quality,
        progressive,
    };
    let out = turbo::compress(
        pixels.data(),
        pixels.width(),
        pixels.height(),
        channels,
        how,
    )
    .map_err(|e| ImagingError::Encode(e.message))?;
    Ok(match exif {
        Some(tiff) => with_exif(out, tiff)?,
        None => out,
    })
}

/// `jpeg` with an APP1 EXIF segment holding `tiff`, placed after SOI and
/// the JFIF APP0 segment that libjpeg writes first.
fn with_exif(jpeg: Vec<u8>, tiff: &[u8]) -> Result<Vec<u8>, ImagingError> {
    let payload = [b"Exif\0\0".as_slice(), tiff].concat();
    let Ok(len) = u16::try_from(payload.len() + 2) else {
        return Err(ImagingError::Encode("jpeg exif: block too large".into()));
    };
    let mut at = 2;
    if jpeg.get(2..4) == Some(&[0xFF, 0xE0]) {
        let app0 = u16::from_be_bytes([jpeg[4], jpeg[5]]);
        at += 2 + usize::from(app0);
    }
    let at = at.min(jpeg.len());
    let mut out = Vec::with_capacity(jpeg.len() + payload.len() + 4);
    out.extend_from_slice(&jpeg[..at]);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[at..]);
    Ok(out)
}

fn png(pixels: &Pixels, exif: Option<&[u8]>) -> Result<Vec<u8>, ImagingError> {
    let color = match pixels.layout() {
        Layout::Rgb => image::ExtendedColorType::Rgb8,
        Layout::Rgba => image::ExtendedColorType::Rgba8,
    };
    let mut out = Vec::with_capacity(pixels.data().len() / 2);
    let mut encoder =
        PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive);
    if let Some(tiff) = exif {
        encoder
            .set_exif_metadata(tiff.to_vec())
            .map_err(|e| ImagingError::Encode(format!("png exif: {e}")))?;
    }
    encoder
        .write_image(pixels.data(), pixels.width(), pixels.height(), color)
        .map_err(|e| ImagingError::Encode(format!("png: {e}")))?;
    Ok(out)
}

fn webp(
    pixels: &Pixels,
    quality: u8,
    lossless: bool,
    exif: Option<&[u8]>,
) -> Result<Vec<u8>, ImagingError> {
    if pixels.width() > WEBP_MAX_SIDE || pixels.height() > WEBP_MAX_SIDE {
        return Err(too_big("webp", pixels, WEBP_MAX_SIDE));
    }
    let layout = match pixels.layout() {
        Layout::Rgb => PixelLayout::Rgb,
        Layout::Rgba => PixelLayout::Rgba,
    };
    let mut config =
        WebPConfig::new().map_err(|()| ImagingError::Encode("webp: bad default config".into()))?;
    if lossless {
        // Quality is effort here; `exact` keeps colour under clear pixels.
        config.lossless = 1;
        config.exact = 1;
        config.quality = 75.0;
        config.method = 4;
    } else {
        config.lossless = 0;
        config.quality = f32::from(quality);
    }
    let encoder = webp::Encoder::new(pixels.data(), layout, pixels.width(), pixels.height());
    let memory = encoder
        .encode_advanced(&config)
        .map_err(|e| ImagingError::Encode(format!("webp: {e:?}")))?;
    let riff = memory.to_vec();
    Ok(match exif {
        Some(tiff) => webp_with_exif(riff, pixels, tiff),
        None => riff,
    })
}

/// Adds an `EXIF` chunk to a WebP file, turning a simple file (one `VP8 ` or
/// `VP8L` chunk) into the extended format with a `VP8X` header first.
fn webp_with_exif(riff: Vec<u8>, pixels: &Pixels, tiff: &[u8]) -> Vec<u8> {
    const EXIF_FLAG: u8 = 0x08;
    const ALPHA_FLAG: u8 = 0x10;
    let mut out = riff[..12].to_vec();
    let body = &riff[12..];
    if body.starts_with(b"VP8X") && body.len() >= 18 {
        out.extend_from_slice(body);
        out[20] |= EXIF_FLAG;
    } else {
        let alpha = pixels.layout() == Layout::Rgba;
        out.extend_from_slice(b"VP8X");
        out.extend_from_slice(&10u32.to_le_bytes());
        out.push(EXIF_FLAG | if alpha { ALPHA_FLAG } else { 0 });
        out.extend_from_slice(&[0; 3]);
        out.extend_from_slice(&(pixels.width() - 1).to_le_bytes()[..3]);
        out.extend_from_slice(&(pixels.height() - 1).to_le_bytes()[..3]);
        out.extend_from_slice(body);
    }
    out.extend_from_slice(b"EXIF");
    out.extend_from_slice(&(tiff.len() as u32).to_le_bytes());
    out.extend_from_slice(tiff);
    if tiff.len() % 2 == 1 {
        out.push(0);
    }
    let size = (out.len() - 8) as u32;
    out[4..8].copy_from_slice(&size.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::Fit;

    fn one(pixels: &Pixels, variant: &Variant, exif: Option<&[u8]>) -> Encoded {
        let job = Job {
            pixels,
            variant,
            exif,
            avif_speed: 10,
        };
        encode(&job, 1)
    }

    fn opts(format: Format) -> Variant {
        Variant {
            quality: 80,
            ..Variant::new(1, 1, Fit::Fill, format)
        }
    }

    #[test]
    fn each_format_round_trips_its_size() {
        let px = Pixels::filled(17, 9, Layout::Rgb, [200, 10, 10, 0]);
        for (format, image_format) in [
            (Format::Jpeg, image::ImageFormat::Jpeg),
            (Format::Png, image::ImageFormat::Png),
            (Format::Webp, image::ImageFormat::WebP),
        ] {
            for exif in [None, Some(&b"II*\0\x08\0\0\0\0\0\0\0\0\0"[..])] {
                let bytes = one(&px, &opts(format), exif).expect("encodes");
                let back =
                    image::load_from_memory_with_format(&bytes, image_format).expect("decodes");
                assert_eq!((back.width(), back.height()), (17, 9), "{format:?}");
            }
        }
    }

    /// The AVIF's `ispe` box states the raster's size (decoding it is left
    /// to the integration tests, which have `avifdec`).
    #[test]
    fn avif_states_its_size_with_and_without_alpha() {
        for layout in [Layout::Rgb, Layout::Rgba] {
            let px = Pixels::filled(17, 9, layout, [200, 10, 10, 128]);
            let bytes = one(&px, &opts(Format::Avif), None).expect("encodes");
            assert_eq!(&bytes[4..12], b"ftypavif");
            let at = bytes.windows(4).position(|w| w == b"ispe").expect("ispe") + 8;
            let side = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().expect("4"));
            assert_eq!((side(at), side(at + 4)), (17, 9), "{layout:?}");
        }
    }

    /// Guards against non-interleaved JPEG output, which the `image` crate's
    /// decoder turns into garbage for block-aligned sizes.
    #[test]
    fn flat_jpegs_decode_to_their_colour() {
        for progressive in [false, true] {
            for (w, h) in [(16, 16), (40, 20), (17, 9)] {
                let px = Pixels::filled(w, h, Layout::Rgb, [255, 255, 255, 0]);
                let v = Variant {
                    progressive,
                    ..opts(Format::Jpeg)
                };
                let bytes = one(&px, &v, None).expect("encodes");
                let back = image::load_from_memory(&bytes).expect("decodes").to_rgb8();
                assert!(
                    back.pixels().all(|p| p.0.iter().all(|&c| c >= 250)),
                    "{w}x{h} progressive={progressive}"
                );
            }
        }
    }

    #[test]
    fn the_first_failure_in_job_order_is_reported_from_any_thread() {
        let small = Pixels::filled(8, 8, Layout::Rgb, [1, 2, 3, 0]);
        let wide = Pixels::filled(16384, 1, Layout::Rgb, [0; 4]);
        let (jpeg, webp) = (opts(Format::Jpeg), opts(Format::Webp));
        let job = |pixels, variant| Job {
            pixels,
            variant,
            exif: None,
            avif_speed: 10,
        };
        for threads in [1, 2, 4] {
            let ok = encode_all(&[job(&small, &jpeg), job(&small, &webp)], threads);
            assert_eq!(ok.expect("encodes").len(), 2);
            let bad = encode_all(&[job(&small, &jpeg), job(&wide, &webp)], threads);
            assert!(matches!(bad, Err(ImagingError::Encode(m)) if m.contains("16383")));
        }
    }

    #[test]
    fn oversized_outputs_are_errors() {
        let px = Pixels::filled(16384, 1, Layout::Rgb, [0; 4]);
        assert!(matches!(
            one(&px, &opts(Format::Webp), None),
            Err(ImagingError::Encode(_))
        ));
        let px = Pixels::filled(65536, 1, Layout::Rgb, [0; 4]);
        assert!(matches!(
            one(&px, &opts(Format::Jpeg), None),
            Err(ImagingError::Encode(_))
        ));
    }
}
