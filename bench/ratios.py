#!/usr/bin/env python3
"""Ratios of pixpipe to the shared benchmark's anchors (stdlib only).

    python3 bench/ratios.py RESULTS_DIR [--ref sharp_1t] [--seed-ref seed_pillow]

Reads RESULTS_DIR/summary.json, written by the shared summarize.py, and prints
two Markdown tables:

1. standard task, pixpipe_standard against --ref (default sharp_1t), with a
   ratio column per other standard anchor present: pixpipe / anchor, so
   below 1 means pixpipe used less (time, memory, bytes).
2. seed task, speed-up of pixpipe_seed over --seed-ref (default seed_pillow):
   anchor / pixpipe, so above 1 means pixpipe is faster.

Times are the per-image medians of the quiet samples (summarize.py's table 1),
taken over the files that BOTH sides processed without error, so an image one
side fails on does not skew the other's median or sum. Peak RSS is the whole
corpus process peak (max over rounds) and that of a fresh process doing only the
key image. Output bytes are summed per variant over the common files; "dims
differ" counts the files whose variant dimensions are not the reference's.
"""
import argparse, json, os, statistics as st


def med(xs):
    xs = [x for x in xs if x is not None]
    return st.median(xs) if xs else None


def ratio(a, b):
    return a / b if a is not None and b else None


def f(x, nd=1):
    return "-" if x is None else f"{x:.{nd}f}" if isinstance(x, float) else str(x)


def mib(kb):
    return kb / 1024 if kb else None


def side(s, name, files):
    """Per-side numbers over `files` from summary.json's quiet per-image stats."""
    pim, row, key = s["per_image_quiet"][name], s["anchors"][name], s["key_file"]
    d = [pim[x] for x in files]
    k = pim.get(key) if key in files else None
    alone = row.get("key_alone") or {}
    variants = {}
    for x in files:
        for v, info in (pim[x].get("variants") or {}).items():
            variants.setdefault(v, {})[x] = info
    return {
        "key_cpu": k and k["cpu_ms"], "key_ms": k and k["ms"],
        "med_cpu": med([e["cpu_ms"] for e in d]), "med_ms": med([e["ms"] for e in d]),
        "sum_ms": sum(e["ms"] for e in d), "sum_cpu": sum(e["cpu_ms"] or 0 for e in d),
        "peak": mib(row.get("peak_rss_kb")), "alone_peak": mib(alone.get("peak_rss_kb")),
        "key_hwm": mib(k and k.get("rss_hwm_kb")),
        "out": sum(e["out_bytes"] for e in d), "variants": variants,
        "samples": f"{row['quiet_samples']}/{row['all_samples']}",
        "nice": row["quiet"]["mean_others_nice_pct"], "errors": row["errors"],
    }


def common(s, names):
    sets = [set(s["per_image_quiet"][n]) for n in names]
    return sorted(set.intersection(*sets)) if sets else []


TIME_ROWS = [("key image CPU ms", "key_cpu"), ("key image wall ms", "key_ms"),
             ("corpus median CPU ms", "med_cpu"), ("corpus median wall ms", "med_ms"),
             ("corpus sum CPU ms (one pass)", "sum_cpu"), ("corpus sum wall ms (one pass)", "sum_ms")]
MEM_ROWS = [("peak RSS MiB, corpus process", "peak"), ("peak RSS MiB, key image alone", "alone_peak"),
            ("RSS high-water MiB during the key image", "key_hwm")]


def standard(s, me, ref, others):
    files = common(s, [me, ref] + others)
    p = side(s, me, files)
    r = side(s, ref, files)
    o = {n: side(s, n, files) for n in others}
    names = [ref] + others
    print(f"Standard task: {me.split('/')[0]} / anchor (below 1 = pixpipe uses less), "
          f"over the {len(files)} files all of them processed; key image {s['key_file']}.\n")
    print(f"| metric | pixpipe | {ref.split('/')[0]} | " + " | ".join(f"pixpipe / {n.split('/')[0]}" for n in names) + " |")
    print("|---|---|---|" + "---|" * len(names))
    for label, k in TIME_ROWS + MEM_ROWS:
        cells = [f(ratio(p[k], x[k]), 2) for x in [r] + [o[n] for n in others]]
        print(f"| {label} | {f(p[k])} | {f(r[k])} | " + " | ".join(cells) + " |")
    order = ["thumb", "medium", "large"]
    for v in sorted(set(p["variants"]) | set(r["variants"]), key=lambda v: (order.index(v) if v in order else 9, v)):
        pv, rv = p["variants"].get(v, {}), r["variants"].get(v, {})
        pb = sum(e["bytes"] for e in pv.values())
        rb = sum(e["bytes"] for e in rv.values())
        cells = [f(ratio(pb, rb), 3)]
        for n in others:
            ob = sum(e["bytes"] for e in o[n]["variants"].get(v, {}).values())
            cells.append(f(ratio(pb, ob), 3))
        diff = sum(1 for x in files if (pv.get(x, {}).get("w"), pv.get(x, {}).get("h"))
                   != (rv.get(x, {}).get("w"), rv.get(x, {}).get("h")))
        print(f"| output bytes, {v} (dims differ from {ref.split('/')[0]}: {diff} files) | {pb} | {rb} | "
              + " | ".join(cells) + " |")
    cells = [f(ratio(p["out"], x["out"]), 3) for x in [r] + [o[n] for n in others]]
    print(f"| output bytes, all variants | {p['out']} | {r['out']} | " + " | ".join(cells) + " |")
    print(f"\nQuiet/all samples: pixpipe {p['samples']}, {ref.split('/')[0]} {r['samples']}; "
          f"mean niced-jobs % during samples: pixpipe {f(p['nice'], 0)}, {ref.split('/')[0]} {f(r['nice'], 0)}.")
    return p


def seed(s, me, ref):
    files = common(s, [me, ref])
    p, r = side(s, me, files), side(s, ref, files)
    print(f"\nSeed task: speed-up of {me.split('/')[0]} over {ref.split('/')[0]} = anchor / pixpipe "
          f"(above 1 = pixpipe faster), over the {len(files)} files both processed.\n")
    print(f"| metric | pixpipe | {ref.split('/')[0]} | {ref.split('/')[0]} / pixpipe (speed-up for times) |")
    print("|---|---|---|---|")
    for label, k in TIME_ROWS:
        print(f"| {label} | {f(p[k])} | {f(r[k])} | {f(ratio(r[k], p[k]), 2)} |")
    for label, k in MEM_ROWS:
        print(f"| {label} | {f(p[k])} | {f(r[k])} | {f(ratio(r[k], p[k]), 2)} |")
    print(f"| output bytes (pixpipe / anchor) | {p['out']} | {r['out']} | {f(ratio(p['out'], r['out']), 3)} |")
    for f_, e in r["errors"].items():
        print(f"\n- {ref.split('/')[0]} failed on {f_}: {e}")
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results_dir")
    ap.add_argument("--ref", default="sharp_1t")
    ap.add_argument("--seed-ref", default="seed_pillow")
    ap.add_argument("--me", default="pixpipe")
    a = ap.parse_args()
    s = json.load(open(os.path.join(a.results_dir, "summary.json")))
    rows = s["anchors"]
    std_me, seed_me = f"{a.me}_standard/standard", f"{a.me}_seed/seed"
    ref, seed_ref = f"{a.ref}/standard", f"{a.seed_ref}/seed"
    if std_me in rows and ref in rows:
        others = [n for n in rows if n.endswith("/standard") and n not in (std_me, ref)]
        standard(s, std_me, ref, others)
    else:
        print(f"(no standard table: need {std_me} and {ref} in summary.json)")
    if seed_me in rows and seed_ref in rows:
        seed(s, seed_me, seed_ref)
    else:
        print(f"\n(no seed table: need {seed_me} and {seed_ref} in summary.json)")
    for n in [std_me, seed_me]:
        for f_, e in (rows.get(n) or {}).get("errors", {}).items():
            print(f"\n- pixpipe error: {n.split('/')[0]} on {f_}: {e}")
        v = (rows.get(n) or {}).get("versions")
        if v:
            print(f"\n{n.split('/')[0]}: {json.dumps(v)}; threads: {rows[n].get('threads')}")


if __name__ == "__main__":
    main()
