#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Concurrent writers and readers on a pinfs mount, and the check of what
they left in PostgreSQL (tests/integration/cases/fault-*.sh). Stdlib only.

  load.py run --mnt DIR --tenant T --state FILE [--writers 6] [--readers 6]
              [--duration 12] [--pad 1500] [--stop-file F] [--allow EIO,...]
              [--slow-ms 10000]
  load.py check --state FILE --psql PSQL --host SOCK [--port P] --db DB
              [--mnt DIR] [--resume-after EPOCH]

The model. Writer w writes keys "w{w}-k{i}" (i = 0, 1, ...), each exactly
once, and after each of them overwrites "w{w}-cur" with the same sequence
number. Every value is one JSON object that names its writer, key kind and
sequence number, with a pad whose length and text depend on all three, so
that a mix of two values can never pass for either. close() is the commit
point: a write is "acknowledged" when open, every write and close
succeeded. A write that failed anywhere is "uncertain": a close() that
failed with EIO may have committed (the COMMIT can succeed while its reply
is lost), so afterwards such a key may hold exactly its value or be absent.

Readers read other writers' keys (open, read in 1 KiB pieces, close: each
piece is one FUSE READ, since pin files are direct_io, so a reader that
races an overwrite spans several requests) and classify every read:
  ok         all bytes parse as JSON and are a value that writer wrote
  torn       the bytes are not one JSON document
  wrong      JSON, but not a value ever written to that key
  vanished   ENOENT for a key whose write was acknowledged before the read
  pending_empty  no bytes at all from a key whose first write was not yet
             acknowledged: the creating uid sees its own uncommitted file
             (readers and writers are both root here) as empty
  error      a failed open/read (counted per errno; EIO is the outage)

"run" prints one JSON line of counts and saves every attempt to --state.
After SIGUSR1 (sent just before the case kills the daemon) failures are
counted apart, as "after_kill", and are not held against the mount.
"run" exits 0 if it finished (the case asserts on the counts), 3 if a
worker hung (an operation still blocked 2 x --slow-ms after the end).

"check" reads the tenant's rows with psql and prints one JSON line:
  acknowledged         acknowledged writes checked
  acknowledged_keys    keys whose value is known (an acknowledged "-k" key,
                       a "-cur" key holding its last acknowledged write)
  lost                 acknowledged, but the row is missing
  mismatched           a row holding a value other than the one written
  uncertain_committed  a failed write whose value is there anyway
  uncertain_absent     a failed write that left nothing
  phantom              rows for keys nobody attempted
  cur_bad              a "-cur" row that is not the last acknowledged
                       write or a later failed one
and, with --mnt, the same for reads through the mount (mount_lost,
mount_mismatched). Exit status 0 when lost, mismatched, phantom, cur_bad
(and the mount's) are all 0, else 1 (the first problems are printed).
"""
import argparse
import errno
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time


def ename(e):
    return errno.errorcode.get(e, "E#%d" % e)


def value_for(w, seq, kind, pad_base):
    """The value writer w writes as sequence seq of kind "k" or "cur"."""
    n = pad_base + (seq * 97 + w * 13) % max(pad_base, 1)
    unit = "%s%d.%d;" % (kind, w, seq)
    pad = (unit * (n // len(unit) + 1))[:n]
    return {"w": w, "seq": seq, "kind": kind, "pad": pad}


def encode(v):
    return (json.dumps(v, separators=(", ", ": ")) + "\n").encode()


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.c = {}
        self.max_ms = {}

    def add(self, name, n=1):
        with self.lock:
            self.c[name] = self.c.get(name, 0) + n

    def lat(self, what, ms):
        with self.lock:
            if ms > self.max_ms.get(what, 0):
                self.max_ms[what] = ms


class Load:
    def __init__(self, a):
        self.a = a
        self.dir = os.path.join(a.mnt, a.tenant)
        self.stop = threading.Event()
        self.killed_at = None
        self.allow = set(x for x in a.allow.split(",") if x)
        self.st = Stats()
        self.wlock = threading.Lock()
        # Per writer: k attempts [i, status, t_end], cur attempts the same;
        # acked k indexes (readers pick from them); last acked cur seq and
        # the cur seqs attempted so far.
        self.k = [[] for _ in range(a.writers)]
        self.cur = [[] for _ in range(a.writers)]
        self.k_acked = [[] for _ in range(a.writers)]
        self.cur_acked = [-1] * a.writers
        self.cur_tried = [set() for _ in range(a.writers)]
        self.k_next = [0] * a.writers
        self.problems = []
        self.threads_started = time.time()

    def after_kill(self):
        return self.killed_at is not None

    def problem(self, text):
        with self.wlock:
            if len(self.problems) < 20:
                self.problems.append(text)

    # ---- writing -----------------------------------------------------------

    def write_pin(self, path, data):
        """(None, None) when acknowledged, else (step, errno name)."""
        t0 = time.monotonic()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except OSError as e:
            return "open", ename(e.errno), t0
        step = None
        err = None
        off = 0
        try:
            while off < len(data):
                off += os.write(fd, data[off:])
        except OSError as e:
            step, err = "write", ename(e.errno)
        try:
            os.close(fd)
        except OSError as e:
            if step is None:
                step, err = "close", ename(e.errno)
        return step, err, t0

    def record_write(self, w, kind, seq, step, err, t0):
        ms = (time.monotonic() - t0) * 1000.0
        self.st.lat("write", ms)
        if ms > self.a.slow_ms:
            self.st.add("slow_ops")
            self.problem("writer %d %s %d took %.0f ms" % (w, kind, seq, ms))
        now = time.time()
        if step is None:
            status = "ack"
            self.st.add("acknowledged")
        else:
            status = "fail:%s:%s" % (step, err)
            if self.after_kill():
                self.st.add("failed_after_kill")
                self.st.add("failed_after_kill_" + err)
            elif err == "EIO":
                self.st.add("failed_eio")
                self.st.add("failed_eio_at_" + step)
            else:
                self.st.add("failed_other")
                self.st.add("failed_other_" + err)
                if err not in self.allow:
                    self.problem("writer %d %s %d: %s failed with %s" % (w, kind, seq, step, err))
        with self.wlock:
            if kind == "k":
                self.k[w].append([seq, status, round(now, 3)])
                if status == "ack":
                    self.k_acked[w].append(seq)
            else:
                self.cur[w].append([seq, status, round(now, 3)])
                self.cur_tried[w].add(seq)
                if status == "ack":
                    self.cur_acked[w] = seq

    def writer(self, w):
        pad = self.a.pad
        seq = 0
        while not self.stop.is_set():
            with self.wlock:
                self.k_next[w] = seq
            path = os.path.join(self.dir, "w%d-k%d" % (w, seq))
            step, err, t0 = self.write_pin(path, encode(value_for(w, seq, "k", pad)))
            self.record_write(w, "k", seq, step, err, t0)
            if self.stop.is_set():
                break
            with self.wlock:
                self.cur_tried[w].add(seq)  # a reader may see it before close returns
            path = os.path.join(self.dir, "w%d-cur" % w)
            step, err, t0 = self.write_pin(path, encode(value_for(w, seq, "cur", pad)))
            self.record_write(w, "cur", seq, step, err, t0)
            if step is not None and not self.after_kill():
                time.sleep(0.02)  # an outage: do not spin
            seq += 1

    # ---- reading -----------------------------------------------------------

    def read_pin(self, path):
        """(bytes, None, None) or (partial bytes, step, errno name)."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as e:
            return b"", "open", ename(e.errno)
        out = []
        step = err = None
        try:
            while True:
                b = os.read(fd, 1024)
                if not b:
                    break
                out.append(b)
        except OSError as e:
            step, err = "read", ename(e.errno)
        try:
            os.close(fd)
        except OSError as e:
            if step is None:
                step, err = "close", ename(e.errno)
        return b"".join(out), step, err

    def reader(self, r):
        rnd = random.Random(r * 7919 + int(time.time()))
        pad = self.a.pad
        nw = self.a.writers
        while not self.stop.is_set():
            w = (r + 1 + rnd.randrange(max(nw - 1, 1))) % nw if nw > 1 else 0
            x = rnd.random()
            with self.wlock:
                acked = list(self.k_acked[w][-200:]) if self.k_acked[w] else []
                cur_acked = self.cur_acked[w]
                nxt = self.k_next[w]
            if x < 0.45:
                kind, seq, must_exist = "cur", None, cur_acked >= 0
                name = "w%d-cur" % w
            elif x < 0.9 and acked:
                kind, seq, must_exist = "k", rnd.choice(acked), True
                name = "w%d-k%d" % (w, seq)
            else:
                kind, seq, must_exist = "k", nxt + rnd.randrange(2), False
                name = "w%d-k%d" % (w, seq)
            t0 = time.monotonic()
            data, step, err = self.read_pin(os.path.join(self.dir, name))
            ms = (time.monotonic() - t0) * 1000.0
            self.st.lat("read", ms)
            if ms > self.a.slow_ms:
                self.st.add("slow_ops")
                self.problem("reader %d %s took %.0f ms" % (r, name, ms))
            if step is not None:
                if self.after_kill():
                    self.st.add("read_errors_after_kill")
                elif err == "ENOENT" and step == "open":
                    if must_exist:
                        self.st.add("vanished")
                        self.problem("reader %d: %s is ENOENT after its write was acknowledged" % (r, name))
                    else:
                        self.st.add("reads_enoent")
                else:
                    self.st.add("read_errors")
                    self.st.add("read_error_" + err)
                    if data:
                        self.st.add("read_errors_midway")
                    if err not in self.allow:
                        self.problem("reader %d: %s %s failed with %s" % (r, name, step, err))
                if not self.after_kill():
                    time.sleep(0.01)
                continue
            if not data and not must_exist:
                # Another writer's creation in progress: pinfs shows the
                # creating uid (root here, as for the readers) its pending,
                # uncommitted file as empty. Counted apart; never for a key
                # that was acknowledged before the read.
                self.st.add("reads_pending_empty")
                continue
            try:
                v = json.loads(data.decode("utf-8"))
            except ValueError:
                self.st.add("torn")
                self.problem("reader %d: %s is not one JSON document: %r" % (r, name, data[:200]))
                continue
            good = isinstance(v, dict) and v.get("w") == w and v.get("kind") == kind
            if good and kind == "cur":
                s = v.get("seq")
                with self.wlock:
                    tried = s in self.cur_tried[w]
                good = tried and isinstance(s, int) and v == value_for(w, s, "cur", pad)
            elif good:
                good = v == value_for(w, seq, "k", pad)
            if good:
                self.st.add("reads_ok")
            else:
                self.st.add("wrong")
                self.problem("reader %d: %s holds a value never written there: %r" % (r, name, data[:200]))

    # ---- driver --------------------------------------------------------------

    def run(self):
        a = self.a
        signal.signal(signal.SIGUSR1, lambda *_: setattr(self, "killed_at", time.time()))
        signal.signal(signal.SIGTERM, lambda *_: self.stop.set())
        threads = [threading.Thread(target=self.writer, args=(w,), daemon=True) for w in range(a.writers)]
        threads += [threading.Thread(target=self.reader, args=(r,), daemon=True) for r in range(a.readers)]
        t_start = time.time()
        for t in threads:
            t.start()
        end = time.monotonic() + a.duration
        while time.monotonic() < end and not self.stop.is_set():
            if a.stop_file and os.path.exists(a.stop_file):
                break
            time.sleep(0.05)
        self.stop.set()
        t_stop = time.time()
        hung = 0
        deadline = time.monotonic() + 2 * a.slow_ms / 1000.0
        for t in threads:
            t.join(max(deadline - time.monotonic(), 0.1))
            if t.is_alive():
                hung += 1
        st = self.st
        with st.lock, self.wlock:
            c = dict(st.c)
            summary = {
                "writers": a.writers,
                "readers": a.readers,
                "seconds": round(t_stop - t_start, 1),
                "writes_attempted": sum(len(x) for x in self.k) + sum(len(x) for x in self.cur),
                "acknowledged": c.get("acknowledged", 0),
                "failed_eio": c.get("failed_eio", 0),
                "failed_other": c.get("failed_other", 0),
                "failed_after_kill": c.get("failed_after_kill", 0),
                "reads_ok": c.get("reads_ok", 0),
                "reads_enoent": c.get("reads_enoent", 0),
                "reads_pending_empty": c.get("reads_pending_empty", 0),
                "read_errors": c.get("read_errors", 0),
                "torn": c.get("torn", 0),
                "wrong": c.get("wrong", 0),
                "vanished": c.get("vanished", 0),
                "slow_ops": c.get("slow_ops", 0),
                "hung_workers": hung,
                "max_write_ms": round(st.max_ms.get("write", 0)),
                "max_read_ms": round(st.max_ms.get("read", 0)),
                "detail": {k: v for k, v in sorted(c.items()) if "_" in k},
            }
            state = {
                "tenant": a.tenant,
                "pad": a.pad,
                "writers": a.writers,
                "killed_at": self.killed_at,
                "k": self.k,
                "cur": self.cur,
                "summary": summary,
                "problems": self.problems,
            }
        with open(a.state + ".tmp", "w", encoding="utf-8") as f:
            json.dump(state, f)
        os.replace(a.state + ".tmp", a.state)
        print(json.dumps(summary, sort_keys=True))
        for p in self.problems:
            print("problem: " + p)
        sys.stdout.flush()
        if hung:
            print("load.py: %d worker(s) still blocked %.0f s after the end" % (hung, 2 * a.slow_ms / 1000.0))
            sys.stdout.flush()
            os._exit(3)
        return 0


# ---- check ------------------------------------------------------------------


def db_rows(a, tenant):
    sql = ("SELECT key || E'\\t' || value::text FROM system.memory_pins WHERE tenant_id = '%s'"
           % tenant.replace("'", "''"))
    cmd = [a.psql, "-XAtq", "-v", "ON_ERROR_STOP=1", "-h", a.host, "-d", a.db, "-c", sql]
    if a.port:
        cmd[1:1] = ["-p", str(a.port)]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE).stdout.decode("utf-8")
    rows = {}
    for line in out.splitlines():
        key, _, text = line.partition("\t")
        rows[key] = json.loads(text)
    return rows


def check(a):
    with open(a.state, encoding="utf-8") as f:
        s = json.load(f)
    pad, tenant = s["pad"], s["tenant"]
    rows = db_rows(a, tenant)
    c = {x: 0 for x in ("acknowledged", "lost", "mismatched", "uncertain_committed",
                        "uncertain_absent", "phantom", "cur_bad", "mount_checked",
                        "mount_lost", "mount_mismatched")}
    problems = []
    expected = {}  # key -> value that must be there (acknowledged)

    def problem(t):
        if len(problems) < 20:
            problems.append(t)

    seen = set()
    for w, attempts in enumerate(s["k"]):
        for seq, status, _t in attempts:
            key = "w%d-k%d" % (w, seq)
            seen.add(key)
            want = value_for(w, seq, "k", pad)
            got = rows.get(key)
            if status == "ack":
                c["acknowledged"] += 1
                expected[key] = want
                if got is None:
                    c["lost"] += 1
                    problem("lost: %s (acknowledged) has no row" % key)
                elif got != want:
                    c["mismatched"] += 1
                    problem("mismatched: %s holds %r" % (key, json.dumps(got)[:200]))
            elif got is None:
                c["uncertain_absent"] += 1
            elif got == want:
                c["uncertain_committed"] += 1
            else:
                c["mismatched"] += 1
                problem("mismatched: %s (write failed: %s) holds %r" % (key, status, json.dumps(got)[:200]))
    for w, attempts in enumerate(s["cur"]):
        key = "w%d-cur" % w
        seen.add(key)
        acked = [seq for seq, st, _t in attempts if st == "ack"]
        c["acknowledged"] += len(acked)
        last = acked[-1] if acked else None
        later_failed = {seq for seq, st, _t in attempts if st != "ack" and (last is None or seq > last)}
        got = rows.get(key)
        if got is None:
            if last is not None:
                c["lost"] += 1
                c["cur_bad"] += 1
                problem("lost: %s has no row; last acknowledged seq %d" % (key, last))
            continue
        gs = got.get("seq") if isinstance(got, dict) else None
        ok = isinstance(gs, int) and got == value_for(w, gs, "cur", pad) and (gs == last or gs in later_failed)
        if not ok:
            c["cur_bad"] += 1
            problem("%s holds seq %r; last acknowledged %r, later failed %s"
                    % (key, gs, last, sorted(later_failed)[:10]))
        elif gs == last:
            expected[key] = got
    for key in rows:
        if key not in seen:
            c["phantom"] += 1
            problem("phantom: a row for %s, which nobody wrote" % key)
    c["acknowledged_keys"] = len(expected)
    if a.mnt:
        for key, want in sorted(expected.items()):
            c["mount_checked"] += 1
            try:
                with open(os.path.join(a.mnt, tenant, key), "rb") as f:
                    got = json.loads(f.read().decode("utf-8"))
            except FileNotFoundError:
                c["mount_lost"] += 1
                problem("mount: %s is ENOENT" % key)
                continue
            except (OSError, ValueError) as e:
                c["mount_mismatched"] += 1
                problem("mount: %s: %s" % (key, e))
                continue
            if got != want:
                c["mount_mismatched"] += 1
                problem("mount: %s holds %r" % (key, json.dumps(got)[:200]))
    if a.resume_after is not None:
        # Acknowledged writes that started after the given moment: when the
        # first one came back, and how many each writer got.
        t = float(a.resume_after)
        per = []
        first = None
        for w in range(s["writers"]):
            n = 0
            for seq, st, te in s["k"][w] + s["cur"][w]:
                if st == "ack" and te > t:
                    n += 1
                    first = te if first is None or te < first else first
            per.append(n)
        c["acks_after"] = per
        c["first_ack_after_ms"] = None if first is None else round((first - t) * 1000)
    c["rows"] = len(rows)
    print(json.dumps(c, sort_keys=True))
    for p in problems:
        print("problem: " + p)
    bad = c["lost"] + c["mismatched"] + c["phantom"] + c["cur_bad"] + c["mount_lost"] + c["mount_mismatched"]
    return 1 if bad else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--mnt", required=True)
    r.add_argument("--tenant", required=True)
    r.add_argument("--state", required=True)
    r.add_argument("--writers", type=int, default=6)
    r.add_argument("--readers", type=int, default=6)
    r.add_argument("--duration", type=float, default=12)
    r.add_argument("--pad", type=int, default=1500)
    r.add_argument("--stop-file")
    r.add_argument("--allow", default="EIO", help="errnos a failed operation may report")
    r.add_argument("--slow-ms", type=float, default=10000)
    k = sub.add_parser("check")
    k.add_argument("--state", required=True)
    k.add_argument("--psql", required=True)
    k.add_argument("--host", required=True)
    k.add_argument("--port")
    k.add_argument("--db", required=True)
    k.add_argument("--mnt")
    k.add_argument("--resume-after")
    a = p.parse_args()
    if a.cmd == "run":
        return Load(a).run()
    return check(a)


if __name__ == "__main__":
    sys.exit(main())
