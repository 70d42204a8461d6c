#!/usr/bin/env python3
"""The generic plan of every named statement of the scheduler that names task or plan, as
the service prepares it (what a prepared statement keeps after five runs): a line a
statement, its name and what of task and plan it reads (index names, SEQSCAN:<table>, or the
node type), or ERROR and why.
Usage: sched_generic_plans.py SOURCE_ROOT STORE_URL
       sched_generic_plans.py SOURCE_ROOT --text NAME   (one statement's text)
(tests/e2e/114_task_indexes.sh, 266_plans_night_statistics.sh)."""
import json, re, subprocess, sys


def statements(root):
    """(name, text) of every named hf_query_t of scheduler_sql.h, macros expanded."""
    src = "".join(open(root + "/services/scheduler/" + f).read()
                  for f in ("scheduler_internal.h", "scheduler_sql.h"))
    src = re.sub(r'(?m)^#\s*include.*$', '', src)
    out = subprocess.run(["gcc", "-E", "-P", "-x", "c", "-"], input=src, capture_output=True,
                         text=True, check=True).stdout
    for m in re.finditer(r'static const hf_query_t \w+ = \{\s*"(\w+)",\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\}', out):
        text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2))).encode().decode("unicode_escape")
        yield m.group(1), text


def plan_uses(url, text):
    """What the generic plan of text reads of task and plan, or None and psql's error."""
    n = max([int(k) for k in re.findall(r'\$(\d+)', text)] or [0])
    args = "(" + ", ".join(["NULL"] * n) + ")" if n else ""
    script = ("SET search_path TO scheduler; SET plan_cache_mode = force_generic_plan;\n"
              "PREPARE q AS " + text + ";\nEXPLAIN (FORMAT JSON) EXECUTE q" + args + ";\n")
    r = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", url],
                       input=script, capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip().replace("\n", " ")
    uses = set()

    def walk(p):
        rel = p.get("Relation Name")
        if rel in ("task", "plan"):
            if p["Node Type"] == "Seq Scan":
                uses.add("SEQSCAN:" + rel)
            elif "Index Name" in p:
                uses.add(p["Index Name"])
            else:
                uses.add(p["Node Type"].replace(" ", ""))
        elif "Index Name" in p and p["Index Name"].startswith(("task", "plan")):
            uses.add(p["Index Name"])
        for c in p.get("Plans", []):
            walk(c)
    walk(json.loads(r.stdout)[0]["Plan"])
    return uses, None


def main():
    root = sys.argv[1]
    if sys.argv[2] == "--text":
        print(dict(statements(root))[sys.argv[3]])
        return
    for name, text in statements(root):
        if not re.search(r'\b(task|plan)\b(?!_)', text):
            continue
        uses, err = plan_uses(sys.argv[2], text)
        if uses is None:
            print(name, "ERROR", err)
        else:
            print(name, " ".join(sorted(uses)) or "-")


main()
