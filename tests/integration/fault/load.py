#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Concurrent writers and readers on a pinfs mount, and the check of what
they left in PostgreSQL (tests/integration/cases/fault-*.sh). Stdlib only.

  load.py run --mnt DIR --tenant T --state FILE [--writers 6] [--readers 6]
              [--shared 0] [--duration 12] [--pad 1500] [--stop-file F]
              [--allow EIO,...] [--slow-ms 10000]
  load.py check --state FILE --psql PSQL --host SOCK [--port P] --db DB
              [--mnt DIR] [--resume-after EPOCH]
  load.py trace --state FILE --log PINFS_D_LOG [--window 150]

The model. Writer w writes keys "w{w}-k{i}" (i = 0, 1, ...), each exactly
once, and after each of them overwrites "w{w}-cur" with the same sequence
number. Every value is one JSON object that names its writer, key kind and
sequence number, with a pad whose length and text depend on all three, so
that a mix of two values can never pass for either. close() is the commit
point: a write is "acknowledged" when open, every write and close
succeeded. A write that failed anywhere is "uncertain": a close() that
failed with EIO may have committed (the COMMIT can succeed while its reply
is lost), so afterwards such a key may hold exactly its value or be absent.

With --shared N, every writer also writes the N keys "s0" ... "s{N-1}"
that all writers share (writer w's sequence seq goes to "s{seq % N}"), and
after every write of its own (k, cur or shared) it reads one shared key,
chosen at random, and judges it as a reader does: while the other writers
truncate and rewrite that key, a read must still return one whole value
that some writer wrote there, or fail with an errno.

Readers read other writers' keys (open, read in 1 KiB pieces, close: each
piece is one FUSE READ, since pin files are direct_io, so a reader that
races an overwrite spans several requests) and classify every read:
  ok         all bytes parse as JSON and are a value that writer wrote
  torn       the bytes are not one JSON document
  wrong      JSON, but not a value ever written to that key
  vanished   ENOENT for a key whose write was acknowledged before the read
  empty      no bytes at all, and no error: never right, since a pin holds
             one JSON value and a key nobody committed yet is ENOENT (not
             even for another process of the uid that is creating it)
  error      a failed open/read (counted per errno; EIO is the outage)
Every torn, wrong, vanished or empty read is recorded in --state's
"bad_reads" (time, thread id, key, length, first bytes, errno) together
with what an immediate second open+read of the same key by the same
thread returned, and printed as a "problem:" line.

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
  shared_bad           a shared key's row that no writer attempted, or no
                       row although a write to it was acknowledged
and, with --mnt, the same for reads through the mount (mount_lost,
mount_mismatched). Exit status 0 when lost, mismatched, phantom, cur_bad,
shared_bad (and the mount's) are all 0, else 1 (the first problems are printed).

"trace" prints, for every bad read in --state, the FUSE requests the kernel
sent for it (found in the daemon's "pinfs -d" log by the reading thread's
id, which the log shows as the request's pid) and every request on the same
node around it (the writers' OPEN, CREATE, WRITE, FLUSH, RELEASE), with
their replies ("ok OUTSIZE": a READ of 0 bytes is "ok 16", the header).
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
        # Per shared key: attempts [w, seq, status, t_end], the (w, seq)
        # attempted so far (a reader may see one before its close returns),
        # and whether a write to it was acknowledged yet.
        self.s = [[] for _ in range(a.shared)]
        self.s_tried = [set() for _ in range(a.shared)]
        self.s_acked = [False] * a.shared
        self.problems = []
        self.bad_reads = []
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
            elif kind.startswith("s"):
                j = int(kind[1:])
                self.s[j].append([w, seq, status, round(now, 3)])
                if status == "ack":
                    self.s_acked[j] = True
            else:
                self.cur[w].append([seq, status, round(now, 3)])
                self.cur_tried[w].add(seq)
                if status == "ack":
                    self.cur_acked[w] = seq

    def writer(self, w):
        pad = self.a.pad
        rnd = random.Random(w * 104729 + int(time.time()))
        seq = 0
        while not self.stop.is_set():
            with self.wlock:
                self.k_next[w] = seq
            path = os.path.join(self.dir, "w%d-k%d" % (w, seq))
            step, err, t0 = self.write_pin(path, encode(value_for(w, seq, "k", pad)))
            self.record_write(w, "k", seq, step, err, t0)
            self.read_shared(w, rnd)
            if self.stop.is_set():
                break
            with self.wlock:
                self.cur_tried[w].add(seq)  # a reader may see it before close returns
            path = os.path.join(self.dir, "w%d-cur" % w)
            step, err, t0 = self.write_pin(path, encode(value_for(w, seq, "cur", pad)))
            self.record_write(w, "cur", seq, step, err, t0)
            self.read_shared(w, rnd)
            if self.a.shared and not self.stop.is_set():
                kind = "s%d" % (seq % self.a.shared)
                with self.wlock:
                    self.s_tried[seq % self.a.shared].add((w, seq))
                path = os.path.join(self.dir, kind)
                step2, err, t0 = self.write_pin(path, encode(value_for(w, seq, kind, pad)))
                self.record_write(w, kind, seq, step2, err, t0)
                self.read_shared(w, rnd)
                step = step or step2
            if step is not None and not self.after_kill():
                time.sleep(0.02)  # an outage: do not spin
            seq += 1

    def read_shared(self, w, rnd):
        """After a write: writer w reads one shared key and judges it."""
        if not self.a.shared or self.stop.is_set():
            return
        j = rnd.randrange(self.a.shared)
        with self.wlock:
            must_exist = self.s_acked[j]
        self.judge("writer %d" % w, "s%d" % j, None, "s%d" % j, None, must_exist)

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
            self.judge("reader %d" % r, name, w, kind, seq, must_exist)

    def good_value(self, w, kind, seq, v):
        """Whether v is a value written to the key (w's kind/seq; a shared key: anyone's)."""
        pad = self.a.pad
        if not isinstance(v, dict) or v.get("kind") != kind:
            return False
        s = v.get("seq")
        if kind.startswith("s"):
            vw = v.get("w")
            with self.wlock:
                tried = (vw, s) in self.s_tried[int(kind[1:])]
            return tried and v == value_for(vw, s, kind, pad)
        if v.get("w") != w:
            return False
        if kind == "cur":
            with self.wlock:
                tried = s in self.cur_tried[w]
            return tried and isinstance(s, int) and v == value_for(w, s, "cur", pad)
        return v == value_for(w, seq, "k", pad)

    def bad_read(self, who, name, category, data, step, err, path):
        """Records a read that returned the wrong thing, and what a second read returns."""
        t = time.time()
        data2, step2, err2 = self.read_pin(path)
        rec = {"t": round(t, 3), "tid": threading.get_native_id(), "who": who, "key": name,
               "category": category, "len": len(data), "head": repr(data[:60]),
               "error": None if step is None else "%s:%s" % (step, err),
               "again_len": len(data2), "again_head": repr(data2[:60]),
               "again_error": None if step2 is None else "%s:%s" % (step2, err2)}
        with self.wlock:
            if len(self.bad_reads) < 200:
                self.bad_reads.append(rec)
        self.problem("%s: %s read %s (tid %d at %.3f): %d bytes %s%s; read again: %d bytes %s%s"
                     % (who, name, category, rec["tid"], t, len(data), rec["head"],
                        "" if step is None else ", " + rec["error"], len(data2), rec["again_head"],
                        "" if step2 is None else ", " + rec["again_error"]))

    def judge(self, who, name, w, kind, seq, must_exist):
        """Reads name and counts what it returned (see the categories above)."""
        path = os.path.join(self.dir, name)
        t0 = time.monotonic()
        data, step, err = self.read_pin(path)
        ms = (time.monotonic() - t0) * 1000.0
        self.st.lat("read", ms)
        if ms > self.a.slow_ms:
            self.st.add("slow_ops")
            self.problem("%s: %s took %.0f ms" % (who, name, ms))
        if step is not None:
            if self.after_kill():
                self.st.add("read_errors_after_kill")
            elif err == "ENOENT" and step == "open":
                if must_exist:
                    self.st.add("vanished")
                    self.bad_read(who, name, "vanished (ENOENT after an acknowledged write)",
                                  data, step, err, path)
                else:
                    self.st.add("reads_enoent")
            else:
                self.st.add("read_errors")
                self.st.add("read_error_" + err)
                if data:
                    self.st.add("read_errors_midway")
                if err not in self.allow:
                    self.problem("%s: %s %s failed with %s" % (who, name, step, err))
            if not self.after_kill():
                time.sleep(0.01)
            return
        if not data:
            # A pin is one JSON value: zero bytes is never a value, and a key
            # nobody committed is ENOENT, also while someone creates it.
            self.st.add("empty")
            self.bad_read(who, name, "empty", data, step, err, path)
            return
        try:
            v = json.loads(data.decode("utf-8"))
        except ValueError:
            self.st.add("torn")
            self.bad_read(who, name, "torn (not one JSON document)", data, step, err, path)
            return
        if self.good_value(w, kind, seq, v):
            self.st.add("reads_ok")
            if kind.startswith("s"):
                self.st.add("reads_ok_shared")
        else:
            self.st.add("wrong")
            self.bad_read(who, name, "wrong (a value never written there)", data, step, err, path)

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
                "empty": c.get("empty", 0),
                "shared": a.shared,
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
                "shared": self.s,
                "summary": summary,
                "problems": self.problems,
                "bad_reads": self.bad_reads,
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
                        "uncertain_absent", "phantom", "cur_bad", "shared_bad", "mount_checked",
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
    for j, attempts in enumerate(s.get("shared", [])):
        key = "s%d" % j
        seen.add(key)
        got = rows.get(key)
        c["acknowledged"] += sum(1 for x in attempts if x[2] == "ack")
        if got is None:
            if any(st == "ack" for _w, _seq, st, _t in attempts):
                c["lost"] += 1
                c["shared_bad"] += 1
                problem("lost: %s has no row, though a write to it was acknowledged" % key)
            continue
        gw = got.get("w") if isinstance(got, dict) else None
        gs = got.get("seq") if isinstance(got, dict) else None
        if not any(x[0] == gw and x[1] == gs for x in attempts) or got != value_for(gw, gs, key, pad):
            c["shared_bad"] += 1
            problem("%s holds a value no writer attempted: %r" % (key, json.dumps(got)[:200]))
        else:
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
    bad = (c["lost"] + c["mismatched"] + c["phantom"] + c["cur_bad"] + c["shared_bad"]
           + c["mount_lost"] + c["mount_mismatched"])
    return 1 if bad else 0


# ---- trace ------------------------------------------------------------------

def parse_trace(path):
    """The FUSE requests in a "pinfs -d" log, in order: dicts with unique,
    op, nodeid, pid and (once replied) the reply ("ok OUTSIZE" or "ERRNO")."""
    reqs, by_unique = [], {}
    with open(path, errors="replace") as f:
        for line in f:
            i = line.find("unique: ")
            if i < 0:
                continue
            fields = dict(x.split(": ", 1) for x in line[i:].strip().split(", ") if ": " in x)
            u = fields.get("unique")
            if "opcode" in fields:
                r = {"unique": u, "op": fields["opcode"].split(" ")[0], "nodeid": fields.get("nodeid"),
                     "pid": fields.get("pid"), "reply": None}
                reqs.append(r)
                by_unique[u] = r
            elif u in by_unique and by_unique[u]["reply"] is None:
                r = by_unique.pop(u)
                if "success" in line:
                    r["reply"] = "ok %s" % fields.get("outsize", "?")
                else:
                    e = fields.get("error", "?").split(" ")[0]
                    r["reply"] = ename(-int(e)) if e.lstrip("-").isdigit() else e
    return reqs


def fmt_req(r):
    return "%s %s node %s pid %s -> %s" % (r["unique"], r["op"], r["nodeid"], r["pid"], r["reply"])


def trace(a):
    """For every bad read in --state: the kernel's requests for that read (and
    the second read), and every request on the same node around it."""
    with open(a.state, encoding="utf-8") as f:
        s = json.load(f)
    bad = s.get("bad_reads", [])
    if not bad:
        print("trace: no bad reads")
        return 0
    reqs = parse_trace(a.log)
    used = set()
    for b in bad:
        tid = str(b["tid"])
        # The first READ after an OPEN by that thread that matches what it got.
        want_empty = b["len"] == 0 and b["error"] is None
        found = None
        for i, r in enumerate(reqs):
            if r["pid"] != tid or r["op"] != "OPEN" or i in used:
                continue
            if b["error"] and b["error"].startswith("open:"):
                if r["reply"] == b["error"].split(":")[1]:
                    found = i
                    break
                continue
            for j in range(i + 1, min(i + 50, len(reqs))):
                q = reqs[j]
                if q["pid"] == tid and q["op"] == "READ":
                    if (q["reply"] == "ok 16") == want_empty:
                        found = i
                    break
            if found is not None:
                break
        print("bad read: %s %s %s (tid %s): %d bytes %s; again %d bytes %s"
              % (b["who"], b["key"], b["category"], tid, b["len"], b["head"], b["again_len"], b["again_head"]))
        if found is None:
            print("  (not found in the trace)")
            continue
        used.add(found)
        node = reqs[found]["nodeid"]
        lo, hi = max(found - a.window, 0), min(found + a.window, len(reqs))
        # Who created the node: a CREATE whose thread next sent a request on it.
        creators = set()
        for i in range(lo, hi):
            r = reqs[i]
            if r["op"] == "CREATE":
                for q in reqs[i + 1:min(i + 50, len(reqs))]:
                    if q["pid"] == r["pid"]:
                        if q["nodeid"] == node:
                            creators.add(i)
                        break
        for i in range(lo, hi):
            r = reqs[i]
            if r["nodeid"] == node or i in creators or (r["pid"] == tid and i >= found - 2):
                print("  %s%s" % ("> " if r["pid"] == tid else "  ", fmt_req(r)))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--mnt", required=True)
    r.add_argument("--tenant", required=True)
    r.add_argument("--state", required=True)
    r.add_argument("--writers", type=int, default=6)
    r.add_argument("--readers", type=int, default=6)
    r.add_argument("--shared", type=int, default=0, help="keys every writer writes and reads")
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
    t = sub.add_parser("trace")
    t.add_argument("--state", required=True)
    t.add_argument("--log", required=True, help='the daemon\'s "pinfs -d" output')
    t.add_argument("--window", type=int, default=150, help="requests either side of each bad read")
    a = p.parse_args()
    if a.cmd == "run":
        return Load(a).run()
    if a.cmd == "trace":
        return trace(a)
    return check(a)


if __name__ == "__main__":
    sys.exit(main())
