#!/usr/bin/env python3
"""Prints, as Markdown, every event of the Envelope and the fields of every message an event
carries, with the comments of the .proto files: the "Events and their fields" section of
services/reporting/README.md is this script's output.

    python3 services/reporting/examples/event_fields.py [proto/] > fields.md
"""
import os
import re
import sys

FIELD = re.compile(r"^\s*(repeated\s+)?([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;\s*(//\s*(.*))?$")


def parse(folder):
    """{message: {"comment": str, "fields": [(label, type, name, number, comment)]}} and the
    file each message comes from."""
    messages, files = {}, {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".proto"):
            continue
        lines = open(os.path.join(folder, name), encoding="utf-8").read().splitlines()
        comment, current, depth, oneof = [], None, 0, False
        for line in lines:
            s = line.strip()
            if depth == 0:
                m = re.match(r"^message\s+(\w+)\s*\{(.*)$", s)
                if m:
                    current = m.group(1)
                    messages[current] = {"comment": " ".join(comment), "fields": []}
                    files[current] = name
                    comment = []
                    rest = m.group(2).split("//")[0].strip()
                    depth = 1
                    if rest.endswith("}"):  # message X { T f = 1; }
                        for part in rest[:-1].split(";"):
                            fm = FIELD.match(part.strip() + ";")
                            if fm:
                                messages[current]["fields"].append(
                                    (fm.group(1) or "", fm.group(2), fm.group(3), int(fm.group(4)), ""))
                        depth = 0
                    continue
                comment = comment + [s[2:].strip()] if s.startswith("//") else []
                continue
            if s.startswith("oneof"):
                oneof = True
            elif s.startswith("}"):
                if oneof:
                    oneof = False
                else:
                    depth = 0
            else:
                fm = FIELD.match(s)
                if fm:
                    messages[current]["fields"].append(
                        ((fm.group(1) or "").strip(), fm.group(2), fm.group(3), int(fm.group(4)),
                         (fm.group(6) or "").strip()))
    return messages, files


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "proto")
    folder = os.path.join(folder, "huifang", "v1")
    messages, files = parse(folder)
    env = messages["Envelope"]
    print("| # | payload (topic `<producer>.<payload>/<branch>`) | message | defined in |")
    print("|---|---|---|---|")
    payloads = [f for f in env["fields"] if f[3] >= 9]
    for _, typ, name, num, comment in payloads:
        print("| %d | `%s` | %s | %s |" % (num, name, typ, files.get(typ, "")))
    print()
    print("Every event is an `Envelope`: %s." % ", ".join(
        "`%s` (%s)" % (f[2], f[4] or f[1]) for f in env["fields"] if f[3] < 9))
    print()
    # the messages the payloads carry, and the ones those carry, each once
    todo = [f[1] for f in payloads]
    done = []
    while todo:
        m = todo.pop(0)
        if m in done or m not in messages:
            continue
        done.append(m)
        for f in messages[m]["fields"]:
            if f[1] in messages and f[1] not in done:
                todo.append(f[1])
    for m in done:
        msg = messages[m]
        note = msg["comment"] if msg["comment"] not in ("events", "commands") else ""
        print("**%s** (%s)%s" % (m, files[m], ": " + note if note else ""))
        print()
        if not msg["fields"]:
            print("no fields")
            print()
            continue
        print("| field | type | meaning |")
        print("|---|---|---|")
        for label, typ, name, num, comment in msg["fields"]:
            t = ("repeated " if label else "") + typ
            print("| %s = %d | %s | %s |" % (name, num, t, comment.replace("|", "\\|")))
        print()


if __name__ == "__main__":
    main()
