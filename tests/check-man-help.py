#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Keeps the man pages in step with the programs.

    check-man-help.py PINFS PINCTL MANDIR CONFIG_C

- every option that "pinfs --help" prints is a tag in pinfs(8)'s OPTIONS
  section, and every option tagged there is in --help;
- neither --help lists an option (or a command) twice;
- every option and command that "pinctl --help" prints is a tag in
  pinctl(8)'s OPTIONS or COMMANDS section, and the other way round;
- every key of src/config.c's field tables is a tag in pinfs.json(5)'s KEYS
  section, and the other way round;
- the three pages format without troff warnings (when groff is installed).

Prints what is missing where and exits 1 on any difference.
"""
import re
import shutil
import subprocess
import sys

OPT_RE = re.compile(r'(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])')
O_RE = re.compile(r'(?<![\w-])-o\s+([a-z_]+)')


def help_text(exe):
    out = subprocess.run([exe, '--help'], check=True, capture_output=True, text=True,
                         env={'LC_ALL': 'C', 'PATH': '/usr/bin:/bin'}).stdout
    if not out.strip():
        sys.exit(f'{exe} --help printed nothing')
    return out


def options_in(text):
    """-x, --long and "-o name" (as "-o name") mentioned in text."""
    found = set()
    for m in O_RE.finditer(text):
        found.add('-o ' + m.group(1))
    for m in OPT_RE.finditer(O_RE.sub(' ', text)):
        found.add(m.group(1))
    return found


def help_options(text, commands=False):
    """Options of a --help text's option lines (indented, starting with a dash),
    and with commands=True the "cmd [subcmd]" of lines indented by two spaces.
    Returns a list: an option listed twice is in it twice."""
    found = []
    for line in text.splitlines():
        m = re.match(r'^(\s+)(\S.*)$', line)
        if not m:
            continue
        body = m.group(2)
        if body.startswith('-'):
            # Only the option column: the leading 2+-space-separated fields
            # that start with a dash ("-h   --help   print ..." -> -h, --help).
            for field in re.split(r'\s{2,}', body):
                if not field.startswith('-'):
                    break
                found += sorted(options_in(field))
        elif commands and len(m.group(1)) == 2 and re.match(r'[a-z]', body):
            words = body.split()
            cmd = words[0]
            if len(words) > 1 and re.fullmatch(r'[a-z]+', words[1]):
                cmd += ' ' + words[1]
            found.append(cmd)
            # A command's own options belong to it ("seed --file", "token mint --key").
            found += [cmd + ' ' + o for o in sorted(options_in(body))]
        elif commands and len(m.group(1)) > 2 and body.startswith('[') and found:
            # Continuation lines of the last command's synopsis.
            cmd = next(f for f in reversed(found) if not f.startswith('-') and ' -' not in f)
            found += [cmd + ' ' + o for o in sorted(options_in(body))]
    return found


def no_duplicates(what, listed):
    """Fails on an entry that a --help list names more than once."""
    seen, dups = set(), []
    for o in listed:
        if o in seen and o not in dups:
            dups.append(o)
        seen.add(o)
    for o in dups:
        print(f'FAIL {what}: "{o}" is listed {listed.count(o)} times in --help')
    if not dups:
        print(f'ok   {what}: no option is listed twice in --help')
    return not dups


def strip_cmd(entries):
    """ "seed --file" -> "--file": the man pages tag options without their command."""
    return {e.split(' ', 2)[-1] if ' -' in e else e for e in entries}


def roff_plain(s):
    s = re.sub(r'\\f[BIRP]', '', s)
    s = s.replace('\\-', '-').replace('\\(em', '-').replace('\\e', '\\')
    s = re.sub(r'^\.(B|I|BR|RB|BI|IB|IR|RI)\s+', '', s)
    return s.replace('"', '')


def man_tags(path, sections, commands=False):
    """Tags (the line after .TP) in the named sections, as options/commands."""
    found = set()
    section = None
    lines = open(path, encoding='utf-8').read().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith('.SH'):
            section = line[3:].strip().strip('"')
        elif line.startswith('.TP') and section in sections and i + 1 < len(lines):
            tag = lines[i + 1]
            # A multi-line tag (".B token mint" then ".BI --sub S" ...) runs to .br.
            j = i + 2
            while commands and j < len(lines) and re.match(r'^\.(B|BI|RB)\s', lines[j]) \
                    and not lines[j].startswith('.br'):
                tag += ' ' + lines[j]
                j += 1
            plain = ' '.join(roff_plain(t) for t in re.split(r'(?=\.(?:B|BI|RB|BR|I)\s)', tag))
            plain = ' '.join(plain.split())
            opts = options_in(plain)
            found |= opts
            if commands and re.match(r'[a-z]', plain):
                words = plain.split()
                cmd = words[0]
                if len(words) > 1 and re.fullmatch(r'[a-z]+', words[1]):
                    cmd += ' ' + words[1]
                found.add(cmd)
        i += 1
    return found


def config_keys(config_c):
    src = open(config_c, encoding='utf-8').read()
    keys = set(re.findall(r'\{"([a-z_]+)",\s*F_[A-Z]+', src))
    if not keys:
        sys.exit(f'no field tables found in {config_c}')
    return keys


def compare(what, expected, documented, exp_name, doc_name):
    ok = True
    for o in sorted(expected - documented):
        print(f'FAIL {what}: "{o}" is in {exp_name} but not in {doc_name}')
        ok = False
    for o in sorted(documented - expected):
        print(f'FAIL {what}: "{o}" is in {doc_name} but not in {exp_name}')
        ok = False
    if ok:
        print(f'ok   {what}: {len(expected)} entries agree: {", ".join(sorted(expected))}')
    return ok


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    pinfs, pinctl, mandir, config_c = sys.argv[1:]
    ok = True

    pinfs_help = help_options(help_text(pinfs))
    ok &= no_duplicates('pinfs', pinfs_help)
    # "-o debug" is the long form of -d; both are printed and both documented.
    ok &= compare('pinfs', set(pinfs_help), man_tags(f'{mandir}/pinfs.8', {'OPTIONS'}),
                  'pinfs --help', 'pinfs(8) OPTIONS')

    pinctl_help = help_options(help_text(pinctl), commands=True)
    ok &= no_duplicates('pinctl', pinctl_help)
    ok &= compare('pinctl', strip_cmd(pinctl_help),
                  man_tags(f'{mandir}/pinctl.8', {'OPTIONS', 'COMMANDS'}, commands=True),
                  'pinctl --help', 'pinctl(8) OPTIONS/COMMANDS')

    keys = config_keys(config_c)
    man_keys = set()
    section = None
    lines = open(f'{mandir}/pinfs.json.5', encoding='utf-8').read().splitlines()
    for i, line in enumerate(lines):
        if line.startswith('.SH'):
            section = line[3:].strip()
        elif line.startswith('.TP') and section == 'KEYS':
            m = re.match(r'^\.B\s+([a-z_]+)\s*$', lines[i + 1])
            if m:
                man_keys.add(m.group(1))
    ok &= compare('pinfs.json', keys, man_keys, 'src/config.c', 'pinfs.json(5) KEYS')

    # The pages must format without troff warnings (when groff is there).
    if shutil.which('groff'):
        for page in ('pinfs.8', 'pinctl.8', 'pinfs.json.5'):
            res = subprocess.run(['groff', '-man', '-ww', '-z', '-Tutf8', f'{mandir}/{page}'],
                                 capture_output=True, text=True, env={'LC_ALL': 'C', 'PATH': '/usr/bin:/bin'})
            if res.returncode != 0 or res.stderr.strip() or res.stdout.strip():
                print(f'FAIL {page}: groff -ww: {res.stderr.strip() or res.stdout.strip()}')
                ok = False
            else:
                print(f'ok   {page} formats without warnings')
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
