#!/usr/bin/env bash
# Resident memory of `pixpipe serve` (release build) after a burst of 12 MP
# jobs on two workers, and after 1, 5 and 30 s idle: one JSON line.
#
#   bash bench/idle-memory.sh                 # builds first (BUILD=0 to skip)
#   JOBS=6 PHOTO=path/to/12mp.jpg bash bench/idle-memory.sh
#
# PHOTO defaults to the shared corpus's 12 MP phone photo; BIN to the release
# binary of this checkout (CARGO_TARGET_DIR, default ~/.cache/pixpipe/target,
# as bench/compare.sh).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/pixpipe/target}
BIN=${BIN:-$CARGO_TARGET_DIR/release/pixpipe}
PHOTO=${PHOTO:-$REPO/../shared/bench/corpus/phone12mp_Dragonfly_by_Bolly_crop4032x3024_q90.jpg}
if [ "${BUILD:-1}" = 1 ]; then
  (cd "$REPO" && cargo build --release -q -p pixpipe)
fi
exec python3 "$HERE/idle-memory.py" "$BIN" "$PHOTO" "${JOBS:-6}"
