//! `pixpipe bench-avif`: what an AVIF variant costs, the figures behind the
//! AVIF budget's cost model (`pixpipe_imaging::avif::SPEEDS`).
//!
//! For each file and each box (`inside`, default 1024 and 2048): the engine
//! makes the variant's raster once (untimed, through a lossless PNG variant),
//! then, for each of `--speeds` (default: those the budget picks from),
//! encodes it as AVIF on one thread `--reps` times. Each encode is timed with
//! the process CPU clock and a monotonic clock. `peak_rss_kb` is the
//! process's RSS high-water mark after the encodes (decode, resize and
//! encode: what a worker needs for the variant), `peak_before_kb` the same
//! mark before the first encode (decode and resize alone); `bench/avif.sh`
//! runs one process per (box, speed) so that each peak stands alone. The
//! same raster is encoded as WebP
//! (`quality` as the preset's WebP) for the size comparison. One JSON line
//! per (file, box, speed) with medians goes to stdout, a Markdown table to
//! stderr. `budget_pick` is the speed the default budget gives this variant
//! alone; `modern_pick` the speed it gives the `modern` preset's AVIFs on
//! this file.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, anyhow};
use pixpipe_core::spec;
use pixpipe_imaging::avif::{self, AvifOutput, AvifPlan, Raster};
use pixpipe_imaging::{Fit, Format, Limits, Variant};
use serde_json::json;

use crate::bench::{process_cpu_ns, round3, vm_hwm_kb};

/// Arguments of `pixpipe bench-avif`.
#[derive(Debug, clap::Args)]
pub struct BenchAvifArgs {
    /// Boxes (`inside`, square) to encode, in pixels.
    #[arg(long, value_delimiter = ',', default_value = "1024,2048")]
    pub sizes: Vec<u32>,
    /// Timed encodes per (file, box, speed); medians are reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub reps: u32,
    /// rav1e speeds to measure (1..=10); default: the budget's.
    #[arg(long, value_delimiter = ',')]
    pub speeds: Vec<u8>,
    /// AVIF quality (1..=100), as a variant's `quality`.
    #[arg(long, default_value_t = spec::MODERN_AVIF_QUALITY)]
    pub quality: u8,
    /// WebP quality of the comparison.
    #[arg(long, default_value_t = 80)]
    pub webp_quality: u8,
    /// Write each AVIF and WebP here (DIR/<stem>-<box>-s<speed>.avif).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the speeds the budget picks from (space-separated) and exit.
    #[arg(long)]
    pub print_speeds: bool,
    /// Input images.
    #[arg(required_unless_present = "print_speeds")]
    pub files: Vec<PathBuf>,
}

/// Runs the measurement, printing JSON lines and the table.
pub fn run(args: &BenchAvifArgs) -> anyhow::Result<()> {
    if args.print_speeds {
        let speeds: Vec<String> = avif::SPEEDS.iter().map(|(s, _)| s.to_string()).collect();
        println!("{}", speeds.join(" "));
        return Ok(());
    }
    let limits = Limits {
        max_threads: 1,
        ..Limits::default()
    };
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    }
    let mut table = vec![
        "| file | box | output | speed | CPU s (median) | wall s | peak RSS MB (before encoding) | AVIF bytes | WebP bytes | AVIF/WebP | budget pick | modern pick |".to_owned(),
        "|---|---|---|---|---|---|---|---|---|---|---|---|".to_owned(),
    ];
    for path in &args.files {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let stem = path
            .file_stem()
            .map_or_else(|| "image".into(), |s| s.to_string_lossy().into_owned());
        let modern = modern_pick(&bytes, &limits)?;
        for &side in &args.sizes {
            let (raster, webp) = raster_and_webp(&bytes, side, args.webp_quality, &limits)?;
            let pixels = u64::from(raster.width()) * u64::from(raster.height());
            let output = AvifOutput {
                width: raster.width(),
                height: raster.height(),
                alpha: raster.pixels().any(|p| p.0[3] != 255),
            };
            let pick = match avif::plan(&[Some(output)], &Limits::default())[0] {
                Some(AvifPlan::Speed(s)) => json!(s),
                _ => json!("skip"),
            };
            let speeds: Vec<u8> = if args.speeds.is_empty() {
                avif::SPEEDS.iter().map(|(s, _)| *s).collect()
            } else {
                args.speeds.iter().map(|s| (*s).clamp(1, 10)).collect()
            };
            for speed in speeds {
                let view = Raster {
                    width: raster.width(),
                    height: raster.height(),
                    alpha: true,
                    data: raster.as_raw(),
                };
                let m = measure(&view, args.quality, speed, args.reps)?;
                if let Some(out) = &args.out {
                    let name = format!("{stem}-{side}-s{speed}.avif");
                    std::fs::write(out.join(name), &m.bytes).context("writing the AVIF")?;
                    std::fs::write(out.join(format!("{stem}-{side}.webp")), &webp)
                        .context("writing the WebP")?;
                }
                let ratio = m.bytes.len() as f64 / webp.len() as f64;
                println!(
                    "{}",
                    json!({
                        "file": stem, "box": side, "width": raster.width(), "height": raster.height(),
                        "speed": speed, "quality": args.quality, "reps": args.reps,
                        "cpu_s": round3(m.cpu_s), "wall_s": round3(m.wall_s),
                        "peak_rss_kb": m.hwm_kb, "peak_before_kb": m.base_kb,
                        "avif_bytes": m.bytes.len(), "webp_bytes": webp.len(),
                        "avif_per_webp": round3(ratio),
                        "model_cpu_s": round3(avif::cpu_seconds(speed, pixels)),
                        "budget_pick": pick, "modern_pick": modern,
                    })
                );
                table.push(format!(
                    "| {stem} | {side} | {}x{} | {speed} | {:.2} | {:.2} | {:.0} ({:.0}) | {} | {} | {:.2} | {pick} | {modern} |",
                    raster.width(),
                    raster.height(),
                    m.cpu_s,
                    m.wall_s,
                    m.hwm_kb as f64 / 1024.0,
                    m.base_kb as f64 / 1024.0,
                    m.bytes.len(),
                    webp.len(),
                    ratio,
                ));
            }
        }
    }
    eprintln!("{}", table.join("\n"));
    Ok(())
}

/// Medians of one (raster, speed) over `reps` encodes.
struct Measured {
    cpu_s: f64,
    wall_s: f64,
    hwm_kb: u64,
    base_kb: u64,
    bytes: Vec<u8>,
}

fn measure(raster: &Raster<'_>, quality: u8, speed: u8, reps: u32) -> anyhow::Result<Measured> {
    let (mut cpu, mut wall) = (vec![], vec![]);
    let base = vm_hwm_kb().unwrap_or(0);
    let mut bytes = Vec::new();
    for _ in 0..reps {
        let (c0, t0) = (process_cpu_ns(), Instant::now());
        bytes = avif::encode_raster(raster, quality, speed, 1, None)
            .map_err(|e| anyhow!("avif at speed {speed}: {e}"))?;
        wall.push(t0.elapsed().as_secs_f64());
        cpu.push(process_cpu_ns().saturating_sub(c0) as f64 / 1e9);
    }
    let hwm = vm_hwm_kb().unwrap_or(0);
    Ok(Measured {
        cpu_s: median(cpu),
        wall_s: median(wall),
        hwm_kb: hwm,
        base_kb: base,
        bytes,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// The variant's finished raster (RGBA) and its WebP, made by the engine.
fn raster_and_webp(
    bytes: &[u8],
    side: u32,
    webp_quality: u8,
    limits: &Limits,
) -> anyhow::Result<(image::RgbaImage, Vec<u8>)> {
    let png = Variant::new(side, side, Fit::Inside, Format::Png);
    let webp = Variant {
        quality: webp_quality,
        ..Variant::new(side, side, Fit::Inside, Format::Webp)
    };
    let outputs = pixpipe_imaging::process(bytes, &[png, webp], limits)
        .map_err(|e| anyhow!("{}: {e}", e.code()))?;
    let [png, webp] = <[_; 2]>::try_from(outputs).map_err(|_| anyhow!("two outputs expected"))?;
    let raster = image::load_from_memory_with_format(&png.bytes, image::ImageFormat::Png)
        .context("reading back the lossless raster")?
        .to_rgba8();
    Ok((raster, webp.bytes))
}

/// The speed the default budget gives the `modern` preset's AVIFs on this file.
fn modern_pick(bytes: &[u8], limits: &Limits) -> anyhow::Result<serde_json::Value> {
    let modern = spec::preset("modern").ok_or_else(|| anyhow!("no modern preset"))?;
    let variants: Vec<Variant> = modern.variants.iter().map(|v| v.to_variant()).collect();
    let sized: Vec<Variant> = variants
        .iter()
        .map(|v| Variant {
            format: Format::Png,
            ..*v
        })
        .collect();
    // One run gives the outputs' sizes and whether the source has alpha.
    let made = pixpipe_imaging::make(bytes, &sized, limits, None)
        .map_err(|e| anyhow!("{}: {e}", e.code()))?;
    let alpha = made.source.has_alpha;
    let planned: Vec<Option<AvifOutput>> = made
        .outputs
        .iter()
        .zip(&variants)
        .map(|(o, v)| {
            let o = o.as_ref()?;
            (v.format == Format::Avif).then_some(AvifOutput {
                width: o.width,
                height: o.height,
                alpha,
            })
        })
        .collect();
    let speeds: Vec<String> = avif::plan(&planned, &Limits::default())
        .into_iter()
        .flatten()
        .map(|p| match p {
            AvifPlan::Speed(s) => s.to_string(),
            AvifPlan::Skip => "skip".into(),
        })
        .collect();
    Ok(json!(speeds.join("/")))
}
