#!/usr/bin/env python3
"""Resident memory of `pixpipe serve` around a burst of 12 MP jobs.

Starts the given binary on a temporary data dir (--workers 2), runs one job to
warm it up, then a burst of N jobs of the photo given (default: the shared
corpus's 12 MP phone photo), and prints VmRSS (MiB) before the burst, right
after its last job succeeded, the peak (VmHWM), and after 1, 5 and 30 s idle.
Standard library only.

    python3 bench/idle-memory.py BIN PHOTO.jpg [N]
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request


def status_mib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) // 1024
    raise RuntimeError(field)


def call(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=120) as res:
        return json.loads(res.read() or b"null")


def job(base, photo):
    created = call("POST", base + "/v1/jobs",
                   json.dumps({"content_type": "image/jpeg", "content_length": len(photo)}).encode(),
                   {"Content-Type": "application/json"})
    call("PUT", created["upload"]["url"], photo, created["upload"]["headers"])
    return created["id"]


def wait(base, ids):
    for id_ in ids:
        while True:
            doc = call("GET", f"{base}/v1/jobs/{id_}")
            if doc["status"] in ("succeeded", "failed", "expired"):
                assert doc["status"] == "succeeded", doc
                break
            time.sleep(0.05)


def main():
    binary, photo_path = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 6
    photo = open(photo_path, "rb").read()
    with tempfile.TemporaryDirectory() as data:
        proc = subprocess.Popen(
            [binary, "serve", "--addr", "127.0.0.1:0", "--data-dir", data, "--workers", "2"],
            stdout=subprocess.PIPE, stderr=open(os.environ.get("SERVE_LOG", os.devnull), "w"), text=True,
            env={"RUST_LOG": os.environ.get("RUST_LOG", "warn"), "PATH": "/usr/bin:/bin"})
        try:
            base = re.search(r"http://\S+", proc.stdout.readline()).group(0)
            wait(base, [job(base, photo)])
            time.sleep(3)
            row = {"jobs": n, "photo_bytes": len(photo), "before_mib": status_mib(proc.pid, "VmRSS:")}
            started = time.monotonic()
            wait(base, [job(base, photo) for _ in range(n)])
            row["burst_s"] = round(time.monotonic() - started, 2)
            row["after_burst_mib"] = status_mib(proc.pid, "VmRSS:")
            row["peak_mib"] = status_mib(proc.pid, "VmHWM:")
            idle_started = time.monotonic()
            for mark in (1, 5, 30):
                time.sleep(max(0.0, idle_started + mark - time.monotonic()))
                row[f"idle_{mark}s_mib"] = status_mib(proc.pid, "VmRSS:")
            print(json.dumps(row))
        finally:
            proc.terminate()
            proc.wait(timeout=60)


if __name__ == "__main__":
    main()
