//! `pixpipe bench`: the engine measured exactly as the anchors of the
//! comparison in `bench/` measure Pillow, libvips and sharp, so that its JSON
//! lines sit beside theirs in `summarize.py`'s tables.
//!
//! Per file and repetition: read the bytes (untimed), optionally wait for the
//! machine to be quiet (untimed), reset the RSS high-water mark through
//! `/proc/self/clear_refs`, then time [`pixpipe_imaging::process`] (decode +
//! transform + encode into memory) with a monotonic clock (`ms`) and with the
//! process CPU clock, all threads (`cpu_ms`). `rss_hwm_kb` is `VmHWM` read
//! right after; `others_nice_pct` is the share of the whole machine that niced
//! processes used meanwhile (from `/proc/stat`, as the anchors compute it).
//! One JSON line per image per repetition goes to stdout, warm-up repetitions
//! (negative `rep`) marked `"warmup": true`, then one `{"summary": true}` line.
//! The first successful result of each file is written, untimed, to
//! `OUT/<file stem>/<variant>.<ext>`. A failing file is recorded with an
//! `error` field and the run goes on.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use pixpipe_core::spec::{self, VariantSpec};
use pixpipe_imaging::{Limits, Output};
use serde_json::{Map, Value, json};

/// Which of the shared benchmark's tasks to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Task {
    /// The `standard` preset: thumb, medium, large (the anchors' standard job).
    Standard,
    /// The `seed` preset: one 300x300 stretched JPEG q75 (the seed Lambda's job).
    Seed,
    /// The `modern` preset: AVIF and WebP of each standard size (no anchor
    /// does this job; for the worker's time and memory per job).
    Modern,
}

impl Task {
    fn name(self) -> &'static str {
        match self {
            Task::Standard => "standard",
            Task::Seed => "seed",
            Task::Modern => "modern",
        }
    }
}

/// Arguments of `pixpipe bench`; the same flags `run_all.sh` passes to an anchor.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Task, which is also the preset applied.
    #[arg(long, value_enum, default_value = "standard")]
    pub task: Task,
    /// Where the encoded variants go: DIR/<file stem>/<variant>.<ext>.
    #[arg(long)]
    pub out: PathBuf,
    /// Timed repetitions over the whole file list.
    #[arg(long, default_value_t = 1)]
    pub reps: u32,
    /// Untimed-for-the-tables repetitions first (lines marked "warmup": true).
    #[arg(long, default_value_t = 0)]
    pub warmup: u32,
    /// The `anchor` field of every line (default: pixpipe_<task>).
    #[arg(long)]
    pub label: Option<String>,
    /// Before each image, wait up to this many seconds (untimed) until niced
    /// jobs use less than --quiet-pct % of the machine. 0 = never wait.
    #[arg(long, default_value_t = 0.0)]
    pub quiet_gate: f64,
    /// Threshold of --quiet-gate, in % of the whole machine.
    #[arg(long, default_value_t = 3.0)]
    pub quiet_pct: f64,
    /// Threads that encode one image's variants (the engine's
    /// `max_threads`). 1, the default, compares with the single-threaded anchors.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub threads: u16,
    /// A JSON file of custom variants (as `POST /v1/jobs` takes them) to run
    /// instead of the task's preset, e.g. the heaviest job a worker accepts.
    #[arg(long)]
    pub variants: Option<PathBuf>,
    /// Input images.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Runs the benchmark, printing the JSON lines to stdout. Errors only on a
/// bad preset or an unwritable output; a failing image is a recorded line.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let task = args.task.name();
    let mut preset = spec::preset(task).ok_or_else(|| anyhow!("no preset named {task:?}"))?;
    if let Some(path) = &args.variants {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let list: Vec<VariantSpec> = serde_json::from_str(&text).context("parsing the variants")?;
        let (_, list) = spec::resolve(None, Some(list)).map_err(|e| anyhow!("variants: {e}"))?;
        preset.variants = list;
    }
    let variants: Vec<_> = preset
        .variants
        .iter()
        .map(VariantSpec::to_variant)
        .collect();
    let limits = Limits {
        max_threads: usize::from(args.threads),
        ..Limits::default()
    };
    let label = args
        .label
        .clone()
        .unwrap_or_else(|| format!("pixpipe_{task}"));
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;

    let baseline = vm_hwm_kb().unwrap_or(0);
    let mut peak = baseline;
    let mut can_reset = true;
    let mut written = vec![false; args.files.len()];
    let first_rep = -i64::from(args.warmup);
    for rep in first_rep..i64::from(args.reps) {
        for (index, path) in args.files.iter().enumerate() {
            let file = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into(),
            );
            let bytes = std::fs::read(path);
            let waited = wait_quiet(args.quiet_gate, args.quiet_pct);
            can_reset = reset_hwm() && can_reset;

            let s0 = cpu_ticks();
            let c0 = process_cpu_ns();
            let t0 = Instant::now();
            let result = match &bytes {
                Ok(bytes) => pixpipe_imaging::make(bytes, &variants, &limits, None)
                    .map(|made| made.outputs)
                    .map_err(|e| format!("{}: {e}", e.code())),
                Err(e) => Err(format!("io_error: reading {}: {e}", path.display())),
            };
            let wall = t0.elapsed();
            let c1 = process_cpu_ns();
            let others = nice_pct(&s0, &cpu_ticks());
            let hwm = vm_hwm_kb().unwrap_or(0);
            peak = peak.max(hwm);
            drop(bytes);

            let mut per_variant = Map::new();
            let mut out_bytes = 0;
            if let Ok(outputs) = &result {
                for (spec, output) in preset.variants.iter().zip(outputs) {
                    let Some(output) = output else {
                        per_variant.insert(spec.name.clone(), json!({"skipped": "budget"}));
                        continue;
                    };
                    out_bytes += output.bytes.len();
                    per_variant.insert(
                        spec.name.clone(),
                        json!({"bytes": output.bytes.len(), "w": output.width, "h": output.height,
                               "avif_speed": output.avif_speed}),
                    );
                }
            }
            let mut line = json!({
                "anchor": label, "file": file, "task": task, "rep": rep, "warmup": rep < 0,
                "ms": round3(wall.as_secs_f64() * 1e3),
                "cpu_ms": round3(c1.saturating_sub(c0) as f64 / 1e6),
                "out_bytes": out_bytes, "variants": per_variant,
                "rss_hwm_kb": if can_reset { Some(hwm) } else { None },
                "others_nice_pct": (others * 10.0).round() / 10.0,
                "waited_s": (waited.as_secs_f64() * 100.0).round() / 100.0,
            });
            match &result {
                Ok(outputs) if !written[index] => {
                    written[index] = true;
                    write_outputs(&args.out, path, &preset.variants, outputs)?;
                }
                Ok(_) => {}
                Err(message) => {
                    line["error"] = Value::from(message.as_str());
                }
            }
            println!("{line}");
        }
    }
    if !can_reset {
        peak = peak.max(max_rss_kb());
    }
    let summary = json!({
        "summary": true, "anchor": label, "peak_rss_kb": peak, "baseline_rss_kb": baseline,
        "per_image_rss_reset": can_reset, "versions": versions(),
        "threads": match args.threads {
            1 => "single engine thread"
                .to_string(),
            n => format!("up to {n} (variants encoded side by side)"),
        },
    });
    println!("{summary}");
    Ok(())
}

/// Writes one result's variants to `out/<stem>/<name>.<ext>`.
fn write_outputs(
    out: &Path,
    input: &Path,
    specs: &[VariantSpec],
    outputs: &[Option<Output>],
) -> anyhow::Result<()> {
    let stem = input
        .file_stem()
        .map_or_else(|| "image".into(), |s| s.to_string_lossy());
    let dir = out.join(stem.as_ref());
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for (spec, output) in specs.iter().zip(outputs) {
        let Some(output) = output else { continue };
        let path = dir.join(format!("{}.{}", spec.name, output.format.extension()));
        std::fs::write(&path, &output.bytes)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

pub(crate) fn round3(x: f64) -> f64 {
    (x * 1e3).round() / 1e3
}

/// CPU time of the whole process (all threads), in nanoseconds.
pub(crate) fn process_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0;
    }
    u64::try_from(ts.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(ts.tv_nsec).unwrap_or(0)
}

/// Peak RSS of the process from getrusage, in KiB (fallback when the
/// high-water mark cannot be reset).
fn max_rss_kb() -> u64 {
    // SAFETY: all-zero is a valid `rusage`; getrusage only writes into it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable rusage for the duration of the call.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    if rc != 0 {
        return 0;
    }
    u64::try_from(usage.ru_maxrss).unwrap_or(0)
}

/// A numeric field of `/proc/self/status`, e.g. `VmHWM:` (kB) or `Threads:`.
fn status_field(name: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}

pub(crate) fn vm_hwm_kb() -> Option<u64> {
    status_field("VmHWM:")
}

/// Resets the RSS high-water mark (VmHWM) to the current RSS.
fn reset_hwm() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Whole-machine jiffies: user nice system idle iowait irq softirq steal.
fn cpu_ticks() -> [u64; 8] {
    let mut ticks = [0; 8];
    if let Ok(stat) = std::fs::read_to_string("/proc/stat")
        && let Some(first) = stat.lines().next()
    {
        for (slot, field) in ticks.iter_mut().zip(first.split_whitespace().skip(1)) {
            *slot = field.parse().unwrap_or(0);
        }
    }
    ticks
}

/// Share (%) of all CPUs used by niced processes between two [`cpu_ticks`].
/// The benchmark runs at nice 0, so this is other jobs (e.g. niced builds).
fn nice_pct(a: &[u64; 8], b: &[u64; 8]) -> f64 {
    let d: Vec<u64> = a.iter().zip(b).map(|(x, y)| y.saturating_sub(*x)).collect();
    let total: u64 = d.iter().sum();
    if total == 0 {
        0.0
    } else {
        100.0 * d[1] as f64 / total as f64
    }
}

/// Waits (untimed) until niced jobs use less than `pct` % of the machine over
/// a 0.3 s window, for at most `max_s` seconds; returns the time waited.
fn wait_quiet(max_s: f64, pct: f64) -> Duration {
    let start = Instant::now();
    if max_s <= 0.0 {
        return Duration::ZERO;
    }
    while start.elapsed().as_secs_f64() < max_s {
        let a = cpu_ticks();
        std::thread::sleep(Duration::from_millis(300));
        if nice_pct(&a, &cpu_ticks()) < pct {
            break;
        }
    }
    start.elapsed()
}

/// pixpipe's version, the build profile, and the locked versions of the
/// crates that do the image work (read from Cargo.lock at compile time).
fn versions() -> Value {
    const LOCK: &str = include_str!("../Cargo.lock");
    const CRATES: [&str; 7] = [
        "image",
        "turbojpeg-sys",
        "png",
        "image-webp",
        "fast_image_resize",
        "webp",
        "libwebp-sys",
    ];
    let mut v = Map::new();
    v.insert("pixpipe".into(), env!("CARGO_PKG_VERSION").into());
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    v.insert("profile".into(), profile.into());
    for name in CRATES {
        if let Some(version) = locked_version(LOCK, name) {
            v.insert(name.into(), version.into());
        }
    }
    Value::Object(v)
}

/// The version of `name` in a Cargo.lock (the first entry if several).
fn locked_version<'a>(lock: &'a str, name: &str) -> Option<&'a str> {
    let needle = format!("name = \"{name}\"\n");
    let at = lock.find(&needle)? + needle.len();
    let rest = lock[at..].strip_prefix("version = \"")?;
    rest.split('"').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_share_is_the_second_field() {
        let a = [0; 8];
        let b = [50, 25, 25, 0, 0, 0, 0, 0];
        assert!((nice_pct(&a, &b) - 25.0).abs() < 1e-9);
        assert_eq!(nice_pct(&a, &a), 0.0);
    }

    #[test]
    fn locked_versions_are_found() {
        let lock = "[[package]]\nname = \"image\"\nversion = \"0.25.1\"\n";
        assert_eq!(locked_version(lock, "image"), Some("0.25.1"));
        assert_eq!(locked_version(lock, "png"), None);
    }

    #[test]
    fn process_clock_advances() {
        let a = process_cpu_ns();
        let mut x = 0u64;
        for i in 0..2_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(process_cpu_ns() > a);
    }
}
