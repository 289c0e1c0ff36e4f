//! Fuzzes the engine the way the worker drives it: arbitrary bytes through
//! sniff, header probe, one decode and the `standard` job's three variants
//! (then again with two small variants, which shrink JPEGs on load),
//! under limits small enough for many runs a second. Any panic is a bug, an
//! output over the limits is a bug, and libFuzzer's `-rss_limit_mb`,
//! `-malloc_limit_mb` and `-timeout` flags (see fuzz/README.md) catch
//! unbounded memory or time.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pixpipe_imaging::{Fit, Format, Limits, Variant};

fuzz_target!(|bytes: &[u8]| {
    let limits = Limits {
        max_input_bytes: 4 * 1024 * 1024,
        max_pixels: 4_000_000,
        max_dimension: 4096,
        max_alloc: 64 * 1024 * 1024,
        max_threads: 1,
    };
    let preset = |name| -> Vec<Variant> {
        pixpipe_core::spec::preset(name)
            .expect("preset")
            .variants
            .iter()
            .map(|spec| spec.to_variant())
            .collect()
    };
    // The standard job decodes at full size; the small one shrinks any
    // baseline JPEG of 64 pixels a side or more on load.
    let small = vec![
        Variant::new(16, 16, Fit::Cover, Format::Jpeg),
        Variant::new(24, 24, Fit::Inside, Format::Png),
    ];
    let _ = pixpipe_imaging::sniff(bytes);
    for variants in [preset("standard"), small] {
        if let Ok(outputs) = pixpipe_imaging::process(bytes, &variants, &limits) {
            assert_eq!(outputs.len(), variants.len());
            for (output, variant) in outputs.iter().zip(&variants) {
                assert!(output.width <= variant.width && output.height <= variant.height);
                assert!(u64::from(output.width) * u64::from(output.height) <= limits.max_pixels);
                assert!(!output.bytes.is_empty());
            }
        }
    }
});
