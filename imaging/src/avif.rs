//! AVIF: the encoder (rav1e through `ravif`, 8-bit 4:4:4, alpha kept) and the
//! CPU budget that picks its speed.
//!
//! AV1 is slow to encode and its cost grows with the pixels encoded, so the
//! speed of a job's AVIF variants is chosen before any is encoded, from their
//! megapixels (an alpha plane charged [`ALPHA_FACTOR`] times) and a per-job
//! budget of CPU seconds ([`Limits::avif_budget`]):
//!
//! 1. the slowest (smallest-file) speed of [`SPEEDS`] at which all of the
//!    job's AVIF variants fit the budget, by the cost model [`cpu_seconds`];
//! 2. if none fits, the fastest speed for as many variants as fit, smallest
//!    first; the rest are skipped ([`AvifPlan::Skip`]) and the job still
//!    succeeds with its other variants; so is an output the encoder cannot
//!    take ([`MAX_SIDE`], [`MAX_PIXELS`], reachable only with `outside`).
//!
//! The model is a cost per megapixel at each speed, measured single-threaded
//! on this engine's build (`bash bench/avif.sh`, see `bench/README.md`) and
//! rounded up, so that a plan is pessimistic: a job never spends much more
//! than its budget on AVIF, whatever the machine's load.

use ravif::{AlphaColorMode, BitDepth, Img, RGB8, RGBA8};

use crate::error::ImagingError;
use crate::options::Limits;
use crate::pixels::{Layout, Pixels};

/// The speeds the budget chooses from, slowest (smallest files) first, with
/// the CPU seconds each costs per megapixel encoded (one thread, x86_64
/// without assembly, rounded up from `bash bench/avif.sh`).
pub const SPEEDS: [(u8, f64); 3] = [(6, 3.2), (8, 2.7), (10, 0.75)];

/// Largest side an AVIF variant may have (the AV1 level limit of 65536 is
/// never reached: rav1e's memory is what bounds us, see `MAX_PIXELS`).
pub const MAX_SIDE: u32 = 16_384;
/// Largest AVIF output in pixels: rav1e holds about 40 bytes a pixel while
/// it encodes, about 670 MB at this size; a job encodes one AVIF at a time
/// (see `encode::encode_all`), and the worker's memory in `template.yaml` is
/// sized for its heaviest job (bench/README.md, "Worker sizing").
pub const MAX_PIXELS: u64 = 4096 * 4096;

/// What the budget decided for one AVIF variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AvifPlan {
    /// Encode at this rav1e speed (1 slowest .. 10 fastest).
    Speed(u8),
    /// Not made: encoding it would exceed the job's budget.
    Skip,
}

/// Estimated CPU seconds to encode `pixels` at `speed` (a speed of [`SPEEDS`]).
pub fn cpu_seconds(speed: u8, pixels: u64) -> f64 {
    let per_mp = SPEEDS
        .iter()
        .find(|(s, _)| *s == speed)
        .map_or(SPEEDS[0].1, |(_, cost)| *cost);
    per_mp * pixels as f64 / 1e6
}

/// One AVIF output to plan: its size and whether it keeps an alpha plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvifOutput {
    pub width: u32,
    pub height: u32,
    pub alpha: bool,
}

/// An alpha plane is a second AV1 encode (monochrome, full size). Measured on
/// the corpus's transparent PNG (`pixpipe bench-avif`), a transparent output
/// cost 1.5 to 1.8 times an opaque one per megapixel; it is charged twice.
pub const ALPHA_FACTOR: u64 = 2;

impl AvifOutput {
    fn pixels(self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    /// Whether the encoder takes it at all (see [`MAX_SIDE`], [`MAX_PIXELS`]).
    fn encodable(self) -> bool {
        self.width <= MAX_SIDE && self.height <= MAX_SIDE && self.pixels() <= MAX_PIXELS
    }

    /// Pixels as the cost model counts them (alpha planes included).
    fn charged(self) -> u64 {
        self.pixels() * if self.alpha { ALPHA_FACTOR } else { 1 }
    }
}

/// Plans every AVIF output of a job: `outputs[i]` is output `i`, `None` for
/// outputs in other formats (planned as `None`). An output the encoder cannot
/// take (over [`MAX_SIDE`] a side or [`MAX_PIXELS`]) is skipped whatever the
/// budget.
pub fn plan(outputs: &[Option<AvifOutput>], limits: &Limits) -> Vec<Option<AvifPlan>> {
    let charged: Vec<Option<u64>> = outputs
        .iter()
        .map(|o| o.filter(|o| o.encodable()).map(AvifOutput::charged))
        .collect();
    let mut plans = plan_within(&charged, limits);
    for (plan, o) in plans.iter_mut().zip(outputs) {
        if o.is_some() && plan.is_none() {
            *plan = Some(AvifPlan::Skip);
        }
    }
    plans
}

fn plan_within(pixels: &[Option<u64>], limits: &Limits) -> Vec<Option<AvifPlan>> {
    let budget = limits.avif_budget.as_secs_f64();
    let total: u64 = pixels.iter().flatten().sum();
    if let Some(&(speed, _)) = SPEEDS
        .iter()
        .find(|(speed, _)| cpu_seconds(*speed, total) <= budget)
    {
        return pixels
            .iter()
            .map(|p| p.map(|_| AvifPlan::Speed(speed)))
            .collect();
    }
    let (fastest, _) = SPEEDS[SPEEDS.len() - 1];
    let mut order: Vec<usize> = (0..pixels.len()).filter(|&i| pixels[i].is_some()).collect();
    order.sort_by_key(|&i| pixels[i]);
    let mut plans: Vec<Option<AvifPlan>> =
        pixels.iter().map(|p| p.map(|_| AvifPlan::Skip)).collect();
    let mut spent = 0.0;
    for i in order {
        let cost = cpu_seconds(fastest, pixels[i].unwrap_or(0));
        if spent + cost > budget {
            break;
        }
        spent += cost;
        plans[i] = Some(AvifPlan::Speed(fastest));
    }
    plans
}

/// Encodes `pixels` (straight alpha) as AVIF at `quality` (1..=100, colour
/// and alpha alike) and `speed`, on up to `threads` threads, with `exif` (a
/// TIFF block) as its Exif item when given.
pub(crate) fn encode(
    pixels: &Pixels,
    quality: u8,
    speed: u8,
    threads: usize,
    exif: Option<&[u8]>,
) -> Result<Vec<u8>, ImagingError> {
    let raster = Raster {
        width: pixels.width(),
        height: pixels.height(),
        alpha: pixels.layout() == Layout::Rgba,
        data: pixels.data(),
    };
    encode_raster(&raster, quality, speed, threads, exif)
}

/// An 8-bit interleaved raster: RGB, or RGBA with straight alpha.
#[derive(Debug, Clone, Copy)]
pub struct Raster<'a> {
    pub width: u32,
    pub height: u32,
    pub alpha: bool,
    pub data: &'a [u8],
}

/// The encoder itself, for the engine and for `pixpipe bench-avif`, which
/// measures the cost model above with it.
pub fn encode_raster(
    raster: &Raster<'_>,
    quality: u8,
    speed: u8,
    threads: usize,
    exif: Option<&[u8]>,
) -> Result<Vec<u8>, ImagingError> {
    let (width, height) = (raster.width, raster.height);
    let channels = if raster.alpha { 4 } else { 3 };
    if raster.data.len() != width as usize * height as usize * channels {
        return Err(ImagingError::Encode("avif: raster size mismatch".into()));
    }
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImagingError::Encode(format!(
            "avif cannot store {width}x{height} here (at most {MAX_SIDE} a side and {MAX_PIXELS} pixels)"
        )));
    }
    let quality = f32::from(quality.clamp(1, 100));
    let encoder = ravif::Encoder::new()
        .with_quality(quality)
        .with_alpha_quality(quality)
        .with_speed(speed.clamp(1, 10))
        .with_bit_depth(BitDepth::Eight)
        .with_alpha_color_mode(AlphaColorMode::UnassociatedClean)
        .with_num_threads(Some(threads.max(1)));
    let encoder = match exif {
        Some(tiff) => encoder.with_exif(tiff),
        None => encoder,
    };
    let (w, h) = (width as usize, height as usize);
    let encoded = if raster.alpha {
        let buf: Vec<RGBA8> = raster
            .data
            .chunks_exact(4)
            .map(|p| RGBA8::new(p[0], p[1], p[2], p[3]))
            .collect();
        encoder.encode_rgba(Img::new(buf.as_slice(), w, h))
    } else {
        let buf: Vec<RGB8> = raster
            .data
            .chunks_exact(3)
            .map(|p| RGB8::new(p[0], p[1], p[2]))
            .collect();
        encoder.encode_rgb(Img::new(buf.as_slice(), w, h))
    };
    encoded
        .map(|e| e.avif_file)
        .map_err(|e| ImagingError::Encode(format!("avif: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limits(budget: f64) -> Limits {
        Limits {
            avif_budget: Duration::from_secs_f64(budget),
            ..Limits::default()
        }
    }

    const MP: u64 = 1_000_000;

    /// An opaque output of `pixels` (1000 wide).
    fn opaque(pixels: u64) -> Option<AvifOutput> {
        Some(AvifOutput {
            width: 1000,
            height: (pixels / 1000) as u32,
            alpha: false,
        })
    }

    #[test]
    fn the_slowest_speed_that_fits_the_whole_job_is_chosen() {
        let sizes = [opaque(3 * MP), None, opaque(MP)];
        let speed = |s| Some(AvifPlan::Speed(s));
        assert_eq!(plan(&sizes, &limits(100.0)), [speed(6), None, speed(6)]);
        assert_eq!(plan(&sizes, &limits(11.0)), [speed(8), None, speed(8)]);
        assert_eq!(plan(&sizes, &limits(4.0)), [speed(10), None, speed(10)]);
    }

    #[test]
    fn past_the_fastest_speed_the_largest_are_skipped() {
        let sizes = [opaque(3 * MP), opaque(MP), opaque(MP / 4)];
        let plans = plan(&sizes, &limits(1.0));
        assert_eq!(
            plans,
            [
                Some(AvifPlan::Skip),
                Some(AvifPlan::Speed(10)),
                Some(AvifPlan::Speed(10))
            ]
        );
        assert!(
            plan(&sizes, &limits(0.0))
                .iter()
                .flatten()
                .all(|p| *p == AvifPlan::Skip)
        );
    }

    #[test]
    fn an_output_the_encoder_refuses_is_skipped_whatever_the_budget() {
        let wide = Some(AvifOutput {
            width: MAX_SIDE + 1,
            height: 400,
            alpha: false,
        });
        let plans = plan(&[opaque(MAX_PIXELS + 1000), wide, opaque(MP)], &limits(1e6));
        assert_eq!(
            plans,
            [
                Some(AvifPlan::Skip),
                Some(AvifPlan::Skip),
                Some(AvifPlan::Speed(6))
            ]
        );
    }

    #[test]
    fn alpha_is_charged_twice() {
        let clear = Some(AvifOutput {
            width: 1000,
            height: 1000,
            alpha: true,
        });
        // 1 MP: speed 6 fits 4 s opaque (3.2 s) but not with alpha (6.4 s).
        assert_eq!(
            plan(&[opaque(MP)], &limits(4.0)),
            [Some(AvifPlan::Speed(6))]
        );
        assert_eq!(plan(&[clear], &limits(4.0)), [Some(AvifPlan::Speed(10))]);
    }

    #[test]
    fn the_cost_model_is_monotonic() {
        for pair in SPEEDS.windows(2) {
            assert!(pair[0].1 > pair[1].1 && pair[0].0 < pair[1].0);
        }
        assert!(cpu_seconds(10, 2 * MP) > cpu_seconds(10, MP));
    }
}
