#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Resource-limit probes for tests/integration/cases/fault-*.sh (stdlib).
Each prints one JSON line of what happened; errnos are given by name.

  limits.py open-files DIR MAX PROBE
      DIR holds keys k0..k{MAX+3}. Opens MAX of them for reading and keeps
      them open; then tries a (MAX+1)th open for reading, a create of a new
      key, and an open from another process (PROBE open-r), all while the
      MAX are open; reads one of the held files through; closes one and
      opens again; closes everything; fails 50 more opens past the limit
      and checks that MAX can be opened again afterwards (no slot leaks).

  limits.py staged DIR KIB
      Writer A stages KIB KiB (an unfinished JSON string) on DIR/big-a and
      keeps it open; writer B tries to stage as much on DIR/big-b: the
      write that passes max_staged_bytes must fail (ENOMEM), a later write
      and B's close too. Then A finishes its value and closes (committed).
      Then 5 writers in turn each stage 900 KiB and commit (what A and B
      held was given back).

  limits.py hold KIND PATH N RELEASE [KIB]
      Takes N of one resource and holds it until the file RELEASE exists,
      then lets go. KIND open: opens PATH0..PATH{N-1} (existing pins) for
      reading; create: creates them (open, nothing written: pending names);
      stage: creates them and writes '"' and KIB KiB of an unfinished JSON
      string to each (staged bytes); sysopen: opens the file PATH (under
      /.system) N times. Prints one JSON line when all N were tried (how
      many are held, the errno names of the others and where the first
      refusal came), a second one after letting go (close results).

  limits.py scratch DIR N
      Creates N scratch files the way Python's tempfile.mkstemp does
      (DIR/tmpXXXXXXXX), writes {} to each and closes it without renaming
      it (a writer that gave up): pending names nobody holds open. Prints
      how many were created, the errno names of the failures, and the
      first and last names created.

  limits.py write PATH KIB
      Writes a JSON string of KIB KiB to PATH (O_TRUNC) in 64 KiB writes
      and closes it; prints "write=E close=E" (E: OK or an errno name).

  limits.py flood DIR WRITERS MIB
      WRITERS threads each open DIR/flood-I and write 1 MiB pieces of an
      unfinished JSON string until a write fails or MIB MiB are written,
      wait for each other, then close. One more open is tried while all
      are open. Reports every thread's bytes and errors.
"""
import errno
import json
import os
import subprocess
import sys
import tempfile
import threading
import time


def ename(e):
    return errno.errorcode.get(e, "E#%d" % e)


def try_open(path, flags=os.O_RDONLY):
    try:
        return os.open(path, flags, 0o644), "OK"
    except OSError as e:
        return None, ename(e.errno)


def open_files(d, n, probe):
    out = {}
    held = []
    errs = []
    for i in range(n):
        fd, r = try_open(os.path.join(d, "k%d" % i))
        if fd is None:
            errs.append("k%d:%s" % (i, r))
        else:
            held.append(fd)
    out["opened"] = len(held)
    out["open_errors"] = errs
    fd, out["one_more_read"] = try_open(os.path.join(d, "k%d" % n))
    if fd is not None:
        held.append(fd)
    fd, out["one_more_create"] = try_open(os.path.join(d, "new-while-full"),
                                          os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    if fd is not None:
        held.append(fd)
    # Another process (its fds of ours are closed at exec: O_CLOEXEC).
    out["other_process"] = subprocess.run([probe, "open-r", os.path.join(d, "k%d" % (n + 1))],
                                          stdout=subprocess.PIPE, check=False).stdout.decode().strip()
    # The held handles still work.
    data = b""
    try:
        os.lseek(held[0], 0, os.SEEK_SET)
        while True:
            b = os.read(held[0], 65536)
            if not b:
                break
            data += b
        json.loads(data.decode())
        out["held_read"] = "OK"
    except (OSError, ValueError) as e:
        out["held_read"] = str(e)
    os.close(held.pop())
    fd, out["after_closing_one"] = try_open(os.path.join(d, "k%d" % (n + 2)))
    if fd is not None:
        held.append(fd)
    fd, out["full_again"] = try_open(os.path.join(d, "k%d" % (n + 3)))
    if fd is not None:
        held.append(fd)
    for fd in held:
        os.close(fd)
    held = []
    # Failed opens past the limit must not use up slots.
    for i in range(n):
        fd, r = try_open(os.path.join(d, "k%d" % i))
        if fd is not None:
            held.append(fd)
    refused = {}
    for _ in range(50):
        fd, r = try_open(os.path.join(d, "k%d" % n))
        if fd is not None:
            held.append(fd)
        refused[r] = refused.get(r, 0) + 1
    out["refused_50"] = refused
    for fd in held:
        os.close(fd)
    held = []
    for i in range(n):
        fd, r = try_open(os.path.join(d, "k%d" % i))
        if fd is not None:
            held.append(fd)
    out["reopened_after"] = len(held)
    for fd in held:
        os.close(fd)
    print(json.dumps(out, sort_keys=True))


def write_all(fd, data, piece=65536):
    """Bytes written before the first error, and that error's name (or None)."""
    off = 0
    try:
        while off < len(data):
            off += os.write(fd, data[off:off + piece])
    except OSError as e:
        return off, ename(e.errno)
    return off, None


def close_err(fd):
    try:
        os.close(fd)
        return "OK"
    except OSError as e:
        return ename(e.errno)


def staged(d, kib):
    out = {}
    a = os.open(os.path.join(d, "big-a"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    out["a_staged"], out["a_error"] = write_all(a, b'"' + b"a" * (kib * 1024))
    b = os.open(os.path.join(d, "big-b"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    out["b_staged"], out["b_error"] = write_all(b, b'"' + b"b" * (kib * 1024))
    out["b_again"] = write_all(b, b"b" * 4096)[1]
    out["b_close"] = close_err(b)
    out["a_finish"] = write_all(a, b'"\n')[1]
    out["a_close"] = close_err(a)
    rounds = []
    for i in range(5):
        fd = os.open(os.path.join(d, "big-c%d" % i), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        n, err = write_all(fd, b'"' + b"c" * (900 * 1024) + b'"\n')
        rounds.append("%s/%s" % (err or "OK", close_err(fd)))
    out["then_900k_each"] = rounds
    # A close that commits gives the bytes back even while a dup of the
    # descriptor keeps the open file (and so the kernel's RELEASE) waiting.
    fd = os.open(os.path.join(d, "big-d0"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    held = os.dup(fd)
    n, err = write_all(fd, b'"' + b"d" * (900 * 1024) + b'"\n')
    first = "%s/%s" % (err or "OK", close_err(fd))
    fd = os.open(os.path.join(d, "big-d1"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    n, err = write_all(fd, b'"' + b"e" * (900 * 1024) + b'"\n')
    out["while_dup_held"] = [first, "%s/%s" % (err or "OK", close_err(fd))]
    # The held descriptor writes again: it starts from the committed value.
    os.lseek(held, 0, os.SEEK_SET)
    n, err = write_all(held, b'"' + b"D" * (900 * 1024) + b'"\n')
    out["dup_rewrite"] = "%s/%s" % (err or "OK", close_err(held))
    print(json.dumps(out, sort_keys=True))


def flood(d, writers, mib):
    results = [None] * writers
    opened = threading.Barrier(writers + 1)
    written = threading.Barrier(writers + 1)

    def run(i):
        fd = os.open(os.path.join(d, "flood-%d" % i), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        opened.wait()
        piece = b"x" * (1 << 20)
        n, err = write_all(fd, b'"', 1)
        for _ in range(mib):
            if err:
                break
            k, err = write_all(fd, piece, 1 << 20)
            n += k
        written.wait()
        results[i] = {"bytes": n, "write_error": err, "close": close_err(fd)}

    threads = [threading.Thread(target=run, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    opened.wait()
    fd, one_more = try_open(os.path.join(d, "flood-extra"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    if fd is not None:
        close_err(fd)
    written.wait()
    for t in threads:
        t.join()
    out = {
        "one_more_open": one_more,
        "max_bytes_one_writer": max(r["bytes"] for r in results),
        "total_bytes_accepted": sum(r["bytes"] for r in results),
        "write_errors": sorted({r["write_error"] or "none" for r in results}),
        "close_results": sorted({r["close"] for r in results}),
        "writers": results,
    }
    print(json.dumps(out, sort_keys=True))


def count(d, name):
    d[name] = d.get(name, 0) + 1


def hold(kind, path, n, release, kib):
    held, errors, first_error = [], {}, None
    staged = 0
    for i in range(n):
        try:
            if kind == "open":
                fd = os.open("%s%d" % (path, i), os.O_RDONLY)
            elif kind == "sysopen":
                fd = os.open(path, os.O_RDONLY)
            else:
                fd = os.open("%s%d" % (path, i), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except OSError as e:
            count(errors, ename(e.errno))
            if first_error is None:
                first_error = i
            continue
        held.append(fd)
        if kind == "stage":
            k, err = write_all(fd, b'"' + b"s" * (kib * 1024))
            staged += k
            if err:
                count(errors, "write:" + err)
                if first_error is None:
                    first_error = i
    print(json.dumps({"held": len(held), "errors": errors, "first_error_at": first_error,
                      "staged": staged}, sort_keys=True), flush=True)
    while not os.path.exists(release):
        time.sleep(0.05)
    closes = {}
    for fd in held:
        count(closes, close_err(fd))
    print(json.dumps({"closed": closes}, sort_keys=True), flush=True)


def scratch(d, n):
    created, errors, first, last = 0, {}, None, None
    for _ in range(n):
        try:
            fd, name = tempfile.mkstemp(dir=d, prefix="tmp")
        except OSError as e:
            count(errors, ename(e.errno))
            continue
        try:
            os.write(fd, b"{}")
            os.close(fd)
        except OSError as e:
            count(errors, "close:" + ename(e.errno))
            continue
        created += 1
        first = first or os.path.basename(name)
        last = os.path.basename(name)
    print(json.dumps({"created": created, "errors": errors, "first": first, "last": last},
                     sort_keys=True), flush=True)


def write_value(path, kib):
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except OSError as e:
        print("open=" + ename(e.errno))
        return
    err = write_all(fd, b'"' + b"w" * (kib * 1024) + b'"\n')[1]
    print("write=%s close=%s" % (err or "OK", close_err(fd)))


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "open-files" and len(sys.argv) == 5:
        open_files(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif cmd == "staged" and len(sys.argv) == 4:
        staged(sys.argv[2], int(sys.argv[3]))
    elif cmd == "hold" and len(sys.argv) in (6, 7):
        hold(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5],
             int(sys.argv[6]) if len(sys.argv) == 7 else 0)
    elif cmd == "scratch" and len(sys.argv) == 4:
        scratch(sys.argv[2], int(sys.argv[3]))
    elif cmd == "write" and len(sys.argv) == 4:
        write_value(sys.argv[2], int(sys.argv[3]))
    elif cmd == "flood" and len(sys.argv) == 5:
        flood(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
