#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpora in tests/fuzz/corpus/<target>/ (python3 stdlib only).

    python3 tests/fuzz/make_seeds.py [CORPUS_DIR]

The seeds are committed; this script documents how each was made and makes
them again (tokens are signed with the fuzz targets' fixed secret, so a
change of secret or of "now" in fuzz_claims.c means running it again).
Files it does not write (crash reproducers added by hand: bug-*, libfuzzer-*) are left
alone. Every file stays under 100 KiB (200 KiB for "huge-*"); bigger inputs
are made at build time by gen_corpus.py.
"""
import base64
import hashlib
import hmac
import json
import os
import random
import sys

SECRET = b"pinfs-fuzz-secret-0123456789abcd"  # fuzz_claims.c SECRET
NOW = 1700000000  # fuzz_claims.c NOW
KIB = 1024

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def nested(depth, leaf="1", obj=False):
    if obj:
        return '{"a":' * depth + leaf + "}" * depth
    return "[" * depth + leaf + "]" * depth


def b(s):
    return s.encode() if isinstance(s, str) else s


# ---------------------------------------------------------------- path_codec

def path_codec():
    rnd = random.Random(1)
    seeds = {
        "plain": "hello",
        "one-char": "a",
        "dotted": "notes.md",
        "slash-encoded": "dir%2Fname",
        "percent-encoded": "100%25",
        "lowercase-escape": "dir%2fname",
        "bare-percent": "%",
        "short-escape": "%2",
        "bad-escape": "%2G",
        "trailing-percent": "100%",
        "other-escape": "%41",
        "raw-slash": "a/b",
        "only-slash": "/",
        "dot": ".",
        "dotdot": "..",
        "three-dots": "...",
        "dotdot-slash": "../etc/passwd",
        "dotdot-encoded": "..%2F..%2Fetc",
        "encoded-dotdot-key": "%2F..%2F",
        "hidden": ".hidden",
        "backup": "backup~",
        "vim-probe": "4913",
        "sed-temp": "sedAbC123",
        "rsync-temp": ".notes.md.Ab12Cd",
        "rsync-temp-short-name": ".a.Ab12Cd",
        "rsync-temp-no-name": "..Ab12Cd",
        "rsync-temp-bad-tail": ".notes.md.Ab12C_",
        "rsync-temp-encoded": ".%2F.22Fetc",
        "python-temp": "tmpab_cd123",
        "python-temp-upper": "tmpABCDEFGH",
        "newline": "line\nbreak",
        "trailing-newline": "name\n",
        "tab": "tab\there",
        "del": "del\x7f",
        "c1-nel": b"nel\xc2\x85",
        "invalid-ff": b"\xff",
        "invalid-fe": b"a\xfeb",
        "overlong-nul": b"\xc0\x80",
        "overlong-slash": b"\xc0\xaf",
        "overlong-3": b"\xe0\x80\xaf",
        "surrogate": b"\xed\xa0\x80",
        "beyond-max": b"\xf4\x90\x80\x80",
        "f5-lead": b"\xf5\x80\x80\x80",
        "truncated-utf8": b"\xe2\x82",
        "lone-continuation": b"\x80",
        "utf8-latin": "h\u00e9llo",
        "utf8-cjk": "\u65e5\u672c\u8a9e",
        "utf8-emoji": "\U0001f600",
        "utf8-max": b"\xf4\x8f\xbf\xbf",
        "u-2028": "\u2028",
        "tenant-ok": "acme-prod_1.x",
        "tenant-64": "t" * 64,
        "tenant-65": "t" * 65,
        "name-255": "n" * 255,
        "name-256": "n" * 256,
        "slashes-85": "/" * 85,
        "slashes-86": "/" * 86,
        "percents-85": "%" * 85,
        "escaped-255": "%2F" * 85,
        "escaped-258": "%2F" * 86,
        "key-1024": "k" * 1024,
        "key-1025": "k" * 1025,
        "name-4k": "x" * 4096,
        "name-4k-slashes": "a/" * 2048,
        "name-4k-newlines": "a\n" * 2048,
        "xattr-64k-utf8": "\u00e9" * (32 * KIB),
        "xattr-64k-ascii": "s" * (64 * KIB),
        "xattr-64k-bad-tail": b"s" * (64 * KIB - 1) + b"\xff",
        "several-names": b"a\0..\0%2F\0.\0\0sed123456\0tmp12345678",
        "empty": b"",
        "only-nul": b"\0",
    }
    for n in (16, 255, 512, 4096):
        seeds["binary-nul-free-%d" % n] = bytes(rnd.randrange(1, 256) for _ in range(n))
    seeds["binary-high-bytes"] = bytes(range(0x80, 0x100))
    seeds["binary-all-bytes"] = bytes(range(1, 256))
    return {k + ".bin": b(v) for k, v in seeds.items()}


# ---------------------------------------------------------------- config

def config():
    full = {
        "mode": "enterprise",
        "routes": [
            {"tenant": "acme", "backend": "postgresql:///pins?host=/run/postgresql",
             "password_file": "/etc/pinfs/pgpass"},
            {"tenant": "team-[a-c]*", "backend": "sqlite:///var/lib/pinfs/teams.db"},
            {"tenant": "*", "backend": "sqlite:///var/lib/pinfs/pins.db"},
        ],
        "policy": "policies/rbac_policies.json",
        "tokens": {"algorithm": "HS256", "secret_file": "secret", "issuer": "iss",
                   "audience": "aud"},
        "pool": {"size": 8, "wait_ms": 5000, "connect_timeout_s": 5,
                 "statement_timeout_ms": 10000, "retries": 2},
        "max_value_bytes": 1048576,
        "reaper_interval_s": 60,
        "log_level": "info",
    }
    minimal = {"mode": "lab", "routes": [{"tenant": "*", "backend": "sqlite:///tmp/p.db"}]}
    dumps = json.dumps
    seeds = {
        "minimal": dumps(minimal),
        "full": dumps(full, indent=2),
        "empty-object": "{}",
        "empty-file": "",
        "whitespace": "  \n\t ",
        "null": "null",
        "array": "[]",
        "string": '"mode"',
        "number": "42",
        "truncated-1": dumps(full)[:1],
        "truncated-half": dumps(full)[: len(dumps(full)) // 2],
        "truncated-in-string": '{"mode":"la',
        "truncated-in-escape": '{"mode":"la\\u00',
        "trailing-garbage": dumps(minimal) + " x",
        "two-documents": dumps(minimal) + dumps(minimal),
        "comment": '// pinfs\n{"mode":"lab"}',
        "bom": "\ufeff" + dumps(minimal),
        "nul-in-middle": b'{"mode":"lab"\0}',
        "escaped-nul": '{"policy":"a\\u0000b"}',
        "invalid-utf8": b'{"policy":"\xff\xfe"}',
        "overlong-utf8": b'{"policy":"\xc0\xaf"}',
        "dup-top": '{"mode":"lab","mode":"saas"}',
        "dup-route": '{"routes":[{"tenant":"a","tenant":"b","backend":"sqlite:///x"}]}',
        "dup-pool": '{"pool":{"size":1,"size":2}}',
        "unknown-key": '{"modee":"lab"}',
        "unknown-route-key": '{"routes":[{"tenant":"a","backend":"b","weight":1}]}',
        "unknown-pool-key": '{"pool":{"sizes":1}}',
        "unknown-tokens-key": '{"tokens":{"alg":"HS256"}}',
        "mode-number": '{"mode":1}',
        "mode-unknown": '{"mode":"cloud"}',
        "mode-empty": '{"mode":""}',
        "mode-case": '{"mode":"LAB"}',
        "routes-object": '{"routes":{}}',
        "routes-string": '{"routes":"*"}',
        "routes-number-item": '{"routes":[1]}',
        "routes-null-item": '{"routes":[null]}',
        "routes-empty": '{"routes":[]}',
        "route-missing-backend": '{"routes":[{"tenant":"a"}]}',
        "route-missing-tenant": '{"routes":[{"backend":"sqlite:///x"}]}',
        "route-empty-tenant": '{"routes":[{"tenant":"","backend":"b"}]}',
        "route-slash-tenant": '{"routes":[{"tenant":"a/b","backend":"b"}]}',
        "route-dotdot-tenant": '{"routes":[{"tenant":"..","backend":"b"}]}',
        "route-newline-tenant": '{"routes":[{"tenant":"a\\nb","backend":"b"}]}',
        "route-glob-tenants": '{"routes":[{"tenant":"[!a-c]?x*","backend":"b"},'
                              '{"tenant":"[","backend":"b"}]}',
        "route-backend-number": '{"routes":[{"tenant":"a","backend":5}]}',
        "route-second-bad": '{"routes":[{"tenant":"a","backend":"b"},{"tenant":"","backend":"b"}]}',
        "route-pooler-feed": '{"routes":[{"tenant":"*","backend":"postgresql://h:6432/p",'
                             '"pooler":"transaction","feed":"postgresql://h:5432/p"}]}',
        "route-pooler-bad": '{"routes":[{"tenant":"*","backend":"postgresql:///p","pooler":"session"}]}',
        "route-pooler-number": '{"routes":[{"tenant":"*","backend":"postgresql:///p","pooler":1}]}',
        "route-feed-sqlite": '{"routes":[{"tenant":"*","backend":"sqlite:///x","feed":"postgresql:///p"}]}',
        "route-feed-not-pg": '{"routes":[{"tenant":"*","backend":"postgresql:///p","feed":"sqlite:///x"}]}',
        "route-pooler-disagree": '{"routes":[{"tenant":"a","backend":"postgresql:///p","pooler":"transaction"},'
                                 '{"tenant":"b","backend":"postgresql:///p"}]}',
        "pool-array": '{"pool":[]}',
        "pool-size-string": '{"pool":{"size":"8"}}',
        "pool-size-zero": '{"pool":{"size":0}}',
        "pool-size-257": '{"pool":{"size":257}}',
        "pool-size-real": '{"pool":{"size":8.0}}',
        "pool-retries-negative": '{"pool":{"retries":-1}}',
        "pool-all-max": '{"pool":{"size":256,"wait_ms":600000,"connect_timeout_s":600,'
                        '"statement_timeout_ms":3600000,"retries":10}}',
        "pool-all-min": '{"pool":{"size":1,"wait_ms":1,"connect_timeout_s":2,'
                        '"statement_timeout_ms":1,"retries":0}}',
        "max-value-1": '{"max_value_bytes":1}',
        "max-value-2": '{"max_value_bytes":2}',
        "max-value-64m": '{"max_value_bytes":67108864}',
        "max-value-64m-plus": '{"max_value_bytes":67108865}',
        "max-value-negative": '{"max_value_bytes":-1}',
        "max-value-huge": '{"max_value_bytes":9223372036854775807}',
        "max-value-too-big-int": '{"max_value_bytes":99999999999999999999}',
        "max-value-real": '{"max_value_bytes":1e400}',
        "max-value-string": '{"max_value_bytes":"1MiB"}',
        "reaper-zero": '{"reaper_interval_s":0}',
        "reaper-day-plus": '{"reaper_interval_s":86401}',
        "reaper-bool": '{"reaper_interval_s":true}',
        "tokens-string": '{"tokens":"HS256"}',
        "tokens-empty-alg": '{"tokens":{"algorithm":""}}',
        "tokens-rs": '{"tokens":{"algorithm":"RS256","public_key_file":"/k.pem"}}',
        "policy-empty": '{"policy":""}',
        "policy-null": '{"policy":null}',
        "policy-90k": dumps({"policy": "p" * (90 * KIB)}),
        "deep-64": '{"routes":' + nested(64, "[]") + "}",
        "deep-65": '{"routes":' + nested(65, "[]") + "}",
        "deep-10000": '{"routes":' + nested(10000, "") + "}",
        "deep-objects-10000": nested(10000, "{}", obj=True),
    }
    for lvl in ("err", "error", "warning", "warn", "notice", "info", "debug", "DEBUG",
                "verbose", "", "7"):
        seeds["log-level-" + (lvl or "empty")] = dumps({"log_level": lvl})
    seeds["log-level-number"] = '{"log_level":7}'
    # Moderately huge: ~150 KiB of routes (a ~1 MiB one is generated at build time).
    routes = [{"tenant": "t%05d" % i, "backend": "sqlite:///var/lib/pinfs/%05d.db" % i}
              for i in range(2600)]
    seeds["huge-150k"] = dumps({"mode": "lab", "routes": routes})
    for name in sorted(os.listdir(os.path.join(ROOT, "examples"))):
        if name.startswith("pinfs") and name.endswith(".json"):
            with open(os.path.join(ROOT, "examples", name), "rb") as f:
                seeds["example-" + name[:-5]] = f.read()
    return {k + ".json": b(v) for k, v in seeds.items()}


# ---------------------------------------------------------------- policy

def policy():
    with open(os.path.join(ROOT, "policies", "rbac_policies.json"), "rb") as f:
        shipped = f.read()
    roles = {
        "admin": {"memory_pin": ["read", "write", "delete", "admin"],
                  "prometheus": ["reload", "query"], "policy": ["read", "write", "approve"]},
        "dev": {"memory_pin": ["read"], "prometheus": ["query"]},
        "machine": {"memory_pin": ["read", "write"], "prometheus": ["reload"]},
    }

    def pol(bindings, **kw):
        d = {"version": "fuzz-1", "enforce": True, "roles": roles, "bindings": bindings}
        d.update(kw)
        return json.dumps(d)

    dumps = json.dumps
    seeds = {
        "shipped": shipped,
        "uid-bindings": pol([{"uid": 1000, "roles": ["dev"], "tenants": ["acme", "team-*"]},
                             {"uid": 0, "roles": ["admin"], "tenants": ["*"]},
                             {"uid": 4242, "roles": ["machine"], "tenants": ["a"]}]),
        "shadow-mode": pol([{"uid": 1000, "roles": ["dev"], "tenants": ["acme"]}],
                           enforce=False),
        "no-enforce-key": dumps({"version": "v", "roles": roles,
                                 "bindings": [{"uid": 1000, "roles": ["dev"], "tenants": ["*"]}]}),
        "schema-key": dumps({"$schema": "./rbac_policies.schema.json", "version": "v",
                             "roles": {}, "bindings": []}),
        "schema-number": dumps({"$schema": 1, "version": "v", "roles": {}, "bindings": []}),
        "empty-roles-bindings": dumps({"version": "v", "roles": {}, "bindings": []}),
        "user-root": pol([{"user": "root", "roles": ["admin"], "tenants": ["*"]}]),
        "user-nobody": pol([{"user": "nobody", "roles": ["dev"], "tenants": ["acme"]}]),
        "user-unknown": pol([{"user": "no-such-user-xyz", "roles": ["dev"], "tenants": ["*"]}]),
        "group-users": pol([{"group": "users", "roles": ["machine"], "tenants": ["acme*"]}]),
        "group-root": pol([{"group": "root", "roles": ["admin"], "tenants": ["*"]}]),
        "group-nogroup": pol([{"group": "nogroup", "roles": ["dev"], "tenants": ["x.y"]}]),
        "group-unknown": pol([{"group": "no-such-group-xyz", "roles": ["dev"], "tenants": ["*"]},
                              {"group": "another-missing", "roles": ["dev"], "tenants": ["*"]}]),
        "sub-binding": pol([{"sub": "svc-fuzz", "roles": ["admin"], "tenants": ["acme"]},
                            {"sub": "someone-else", "roles": ["dev"], "tenants": ["*"]}]),
        "mixed-subjects": pol([{"uid": 1000, "roles": ["dev"], "tenants": ["beta"]},
                               {"group": "users", "roles": ["admin"], "tenants": ["acme"]},
                               {"user": "root", "roles": ["machine"], "tenants": ["team-a"]},
                               {"sub": "svc-fuzz", "roles": ["dev", "machine"],
                                "tenants": ["*"]}]),
        "globs": pol([{"uid": 1000, "roles": ["dev"],
                       "tenants": ["acme-*", "team-[a-c]", "[!0-9]*", "?", "x.y", "*"]}]),
        "glob-open-bracket": pol([{"uid": 1000, "roles": ["dev"], "tenants": ["["]}]),
        "glob-empty-bracket": pol([{"uid": 1000, "roles": ["dev"], "tenants": ["[]"]}]),
        "glob-empty-negated": pol([{"uid": 1000, "roles": ["dev"], "tenants": ["[!]"]}]),
        "glob-unclosed": pol([{"uid": 1000, "roles": ["dev"], "tenants": ["a[b"]}]),
        "glob-slash": pol([{"uid": 1000, "roles": ["dev"], "tenants": ["a/b"]}]),
        "glob-255": pol([{"uid": 1000, "roles": ["dev"], "tenants": ["*" + "a" * 254]}]),
        "glob-256": pol([{"uid": 1000, "roles": ["dev"], "tenants": ["*" + "a" * 255]}]),
        "tenant-64": pol([{"uid": 1000, "roles": ["dev"], "tenants": ["t" * 64]}]),
        "tenant-65": pol([{"uid": 1000, "roles": ["dev"], "tenants": ["t" * 65]}]),
        "tenants-empty": pol([{"uid": 1000, "roles": ["dev"], "tenants": []}]),
        "tenants-empty-string": pol([{"uid": 1000, "roles": ["dev"], "tenants": [""]}]),
        "tenants-string": pol([{"uid": 1000, "roles": ["dev"], "tenants": "*"}]),
        "tenants-missing": pol([{"uid": 1000, "roles": ["dev"]}]),
        "roles-missing": pol([{"uid": 1000, "tenants": ["*"]}]),
        "roles-empty": pol([{"uid": 1000, "roles": [], "tenants": ["*"]}]),
        "role-unknown": pol([{"uid": 1000, "roles": ["root"], "tenants": ["*"]}]),
        "role-number": pol([{"uid": 1000, "roles": [1], "tenants": ["*"]}]),
        "two-subjects": pol([{"uid": 1000, "user": "root", "roles": ["dev"], "tenants": ["*"]}]),
        "no-subject": pol([{"roles": ["dev"], "tenants": ["*"]}]),
        "uid-negative": pol([{"uid": -1, "roles": ["dev"], "tenants": ["*"]}]),
        "uid-max": pol([{"uid": 4294967294, "roles": ["dev"], "tenants": ["*"]}]),
        "uid-minus-one-u32": pol([{"uid": 4294967295, "roles": ["dev"], "tenants": ["*"]}]),
        "uid-real": pol([{"uid": 1000.0, "roles": ["dev"], "tenants": ["*"]}]),
        "uid-string": pol([{"uid": "1000", "roles": ["dev"], "tenants": ["*"]}]),
        "user-empty": pol([{"user": "", "roles": ["dev"], "tenants": ["*"]}]),
        "user-257": pol([{"user": "u" * 257, "roles": ["dev"], "tenants": ["*"]}]),
        "user-newline": pol([{"user": "root\n", "roles": ["dev"], "tenants": ["*"]}]),
        "sub-control": pol([{"sub": "a\u0001b", "roles": ["dev"], "tenants": ["*"]}]),
        "sub-1025": pol([{"sub": "s" * 1025, "roles": ["dev"], "tenants": ["*"]}]),
        "binding-unknown-key": pol([{"uid": 1, "roles": ["dev"], "tenants": [], "expires": 1}]),
        "binding-not-object": pol([1]),
        "bindings-object": dumps({"version": "v", "roles": {}, "bindings": {}}),
        "bindings-missing": dumps({"version": "v", "roles": {}}),
        "roles-array": dumps({"version": "v", "roles": [], "bindings": []}),
        "roles-missing-top": dumps({"version": "v", "bindings": []}),
        "role-actions-string": dumps({"version": "v", "roles": {"r": {"memory_pin": "read"}},
                                      "bindings": []}),
        "role-not-object": dumps({"version": "v", "roles": {"r": []}, "bindings": []}),
        "role-bad-name": dumps({"version": "v", "roles": {"bad name": {}}, "bindings": []}),
        "role-65": dumps({"version": "v", "roles": {"r" * 65: {}}, "bindings": []}),
        "resource-bad-name": dumps({"version": "v", "roles": {"r": {"memory/pin": ["read"]}},
                                    "bindings": []}),
        "action-control": dumps({"version": "v", "roles": {"r": {"m": ["re\u0007ad"]}},
                                 "bindings": []}),
        "action-65": dumps({"version": "v", "roles": {"r": {"m": ["a" * 65]}}, "bindings": []}),
        "action-empty": dumps({"version": "v", "roles": {"r": {"m": [""]}}, "bindings": []}),
        "action-free-strings": dumps({"version": "v",
                                      "roles": {"r": {"memory_pin": ["read", "x y", "\u00e9"]}},
                                      "bindings": [{"uid": 1000, "roles": ["r"],
                                                    "tenants": ["*"]}]}),
        "version-number": dumps({"version": 1, "roles": {}, "bindings": []}),
        "version-empty": dumps({"version": "", "roles": {}, "bindings": []}),
        "version-129": dumps({"version": "v" * 129, "roles": {}, "bindings": []}),
        "version-missing": dumps({"roles": {}, "bindings": []}),
        "enforce-string": dumps({"version": "v", "enforce": "yes", "roles": {}, "bindings": []}),
        "enforce-null": dumps({"version": "v", "enforce": None, "roles": {}, "bindings": []}),
        "unknown-top-key": dumps({"version": "v", "roles": {}, "bindings": [], "extra": 1}),
        "dup-top": '{"version":"a","version":"b","roles":{},"bindings":[]}',
        "dup-role": '{"version":"a","roles":{"r":{},"r":{}},"bindings":[]}',
        "dup-binding-key": '{"version":"a","roles":{"r":{}},"bindings":'
                           '[{"uid":1,"uid":2,"roles":["r"],"tenants":[]}]}',
        "empty-file": "",
        "null": "null",
        "array": "[]",
        "truncated": shipped[: len(shipped) // 2],
        "truncated-1": shipped[:1],
        "trailing-garbage": shipped + b"}",
        "nul-in-middle": b'{"version":"v"\0,"roles":{},"bindings":[]}',
        "invalid-utf8": b'{"version":"\xff","roles":{},"bindings":[]}',
        "deep-64": '{"version":"v","roles":{},"bindings":[],"$schema":' + nested(64) + "}",
        "deep-65": '{"version":"v","roles":' + nested(65, "{}", obj=True) + ',"bindings":[]}',
        "deep-10000": '{"version":"v","roles":{},"bindings":' + nested(10000, "") + "}",
    }
    # Moderately huge: many roles and bindings (~120 KiB).
    big_roles = {"r%03d" % i: {"memory_pin": ["read", "write"][: 1 + i % 2],
                               "res%d" % (i % 7): ["a%d" % i]} for i in range(300)}
    big_bindings = [{"uid": 1000 + i % 50, "roles": ["r%03d" % ((i * 7) % 300)],
                     "tenants": ["t%d-*" % i, "acme"]} for i in range(1500)]
    seeds["huge-120k"] = dumps({"version": "big", "roles": big_roles, "bindings": big_bindings})
    return {k + ".json": b(v) for k, v in seeds.items()}


# ---------------------------------------------------------------- claims

def b64u(data):
    return base64.urlsafe_b64encode(b(data)).rstrip(b"=")


def token(payload, header=None, key=SECRET, digest=hashlib.sha256, sig=None):
    if header is None:
        header = {"alg": "HS256", "typ": "JWT"}
    h = b64u(header if isinstance(header, (str, bytes)) else json.dumps(header))
    p = b64u(payload if isinstance(payload, (str, bytes)) else json.dumps(payload))
    signing_input = h + b"." + p
    if sig is None:
        sig = b64u(hmac.new(key, signing_input, digest).digest())
    return signing_input + b"." + sig


def claims():
    good = {"sub": "alice", "exp": NOW + 3600, "iat": NOW - 10,
            "roles": ["dev"], "tenants": ["acme", "team-*"]}

    def with_(**kw):
        d = dict(good)
        for k, v in kw.items():
            if v is None:
                d.pop(k, None)
            else:
                d[k] = v
        return d

    valid = token(good)
    h, p, s = valid.split(b".")
    seeds = {
        # Raw tokens (the whole file is the token).
        "raw-valid": valid,
        "raw-valid-minimal": token({"sub": "u", "exp": NOW + 60}),
        "raw-valid-no-typ": token(good, header={"alg": "HS256"}),
        "raw-valid-typ-lower": token(good, header={"alg": "HS256", "typ": "jwt"}),
        "raw-valid-spaces": b"  \t" + valid + b"\r\n",
        "raw-valid-iss-aud": token(with_(iss="pinfs-fuzz", aud="pinfs")),
        "raw-valid-aud-array": token(with_(iss="pinfs-fuzz", aud=["other", "pinfs"])),
        "raw-wrong-aud": token(with_(iss="pinfs-fuzz", aud="other")),
        "raw-expired": token(with_(exp=NOW - 31)),
        "raw-exp-leeway-edge": token(with_(exp=NOW - 30)),
        "raw-exp-leeway-inside": token(with_(exp=NOW - 29)),
        "raw-nbf-future": token(with_(nbf=NOW + 31)),
        "raw-iat-future": token(with_(iat=NOW + 31)),
        "raw-no-exp": token(with_(exp=None)),
        "raw-exp-string": token(with_(exp=str(NOW + 60))),
        "raw-exp-real": token(with_(exp=NOW + 0.5)),
        "raw-exp-huge": token(with_(exp=10 ** 30)),
        "raw-no-sub": token(with_(sub=None)),
        "raw-sub-empty": token(with_(sub="")),
        "raw-sub-newline": token(with_(sub="ali\nce")),
        "raw-roles-string": token(with_(roles="admin")),
        "raw-roles-257": token(with_(roles=["r"] * 257)),
        "raw-tenant-control": token(with_(tenants=["a\u0001"])),
        "raw-alg-none": token(good, header={"alg": "none", "typ": "JWT"}, sig=b""),
        "raw-alg-none-with-sig": token(good, header={"alg": "none"}),
        "raw-alg-none-upper": token(good, header={"alg": "NONE"}, sig=b""),
        "raw-alg-hs512": token(good, header={"alg": "HS512"}, digest=hashlib.sha512),
        "raw-alg-hs256-lower": token(good, header={"alg": "hs256"}),
        "raw-alg-rs256": token(good, header={"alg": "RS256"}),
        "raw-alg-missing": token(good, header={"typ": "JWT"}),
        "raw-alg-number": token(good, header={"alg": 256}),
        "raw-typ-jose": token(good, header={"alg": "HS256", "typ": "JOSE"}),
        "raw-crit": token(good, header={"alg": "HS256", "crit": ["exp"]}),
        "raw-header-array": token(good, header="[]"),
        "raw-header-dup": token(good, header='{"alg":"HS256","alg":"none"}'),
        "raw-payload-dup": token('{"sub":"a","sub":"root","exp":%d}' % (NOW + 60)),
        "raw-payload-null": token("null"),
        "raw-payload-deep": token(nested(64, '{"sub":"a","exp":%d}' % (NOW + 60))),
        "raw-wrong-key": token(good, key=b"x" * 32),
        "raw-bad-sig": h + b"." + p + b"." + (b"A" if s[:1] != b"A" else b"B") + s[1:],
        "raw-sig-trailing-bits": h + b"." + p + b"." + s[:-1] + b"B",
        "raw-empty-sig": h + b"." + p + b".",
        "raw-one-dot": h + b"." + p,
        "raw-three-dots": valid + b".x",
        "raw-two-dots-only": b"..",
        "raw-empty-header": b"." + p + b"." + s,
        "raw-empty-payload": h + b".." + s,
        "raw-padding": h + b"=." + p + b"." + s,
        "raw-std-base64": valid.replace(b"-", b"+").replace(b"_", b"/"),
        "raw-len-mod4-1": h + b"." + p + b"A." + s,
        "raw-nul-inside": h + b"\0." + p + b"." + s,
        "raw-newline-inside": h + b"\n." + p + b"." + s,
        "raw-empty": b"",
        "raw-whitespace": b" \n\t",
        "raw-not-base64": b"hello world.this.token",
        "raw-huge-segment-90k": b"eyJ" + b"A" * (90 * KIB) + b".e30.sig",
        "raw-8193": b"eyJ" + b"A" * 8188 + b".a.b",
    }
    # Signed JSON ('S': payload only, or header NUL payload; 'A': the issuer/audience verifier).
    S = lambda obj: b"S" + b(obj if isinstance(obj, (str, bytes)) else json.dumps(obj))
    seeds.update({
        "signed-good": S(good),
        "signed-minimal": S({"sub": "u", "exp": NOW + 1}),
        "signed-exp-edge-expired": S({"sub": "u", "exp": NOW - 30}),
        "signed-exp-edge-valid": S({"sub": "u", "exp": NOW - 29}),
        "signed-exp-real-edge": S('{"sub":"u","exp":1699999970.999}'),
        "signed-exp-negative": S({"sub": "u", "exp": -1}),
        "signed-exp-max": S({"sub": "u", "exp": 253402300799}),
        "signed-exp-max-plus": S({"sub": "u", "exp": 253402300800}),
        "signed-exp-1e300": S('{"sub":"u","exp":1e300}'),
        "signed-exp-big-int": S('{"sub":"u","exp":99999999999999999999999}'),
        "signed-exp-null": S({"sub": "u", "exp": None}),
        "signed-nbf-edge": S({"sub": "u", "exp": NOW + 60, "nbf": NOW + 30}),
        "signed-nbf-over": S({"sub": "u", "exp": NOW + 60, "nbf": NOW + 31}),
        "signed-nbf-real": S('{"sub":"u","exp":1700000060,"nbf":1700000030.5}'),
        "signed-iat-edge": S({"sub": "u", "exp": NOW + 60, "iat": NOW + 30}),
        "signed-iat-over": S({"sub": "u", "exp": NOW + 60, "iat": NOW + 31}),
        "signed-iat-string": S({"sub": "u", "exp": NOW + 60, "iat": "now"}),
        "signed-sub-1024": S({"sub": "s" * 1024, "exp": NOW + 60}),
        "signed-sub-1025": S({"sub": "s" * 1025, "exp": NOW + 60}),
        "signed-sub-del": S({"sub": "a\u007f", "exp": NOW + 60}),
        "signed-sub-utf8": S({"sub": "\u00e9\u4e2d\U0001f600", "exp": NOW + 60}),
        "signed-sub-number": S({"sub": 1, "exp": NOW + 60}),
        "signed-roles-256": S({"sub": "u", "exp": NOW + 60, "roles": ["r"] * 256}),
        "signed-roles-257": S({"sub": "u", "exp": NOW + 60, "roles": ["r"] * 257}),
        "signed-role-255": S({"sub": "u", "exp": NOW + 60, "roles": ["r" * 255]}),
        "signed-role-256": S({"sub": "u", "exp": NOW + 60, "roles": ["r" * 256]}),
        "signed-role-empty": S({"sub": "u", "exp": NOW + 60, "roles": [""]}),
        "signed-roles-null": S({"sub": "u", "exp": NOW + 60, "roles": None}),
        "signed-tenants-mixed": S({"sub": "u", "exp": NOW + 60, "tenants": ["a", 1]}),
        "signed-dup-claim": S('{"sub":"a","sub":"root","exp":1700000060}'),
        "signed-payload-array": S("[]"),
        "signed-payload-string": S('"sub"'),
        "signed-payload-invalid": S('{"sub":'),
        "signed-payload-escaped-nul": S('{"sub":"a\\u0000b","exp":1700000060}'),
        "signed-payload-bad-utf8": b'S{"sub":"\xff","exp":1700000060}',
        "signed-payload-deep-64": S(nested(63, '{"sub":"u","exp":1700000060}', obj=True)),
        "signed-payload-deep-10000": S(nested(10000, "1")),
        "signed-empty-payload": b"S",
        "signed-hdr-none": b'S{"alg":"none"}\0' + b(json.dumps(good)),
        "signed-hdr-hs512": b'S{"alg":"HS512"}\0' + b(json.dumps(good)),
        "signed-hdr-crit": b'S{"alg":"HS256","crit":["x"]}\0' + b(json.dumps(good)),
        "signed-hdr-typ-jwt-lower": b'S{"alg":"HS256","typ":"jwt"}\0' + b(json.dumps(good)),
        "signed-hdr-typ-number": b'S{"alg":"HS256","typ":1}\0' + b(json.dumps(good)),
        "signed-hdr-kid": b'S{"alg":"HS256","kid":"../../etc/passwd"}\0' + b(json.dumps(good)),
        "signed-hdr-dup": b'S{"alg":"HS256","alg":"HS256"}\0' + b(json.dumps(good)),
        "signed-hdr-empty": b"S\0" + b(json.dumps(good)),
        "signed-hdr-array": b"S[]\0" + b(json.dumps(good)),
        "aud-good": b"A" + b(json.dumps(with_(iss="pinfs-fuzz", aud="pinfs"))),
        "aud-array": b"A" + b(json.dumps(with_(iss="pinfs-fuzz", aud=["x", "pinfs"]))),
        "aud-missing": b"A" + b(json.dumps(with_(iss="pinfs-fuzz"))),
        "aud-wrong-iss": b"A" + b(json.dumps(with_(iss="evil", aud="pinfs"))),
        "aud-number": b"A" + b(json.dumps(with_(iss="pinfs-fuzz", aud=5))),
        # cred_mint round trips ('M', exp selector, sub NUL roles... NUL NUL tenants...).
        "mint-basic": b"M\x06alice\0admin\0dev\0\0acme\0team-*",
        "mint-aud": b"M\x86alice\0admin\0\0*",
        "mint-expired": b"M\x01bob\0dev\0\0acme",
        "mint-leeway-edge": b"M\x02bob\0dev\0\0acme",
        "mint-leeway-inside": b"M\x03bob\0dev\0\0acme",
        "mint-far-future": b"M\x07bob\0dev\0\0acme",
        "mint-no-roles": b"M\x06svc",
        "mint-empty-sub": b"M\x06\0dev",
        "mint-control-sub": b"M\x06a\x01b\0dev",
        "mint-newline-role": b"M\x06alice\0de\nv\0\0acme",
        "mint-bad-utf8": b"M\x06\xff\xfe\0dev",
        "mint-utf8": "M\x06\u00e9l\u00e8ve\0r\u00f4le\0\0\u4e2d".encode(),
        "mint-many-roles": b"M\x06u\0" + b"\0".join(b"r%d" % i for i in range(300)),
        "mint-long-sub": b"M\x06" + b"s" * 1025,
    })
    return {k + ".txt": b(v) for k, v in seeds.items()}


# ---------------------------------------------------------------- pin_json

def pin_json():
    seeds = {
        "int": "1",
        "neg-zero": "-0",
        "real": "-1.5e-7",
        "real-huge": "1e400",
        "int-huge": "123456789012345678901234567890",
        "string": '"hello"',
        "true": "true",
        "false": "false",
        "null": "null",
        "spaced": " \t\r\n1 \n",
        "object": '{"a":[1,{"b":null}],"c":"d"}',
        "pretty-object": '{\n  "a": [\n    1,\n    true\n  ]\n}\n',
        "empty-containers": '[{},[],{"a":{}}]',
        "dup-keys": '{"a":1,"a":2}',
        "unicode": '"h\u00e9 \u4e2d \U0001f600"',
        "escapes": '"\\n\\t\\"\\\\\\/\\b\\f\\r\\u00e9\\ud83d\\ude00\\u001f"',
        "key-escapes": '{"a\\nb":1,"\\u0001":2}',
        "empty": "",
        "spaces-only": "   \n",
        "two-values": "1 2",
        "two-objects": "{} {}",
        "value-then-garbage": "[1] x",
        "trailing-comma": "[1,]",
        "single-quotes": "{'a':1}",
        "unquoted-key": "{a:1}",
        "escaped-nul": '"\\u0000"',
        "lone-high": '"\\ud800"',
        "lone-low": '"\\udc00"',
        "high-then-letter": '"\\ud800\\u0041"',
        "high-then-text": '"\\ud800x"',
        "high-at-end": '"\\ud83d',
        "form-feed": "\f1",
        "vertical-tab": "1\v",
        "form-feed-in-string": '"a\fb"',
        "raw-control-in-string": '"a\x01b"',
        "raw-newline-in-string": '"a\nb"',
        "invalid-utf8": b'"\xff"',
        "overlong-nul": b'"\xc0\x80"',
        "overlong-slash": b'"\xc0\xaf"',
        "surrogate-bytes": b'"\xed\xa0\x80"',
        "beyond-max-bytes": b'"\xf4\x90\x80\x80"',
        "f8-lead": b'"\xf8\x88\x80\x80\x80"',
        "truncated-utf8": b'"\xe2\x82"',
        "bad-utf8-key": b'{"\xc0\x80":1}',
        "truncated-array": "[1,2",
        "truncated-key": '{"a"',
        "truncated-literal": "tru",
        "truncated-string": '"abc',
        "truncated-escape": '"\\u00',
        "nan": "NaN",
        "infinity": "-Infinity",
        "leading-zero": "01",
        "plus-sign": "+1",
        "comment": "/* x */ 1",
        "line-comment": "1 // x",
        "bom": "\ufeff1",
        "nul-byte": b"1\0",
        "nul-byte-in-string": b'"a\0b"',
        "depth-64": nested(64),
        "depth-65": nested(65),
        "depth-64-objects": nested(64, "1", obj=True),
        "depth-65-objects": nested(65, "1", obj=True),
        "depth-64-mixed": "[" + nested(63, "[]", obj=True) + "]",
        "depth-10000": nested(10000),
        "depth-10000-objects": nested(10000, "null", obj=True),
        "depth-10000-unclosed": "[" * 10000,
        "wide": "[" + ",".join(str(i) for i in range(5000)) + "]",
        "string-90k": '"' + "x" * (90 * KIB) + '"',
        "value-then-unterminated-string": '"" ".{{',
        "number-then-quote": '6"',
        "object-then-quote": '{"a":1} "',
    }
    with open(os.path.join(ROOT, "examples", "memory_pins_seed.json"), "rb") as f:
        seeds["example-seed"] = f.read()[: 90 * KIB]
    return {k + ".json": b(v) for k, v in seeds.items()}


TARGETS = {
    "path_codec": path_codec,
    "config": config,
    "policy": policy,
    "claims": claims,
    "pin_json": pin_json,
}


def main(argv):
    corpus = argv[1] if len(argv) > 1 else os.path.join(HERE, "corpus")
    for target, make in TARGETS.items():
        d = os.path.join(corpus, target)
        os.makedirs(d, exist_ok=True)
        for name, data in sorted(make().items()):
            # "huge-*" seeds may reach 200 KiB; everything else stays under 100 KiB.
            limit = 200 * KIB if name.startswith("huge-") else 100 * KIB
            assert len(data) <= limit, (target, name, len(data))
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
