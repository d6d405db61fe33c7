#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the fuzz inputs too big to commit (meson runs this at build time).

    gen_corpus.py OUTPUT...

Each OUTPUT's file name says what to write (see GENERATORS). The replay
tests run these files after the committed corpus/<target>/ seeds; the
libFuzzer smoke run does not use them (they would only slow its mutations).
"""
import json
import os
import sys

MIB = 1024 * 1024


def config_huge_routes():
    # A valid config of about 1 MiB: many routes.
    routes = []
    size = 0
    i = 0
    while size < MIB:
        r = {"tenant": "tenant-%06d" % i, "backend": "sqlite:///var/lib/pinfs/t%06d.db" % i}
        size += len(json.dumps(r)) + 2
        routes.append(r)
        i += 1
    return json.dumps({"mode": "lab", "routes": routes}, indent=1).encode()


def config_huge_string():
    # One 1 MiB string value: valid, just large.
    return json.dumps({"policy": "/" + "p" * MIB}).encode()


def config_huge_truncated():
    # The huge config cut in the middle of a string.
    return config_huge_routes()[: MIB // 2 + 7]


def policy_over_limit():
    # 1 MiB + 1 byte of valid JSON: refused with EFBIG before parsing.
    doc = json.dumps({"version": "big", "roles": {}, "bindings": []}).encode()
    return doc + b" " * (MIB + 1 - len(doc))


def policy_many_bindings():
    # Just under the 1 MiB limit: thousands of uid bindings over two roles.
    head = {
        "version": "many",
        "enforce": True,
        "roles": {
            "reader": {"memory_pin": ["read"]},
            "writer": {"memory_pin": ["read", "write"], "prometheus": ["reload"]},
        },
        "bindings": [],
    }
    size = len(json.dumps(head))
    uid = 10000
    while True:
        b = {"uid": uid, "roles": ["reader", "writer"][uid % 2:], "tenants": ["t%d-*" % uid, "acme"]}
        s = len(json.dumps(b)) + 2
        if size + s > MIB - 4096:
            break
        head["bindings"].append(b)
        size += s
        uid += 1
    out = json.dumps(head).encode()
    assert len(out) <= MIB, len(out)
    return out


def claims_4mib_token():
    # A raw 4 MiB token in the header.payload.signature shape: E2BIG.
    seg = b"A" * (4 * MIB // 3)
    return (b"eyJ" + seg + b"." + seg + b"." + seg)[: 4 * MIB]


def pin_json_1mib_array():
    items = []
    size = 2
    i = 0
    while size < MIB:
        s = "value-%d-\u00e9\u4e2d" % i
        items.append(s if i % 3 else {"k%d" % i: [i, -i / 7, None, True]})
        size += len(json.dumps(items[-1])) + 2
        i += 1
    return json.dumps(items).encode()


def pin_json_deep_100000():
    # 100000 levels: far past the limit of 64 (EINVAL) and past jansson's 2048.
    return b"[" * 100000 + b"]" * 100000


def path_codec_1mib_name():
    # 1 MiB of name bytes: "a", "/" and "%" mixed, no NUL.
    return (b"ab/%c" * (MIB // 5 + 1))[:MIB]


GENERATORS = {
    "config-huge-routes.json": config_huge_routes,
    "config-huge-string.json": config_huge_string,
    "config-huge-truncated.json": config_huge_truncated,
    "policy-over-limit.json": policy_over_limit,
    "policy-many-bindings.json": policy_many_bindings,
    "claims-4mib-token.txt": claims_4mib_token,
    "pin_json-1mib-array.json": pin_json_1mib_array,
    "pin_json-deep-100000.json": pin_json_deep_100000,
    "path_codec-1mib-name.bin": path_codec_1mib_name,
}


def main(argv):
    if len(argv) < 2:
        print("usage: gen_corpus.py OUTPUT...", file=sys.stderr)
        return 2
    for out in argv[1:]:
        name = os.path.basename(out)
        if name not in GENERATORS:
            print("gen_corpus.py: unrecognized output \"%s\"" % name, file=sys.stderr)
            return 2
        with open(out, "wb") as f:
            f.write(GENERATORS[name]())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
