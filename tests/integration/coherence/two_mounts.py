#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes through mount A and reads through mount B of the same database.

usage: two_mounts.py DIR_A DIR_B CHANGES [--kill-at N --kill-cmd CMD]

For each change i, A writes a value of varying size (and every 50th change
deletes the key first, then recreates it); B re-reads until it shows value
i. Checks: every read through B is one whole JSON document that some write
produced (no torn read), B never shows a value older than one it already
showed (no stale value once the new one was seen), and each change appears
through B within the deadline. With --kill-at, CMD runs before change N
(e.g. pg_terminate_backend of every pinfs connection): B must drop what it
cached and still never serve a stale value. Prints a JSON summary; exits 1
on any violation.
"""
import json
import os
import subprocess
import sys
import time

DEADLINE_S = 3.0


def write(path, value):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)   # the commit: raises if it failed


def read(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        chunks = []
        while True:
            b = os.read(fd, 65536)
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks).decode()
    finally:
        os.close(fd)


def main():
    a, b, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    kill_at, kill_cmd = -1, None
    if "--kill-at" in sys.argv:
        kill_at = int(sys.argv[sys.argv.index("--kill-at") + 1])
        kill_cmd = sys.argv[sys.argv.index("--kill-cmd") + 1]
    key = "coh"
    stats = {"changes": 0, "reads": 0, "torn": 0, "stale": 0, "late": 0, "deletes": 0,
             "max_ms": 0.0}
    seen = -1
    lat = []
    for i in range(n):
        if i == kill_at:
            subprocess.run(kill_cmd, shell=True, check=True)
            stats["killed_at"] = i
        if i % 50 == 49:
            os.unlink(os.path.join(a, key))
            stats["deletes"] += 1
        # Sizes vary so a stale size would tear the read.
        value = json.dumps({"i": i, "pad": "x" * ((i * 37) % 700)})
        write(os.path.join(a, key), value)
        t0 = time.monotonic()
        while True:
            text = read(os.path.join(b, key))
            stats["reads"] += 1
            if text is not None:
                try:
                    got = json.loads(text)["i"]
                except (ValueError, KeyError, TypeError):
                    stats["torn"] += 1
                    print(f"torn read after change {i}: {text[:80]!r}", file=sys.stderr)
                    got = None
                if got is not None:
                    if got < seen:
                        stats["stale"] += 1
                        print(f"stale: showed {got} after {seen}", file=sys.stderr)
                    seen = max(seen, got)
                    if got == i:
                        break
            if time.monotonic() - t0 > DEADLINE_S:
                stats["late"] += 1
                print(f"change {i} not visible through B within {DEADLINE_S} s", file=sys.stderr)
                break
        ms = (time.monotonic() - t0) * 1000
        lat.append(ms)
        stats["changes"] += 1
    lat.sort()
    stats["max_ms"] = round(lat[-1], 2)
    stats["p99_ms"] = round(lat[int(len(lat) * 0.99) - 1], 2)
    print(json.dumps(stats))
    sys.exit(1 if stats["torn"] or stats["stale"] or stats["late"] else 0)


main()
