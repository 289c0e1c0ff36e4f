#!/usr/bin/env python3
"""Whole-process pairs: `pixpipe process` beside a reference decoder's own
command line, each run N times in a fresh process, CPU time (user + system,
all threads, from wait4's rusage) and peak RSS reported as medians.

    python3 bench/pairs.py [--reps 15] [--pixpipe PATH] [--heic FILE] JPEG

Pairs:
  seed      pixpipe process --preset seed JPEG   vs  djpeg -scale 1/8 JPEG
  standard  pixpipe process JPEG (standard job)  vs  djpeg JPEG (full size)
  heic      pixpipe process --preset seed HEIC   vs  heif-convert HEIC out.y4m
            (only with --heic; heif-convert writes the decoded YCbCr planes
            as Y4M, so its time is the decode with next to no output work)
The ratio column is pixpipe's median CPU over the reference's. Standard
library only; needs djpeg (libjpeg-turbo-progs) and, for --heic,
heif-convert (libheif-examples).
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile


def run(cmd, reps, warmup=2):
    """Median CPU ms and median peak RSS (KiB) of `cmd` over `reps` runs."""
    cpu, rss = [], []
    for i in range(reps + warmup):
        pid = os.fork()
        if pid == 0:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            os.execvp(cmd[0], cmd)
        _, status, usage = os.wait4(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"failed: {' '.join(cmd)}")
        if i >= warmup:
            cpu.append((usage.ru_utime + usage.ru_stime) * 1000)
            rss.append(usage.ru_maxrss)
    return statistics.median(cpu), statistics.median(rss)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("jpeg")
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--heic")
    default = os.path.expanduser("~/.cache/pixpipe/target/release/pixpipe")
    ap.add_argument("--pixpipe", default=os.environ.get("PIXPIPE", default))
    a = ap.parse_args()
    for tool in ["djpeg"] + (["heif-convert"] if a.heic else []):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing (Debian: libjpeg-turbo-progs / libheif-examples)")
    out = tempfile.mkdtemp(prefix="pixpipe-pairs-")
    pairs = [
        ("seed", [a.pixpipe, "process", "--preset", "seed", "--out", out, a.jpeg],
         ["djpeg", "-scale", "1/8", "-outfile", os.devnull, a.jpeg]),
        ("standard", [a.pixpipe, "process", "--out", out, a.jpeg],
         ["djpeg", "-outfile", os.devnull, a.jpeg]),
    ]
    if a.heic:
        pairs.append(("heic", [a.pixpipe, "process", "--preset", "seed", "--out", out, a.heic],
                      ["heif-convert", a.heic, os.path.join(out, "ref.y4m")]))
    print(f"{'pair':9} {'pixpipe ms':>10} {'ref ms':>8} {'ratio':>6} {'pixpipe RSS':>12} {'ref RSS':>9}")
    for name, ours, ref in pairs:
        (c1, r1), (c2, r2) = run(ours, a.reps), run(ref, a.reps)
        print(f"{name:9} {c1:10.1f} {c2:8.1f} {c1 / c2:6.2f} {r1 / 1024:9.1f} MiB {r2 / 1024:5.1f} MiB")
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
