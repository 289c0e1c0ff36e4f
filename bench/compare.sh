#!/usr/bin/env bash
# pixpipe beside the shared benchmark's anchors (sharp, libvips, Pillow), in one
# run on this machine, measured the same way; then the shared tables and ratios.
#
#   bash bench/compare.sh
#   REPS=3 WARMUP=1 ROUNDS=1 KEY_ALONE=1 COLD=0 bash bench/compare.sh     # ~10 min
#
# Steps: (a) the shared setup.sh, only if its products are missing (libvips42
# via apt, $BENCH_VENV, sharp in $BENCH_NODE_DIR); (b) cargo build --release -p
# pixpipe; (c) per round, the shared run_all.sh for the anchors in ONLY (one
# round per call, its raw lines renamed to the round) and `pixpipe bench` as
# pixpipe_standard and pixpipe_seed: after the anchors in odd rounds, before
# them in even rounds; then each on the key image alone in a fresh process;
# (d) the shared summarize.py over RESULTS; (e) bench/ratios.py.
#
# Knobs (the shared run_all.sh's, passed through to it):
#   SHARED   the shared folder (default: <git toplevel>/../shared)
#   CORPUS   default $SHARED/bench/corpus          KEY  default phone12mp
#   REPS (5) WARMUP (1) ROUNDS (2) KEY_ALONE (1) COLD (1) QUIET_WAIT (0)
#   QUIET_PCT (10) QUIET_GATE (0) MAX_OTHERS (summarize.py's default 5)
#   ONLY     anchors to run (default "seed_pillow pillow_standard sharp_1t vips_1t";
#            "all" = every anchor of run_all.sh, "none" = pixpipe only)
#   PIXPIPE_TASKS  default "standard seed"      BUILD  1 = cargo build first (default)
#   RESULTS  default /tmp/pixpipe-bench/<UTC stamp>; OUT_IMAGES default $RESULTS/images
#   BENCH_VENV / BENCH_NODE_DIR  as in setup.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || (cd "$HERE/.." && pwd))
SHARED=$(cd "${SHARED:-$REPO/../shared}" && pwd)
SB="$SHARED/bench"
export BENCH_VENV=${BENCH_VENV:-/tmp/benchvenv}
export BENCH_NODE_DIR=${BENCH_NODE_DIR:-/tmp/benchnode}
PY=${PY:-$BENCH_VENV/bin/python}
export CORPUS=${CORPUS:-$SB/corpus}
export REPS=${REPS:-5} WARMUP=${WARMUP:-1} KEY=${KEY:-phone12mp}
export QUIET_WAIT=${QUIET_WAIT:-0} QUIET_PCT=${QUIET_PCT:-10} QUIET_GATE=${QUIET_GATE:-0}
ROUNDS=${ROUNDS:-2}; KEY_ALONE=${KEY_ALONE:-1}; COLD=${COLD:-1}; BUILD=${BUILD:-1}
ONLY=${ONLY:-seed_pillow pillow_standard sharp_1t vips_1t}; [ "$ONLY" = all ] && ONLY=""
PIXPIPE_TASKS=${PIXPIPE_TASKS:-standard seed}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RES=${RESULTS:-/tmp/pixpipe-bench/$STAMP}
export OUT_IMAGES=${OUT_IMAGES:-$RES/images}
mkdir -p "$RES/raw" "$RES/rounds" "$OUT_IMAGES"
log() { echo "== $*" >&2; }

# (a) setup, only when something it makes is missing
if ! ldconfig -p | grep -q 'libvips.so.42' || [ ! -x "$PY" ] || [ ! -d "$BENCH_NODE_DIR/node_modules/sharp" ]; then
  log "setup ($SB/setup.sh)"
  bash "$SB/setup.sh"
fi

# (b) build
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pixpipe/target}
PIXPIPE=${PIXPIPE:-$CARGO_TARGET_DIR/release/pixpipe}
if [ "$BUILD" = 1 ]; then
  log "cargo build --release -p pixpipe"
  (cd "$REPO" && cargo build --release -p pixpipe)
fi
[ -x "$PIXPIPE" ] || { echo "no $PIXPIPE (BUILD=1 builds it)" >&2; exit 1; }
{
  echo "pixpipe: $PIXPIPE ($("$PIXPIPE" --version))"
  echo "git: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo none)," \
       "$(git -C "$REPO" status --porcelain 2>/dev/null | wc -l) changed/untracked paths in the work tree"
  echo "binary built: $(date -u -r "$PIXPIPE" +%Y-%m-%dT%H:%M:%SZ)"
  echo "ONLY=$ONLY PIXPIPE_TASKS=$PIXPIPE_TASKS REPS=$REPS WARMUP=$WARMUP ROUNDS=$ROUNDS KEY_ALONE=$KEY_ALONE COLD=$COLD"
} > "$RES/pixpipe.txt"
cat "$RES/pixpipe.txt" >&2

mapfile -t FILES < <(find "$CORPUS" -maxdepth 1 -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' -o -iname '*.webp' \) | LC_ALL=C sort)
[ "${#FILES[@]}" -gt 0 ] || { echo "no images in $CORPUS" >&2; exit 1; }

cpu_snap() { read -r _ u n s i w q sq st _ < /proc/stat; echo "$u $n $s $i $((u+n+s+i+w+q+sq+st))"; }
wait_quiet() {  # as run_all.sh: all CPU use below QUIET_PCT over 3 s, at most QUIET_WAIT s
  local waited=0 a b busy
  while [ "$waited" -lt "$QUIET_WAIT" ]; do
    a=($(cpu_snap)); sleep 3; b=($(cpu_snap)); waited=$((waited+3))
    busy=$(( 100 * ((b[0]-a[0]) + (b[1]-a[1]) + (b[2]-a[2])) / ((b[4]-a[4]) > 0 ? (b[4]-a[4]) : 1) ))
    [ "$busy" -lt "$QUIET_PCT" ] && { echo "$waited"; return; }
  done
  echo "$waited(not quiet)"
}

# pixpipe for one round: same flags and the same load.txt line as run_all.sh
pixpipe_round() {
  local round=$1 task name waited c0 c1 t0 t1 tot
  for task in $PIXPIPE_TASKS; do
    name=pixpipe_$task; waited=0
    [ "$QUIET_WAIT" -gt 0 ] && waited=$(wait_quiet)
    echo "[round $round] $name  (load: $(cut -d' ' -f1-3 /proc/loadavg); waited ${waited}s for quiet)" >&2
    c0=($(cpu_snap)); t0=$(date +%s.%N)
    "$PIXPIPE" bench --task "$task" --label "$name" --out "$OUT_IMAGES/$name" --reps "$REPS" \
      --warmup "$WARMUP" --quiet-gate "$QUIET_GATE" "${FILES[@]}" \
      > "$RES/raw/$name.r$round.jsonl" 2> "$RES/raw/$name.r$round.err" \
      || echo "!! $name exited $? (see $RES/raw/$name.r$round.err)" >&2
    c1=($(cpu_snap)); t1=$(date +%s.%N)
    tot=$(( c1[4]-c0[4] )); [ "$tot" -gt 0 ] || tot=1
    printf 'round=%s anchor=%s secs=%.1f user%%=%d nice%%=%d system%%=%d idle%%=%d loadavg=%s waited=%s\n' \
      "$round" "$name" "$(awk "BEGIN{print $t1-$t0}")" $(( 100*(c1[0]-c0[0])/tot )) $(( 100*(c1[1]-c0[1])/tot )) \
      $(( 100*(c1[2]-c0[2])/tot )) $(( 100*(c1[3]-c0[3])/tot )) "$(cut -d' ' -f1 /proc/loadavg)" "$waited" >> "$RES/load.txt"
  done
}

# one call of the shared run_all.sh; its products are merged into $RES
anchors_call() {  # dir rounds key_alone cold
  local dir=$1
  RESULTS=$dir ROUNDS=$2 KEY_ALONE=$3 COLD=$4 ONLY=$ONLY bash "$SB/run_all.sh" > "$dir.summary.md" \
    || echo "!! run_all.sh failed (see $dir)" >&2
  { echo "--- $(basename "$dir")"; cat "$dir/env.txt" 2>/dev/null; } >> "$RES/env.txt"
  if [ -f "$dir/cpu_monitor.tsv" ]; then
    [ -f "$RES/cpu_monitor.tsv" ] || head -1 "$dir/cpu_monitor.tsv" > "$RES/cpu_monitor.tsv"
    tail -n +2 "$dir/cpu_monitor.tsv" >> "$RES/cpu_monitor.tsv"
  fi
}

# (c) the rounds
for round in $(seq 1 "$ROUNDS"); do
  [ $((round % 2)) = 0 ] && pixpipe_round "$round"
  if [ "$ONLY" != none ]; then
    d="$RES/rounds/r$round"; mkdir -p "$d"
    log "round $round: anchors (${ONLY:-all})"
    anchors_call "$d" 1 0 0
    for f in "$d"/raw/*.r1.*; do
      [ -e "$f" ] || continue
      b=$(basename "$f"); mv "$f" "$RES/raw/${b/.r1./.r$round.}"
    done
    [ -f "$d/load.txt" ] && sed "s/^round=1 /round=$round /" "$d/load.txt" >> "$RES/load.txt"
  fi
  [ $((round % 2)) = 1 ] && pixpipe_round "$round"
done

# key image alone (fresh processes) and the cold-start proxies
if [ "$KEY_ALONE" = 1 ] || [ "$COLD" = 1 ]; then
  d="$RES/rounds/key_alone"; mkdir -p "$d" "$RES/key_alone"
  if [ "$ONLY" != none ]; then
    log "key image alone / cold start: anchors"
    anchors_call "$d" 0 "$KEY_ALONE" "$COLD"
    [ -d "$d/key_alone" ] && cp "$d"/key_alone/* "$RES/key_alone/" 2>/dev/null || true
    [ -f "$d/cold_start.json" ] && cp "$d/cold_start.json" "$RES/"
  fi
  KEYFILE=$(printf '%s\n' "${FILES[@]}" | grep -m1 -- "$KEY" || true)
  if [ "$KEY_ALONE" = 1 ] && [ -n "$KEYFILE" ]; then
    for task in $PIXPIPE_TASKS; do
      [ "$QUIET_WAIT" -gt 0 ] && wait_quiet > /dev/null
      echo "[key image alone] pixpipe_$task" >&2
      "$PIXPIPE" bench --task "$task" --label "pixpipe_$task" --out "$OUT_IMAGES/key_alone/pixpipe_$task" \
        --reps 3 --warmup 0 --quiet-gate "$QUIET_GATE" "$KEYFILE" \
        > "$RES/key_alone/pixpipe_$task.jsonl" 2> "$RES/key_alone/pixpipe_$task.err" \
        || echo "!! pixpipe_$task (key alone) failed" >&2
    done
  fi
fi

# (d) the shared tables over everything, (e) the ratios
log "summarize.py"
"$PY" "$SB/summarize.py" "$RES" --key "$KEY" ${MAX_OTHERS:+--max-others "$MAX_OTHERS"} | tee "$RES/summary.md"
echo
"$PY" "$HERE/ratios.py" "$RES" | tee "$RES/ratios.md"
echo >&2; echo "results: $RES   encoded images: $OUT_IMAGES" >&2
