#!/usr/bin/env bash
# What AVIF costs: CPU time, peak RSS and bytes (against WebP of the same
# raster) of the 12 MP corpus photo's 1024 and 2048 variants at each speed
# the AVIF budget picks from, one fresh process per (box, speed) so that each
# peak RSS stands alone. Prints the Markdown table; the JSON lines go to
# $RESULTS/avif.jsonl. See bench/README.md ("AVIF").
#   bash bench/avif.sh                       # REPS=3 SIZES="1024 2048" SPEEDS=the budget's
#   SPEEDS="6 7 8 9 10" bash bench/avif.sh   # the whole ladder
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pixpipe/target}"
PHOTO="${PHOTO:-$REPO/../shared/bench/corpus/phone12mp_Dragonfly_by_Bolly_crop4032x3024_q90.jpg}"
REPS="${REPS:-3}"
SIZES="${SIZES:-1024 2048}"
RESULTS="${RESULTS:-/tmp/pixpipe-bench/avif-$(date -u +%Y%m%dT%H%M%SZ)}"
[ -f "$PHOTO" ] || { echo "no photo at $PHOTO (set PHOTO=...)" >&2; exit 1; }
if [ "${BUILD:-1}" = 1 ]; then cargo build --release -q -p pixpipe --manifest-path "$REPO/Cargo.toml"; fi
PIXPIPE="$CARGO_TARGET_DIR/release/pixpipe"
SPEEDS="${SPEEDS:-$("$PIXPIPE" bench-avif --print-speeds)}"
mkdir -p "$RESULTS"
: > "$RESULTS/avif.jsonl"
table=""
for size in $SIZES; do
  for speed in $SPEEDS; do
    out="$("$PIXPIPE" bench-avif --sizes "$size" --speeds "$speed" --reps "$REPS" --out "$RESULTS" "$PHOTO" 2>"$RESULTS/table.part")"
    echo "$out" >> "$RESULTS/avif.jsonl"
    if [ -z "$table" ]; then table="$(head -2 "$RESULTS/table.part")"; fi
    table="$table"$'\n'"$(tail -n +3 "$RESULTS/table.part")"
  done
done
rm -f "$RESULTS/table.part"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs; $(git -C "$REPO" rev-parse --short HEAD)" > "$RESULTS/env.txt"
printf '%s\n\n' "$table" | tee "$RESULTS/avif.md"
echo "results: $RESULTS" >&2
