#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks the shipped monitoring examples against the metrics pinfs exports.

    check-dashboard.py METRICS_DUMP DASHBOARD_JSON RULES_YML

- the Grafana dashboard is valid JSON with a title, unique panel ids, a
  gridPos for every panel and at least one query per non-row panel;
- every metric name that the dashboard's queries and the Prometheus rules'
  "expr:" lines use (memory_pins_*, rbac_*, pinfs_*; histogram series by
  their family name) is a family that metrics_render() prints (METRICS_DUMP
  fills every family and prints the exposition text);
- every family the daemon exports is shown on at least one dashboard panel.
Exits 1 on any failure, printing each.
"""
import json
import re
import subprocess
import sys

NAME_RE = re.compile(r'\b((?:memory_pins|rbac|pinfs)_[a-z_]+)\b')


def families(dump):
    text = subprocess.run([dump], check=True, capture_output=True, text=True).stdout
    fams = {}
    for m in re.finditer(r'^# TYPE (\S+) (\S+)$', text, re.M):
        fams[m.group(1)] = m.group(2)
    if not fams:
        sys.exit(f'{dump} printed no "# TYPE" lines')
    return fams


def family_of(name, fams):
    if name in fams:
        return name
    for suffix in ('_bucket', '_sum', '_count'):
        base = name[:-len(suffix)] if name.endswith(suffix) else None
        if base and fams.get(base) == 'histogram':
            return base
    return None


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    dump, dashboard, rules = sys.argv[1:]
    fams = families(dump)
    failures = []

    try:
        dash = json.load(open(dashboard, encoding='utf-8'))
    except ValueError as e:
        sys.exit(f'FAIL {dashboard}: not valid JSON: {e}')
    if not dash.get('title'):
        failures.append(f'{dashboard}: no title')
    panels = dash.get('panels') or []
    if not panels:
        failures.append(f'{dashboard}: no panels')
    ids = [p.get('id') for p in panels]
    if len(ids) != len(set(ids)):
        failures.append(f'{dashboard}: duplicate panel ids {ids}')
    exprs = []
    for p in panels:
        if 'gridPos' not in p:
            failures.append(f'{dashboard}: panel "{p.get("title")}" has no gridPos')
        if p.get('type') == 'row':
            continue
        targets = [t.get('expr', '') for t in p.get('targets') or []]
        if not any(targets):
            failures.append(f'{dashboard}: panel "{p.get("title")}" has no query')
        exprs += [(f'{dashboard}: panel "{p.get("title")}"', e) for e in targets]

    for line in open(rules, encoding='utf-8'):
        m = re.match(r'^\s*expr:\s*(.+)$', line)
        if m:
            exprs.append((rules, m.group(1)))
    if not any(src == rules for src, _ in exprs):
        failures.append(f'{rules}: no "expr:" lines')

    shown = set()
    for src, expr in exprs:
        for name in NAME_RE.findall(expr):
            fam = family_of(name, fams)
            if fam is None:
                failures.append(f'{src}: "{name}" is not a metric pinfs exports')
            elif src != rules:
                shown.add(fam)
    for fam in sorted(set(fams) - shown):
        failures.append(f'{dashboard}: no panel shows {fam}')

    for f in failures:
        print('FAIL', f)
    if failures:
        sys.exit(1)
    print(f'ok: {len(panels)} panels, {len(exprs)} queries and rules over '
          f'{len(fams)} metric families')


if __name__ == '__main__':
    main()
