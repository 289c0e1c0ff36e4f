#!/usr/bin/env bash
# Job creation latency under load: starts `pixpipe serve` (local backend, no
# workers) on a fresh temporary data directory and a free loopback port, runs
# `pixpipe bench-create` against it, stops the server and removes the directory.
#
#   bash bench/create-latency.sh                       # 64 clients, 2000 jobs, 3 rounds
#   CLIENTS=16 JOBS=500 ROUNDS=1 bash bench/create-latency.sh
#   SERVER=/tmp/pixpipe-old BUILD=0 bash bench/create-latency.sh   # another build's server
#
# Knobs:
#   CLIENTS (64) JOBS (2000) WARMUP (200) ROUNDS (3: each on a new data directory)
#   BUILD   1 = cargo build --release -p pixpipe first (default)
#   PIXPIPE the client binary (default $CARGO_TARGET_DIR/release/pixpipe)
#   SERVER  the server binary (default: PIXPIPE)
#   TMPBASE where the data directories go (default /tmp; the disk under test)
#   JSON    1 = one JSON line per round instead of text
#   NICE    run server and client at this niceness (e.g. -10, as root: ahead of
#           builds sharing the machine; default: unchanged)
# Each round also prints (to stderr) the server's CPU time per request.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || (cd "$HERE/.." && pwd))
CLIENTS=${CLIENTS:-64}; JOBS=${JOBS:-2000}; WARMUP=${WARMUP:-200}; ROUNDS=${ROUNDS:-3}
BUILD=${BUILD:-1}; TMPBASE=${TMPBASE:-/tmp}; JSON=${JSON:-0}
PRIO=(); [ -n "${NICE:-}" ] && PRIO=(nice -n "$NICE")
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pixpipe/target}
PIXPIPE=${PIXPIPE:-$CARGO_TARGET_DIR/release/pixpipe}
if [ "$BUILD" = 1 ]; then
  echo "== cargo build --release -p pixpipe" >&2
  (cd "$REPO" && cargo build --release -p pixpipe)
fi
SERVER=${SERVER:-$PIXPIPE}
for bin in "$PIXPIPE" "$SERVER"; do
  [ -x "$bin" ] || { echo "no $bin (BUILD=1 builds it)" >&2; exit 1; }
done

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

DATA=""; PID=""
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  if [ -n "$DATA" ]; then rm -rf "$DATA"; fi
  PID=""; DATA=""
}
trap cleanup EXIT

echo "== server $SERVER ($("$SERVER" --version)); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for round in $(seq 1 "$ROUNDS"); do
  DATA=$(mktemp -d "$TMPBASE/pixpipe-create.XXXXXX")
  PORT=$(free_port)
  RUST_LOG=warn PIXPIPE_API_KEYS="" "${PRIO[@]}" "$SERVER" serve --addr "127.0.0.1:$PORT" \
    --data-dir "$DATA/data" --workers 0 > "$DATA/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/healthz" > /dev/null && break
    kill -0 "$PID" 2>/dev/null || { cat "$DATA/server.log" >&2; exit 1; }
    sleep 0.1
  done
  args=(bench-create --url "http://127.0.0.1:$PORT" --clients "$CLIENTS" --jobs "$JOBS" --warmup "$WARMUP")
  [ "$JSON" = 1 ] && args+=(--json)
  printf 'round %s: ' "$round"
  "${PRIO[@]}" "$PIXPIPE" "${args[@]}"
  # The server's CPU time (user + system) over the whole round, per request.
  read -r -a stat < "/proc/$PID/stat"
  ticks=$(( stat[13] + stat[14] )); hz=$(getconf CLK_TCK)
  awk -v t="$ticks" -v hz="$hz" -v n="$((JOBS + WARMUP))" \
    'BEGIN { printf "  server CPU %.0f ms in all, %.3f ms per request\n", 1000 * t / hz, 1000 * t / hz / n }' >&2
  cleanup
done
