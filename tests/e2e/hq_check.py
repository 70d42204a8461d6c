#!/usr/bin/env python3
"""tests/e2e/hq_check.py: checks a headquarters report against the branches' own reports.

    hq_check.py REPORT HQ.csv BRANCH=BRANCH.csv ...

Each CSV is `huifang report REPORT --format csv` output ("# title" before each table). The
headquarters report must hold one row per branch given, in code order, then TOTAL; each
branch's row must equal the totals of that branch's own report (the same figure under the
same column name, or the sum the README defines); the TOTAL row must be the sum of the rows
(rates: recomputed from the sums). Prints what differs and exits 1, or prints "ok"."""
import csv
import io
import sys
from decimal import Decimal


def tables(path):
    out, title, rows = {}, None, []
    for line in open(path, encoding="utf-8").read().splitlines():
        if line.startswith("# "):
            if title is not None:
                out[title] = list(csv.DictReader(io.StringIO("\n".join(rows))))
            title, rows = line[2:], []
        elif line:
            rows.append(line)
    if title is not None:
        out[title] = list(csv.DictReader(io.StringIO("\n".join(rows))))
    return out


def num(v):
    return Decimal(v) if v not in ("", None) else Decimal(0)


def total_row(t, key):
    rows = [r for r in t if r[key] == "TOTAL"]
    return rows[0] if rows else t[0]


def pct(a, b):
    if b == 0:
        return ""
    tenths = (int(a) * 2000 // int(b) + 1) // 2  # as rep_fmt_pct: rounded half up
    return f"{tenths // 10}.{tenths % 10}"


def expected(report, own):
    """The figures a branch's hq row must show, from its own report."""
    if report == "agent-daily":
        ph = total_row(own["phone agents"], "agent")
        cs = total_row(own["consultation agents"], "agent")
        vs = total_row(own["visitors and doctors"], "agent")
        return {"tasks_due": num(ph["tasks_due"]) + num(vs["tasks_due"]),
                "attempts": num(ph["attempts"]), "contacts": num(ph["contacts"]),
                "orders": num(ph["orders"]), "order_value": num(ph["order_value"]),
                "complaints": num(ph["complaints"]),
                "overdue": num(ph["overdue"]) + num(vs["overdue"]),
                "consultations": num(cs["consultations"]), "consult_purchases": num(cs["purchases"]),
                "visits": num(vs["visits"])}
    if report == "branch-weekly":
        ag = total_row(own["agents"], "agent")
        want = {k: num(ag[k]) for k in ("tasks_due", "attempts", "contacts", "orders",
                                        "order_value", "complaints", "overdue", "consultations",
                                        "consult_purchases", "visits")}
        st = own["plan steps"][0]
        want.update({"steps." + k: num(st[k]) for k in st if k != "on_time_pct"})
        return want
    if report == "collection":
        t = total_row(own["by channel"], "channel")
        return {k: num(t[k]) for k in ("new", "duplicates", "rejected", "total")}
    if report == "repurchase":
        t = total_row(list(own.values())[0], "product")
        return {k: num(t[k]) for k in ("ended", "repurchased")}
    if report == "complaints":
        t = own["complaints"][0]
        return {k: num(t[k]) for k in t if not k.endswith("_pct")}
    if report == "sales-attribution":
        t = total_row(own["orders by terminal and agent"], "terminal")
        c = total_row(own["commissions"], "agent")
        return {"orders": num(t["orders"]), "units": num(t["units"]), "value": num(t["value"]),
                "commission": num(c["commission"])}
    raise SystemExit("unknown report " + report)


def main():
    report, hq_path = sys.argv[1], sys.argv[2]
    branches = dict(a.split("=", 1) for a in sys.argv[3:])
    hq = tables(hq_path)
    errors = []
    main_title = [t for t in hq if t != "plan steps by branch"][0]
    rows = {r["branch"]: r for r in hq[main_title]}
    steps = {r["branch"]: r for r in hq.get("plan steps by branch", [])}
    order = [r["branch"] for r in hq[main_title]]
    if order != sorted(branches) + ["TOTAL"]:
        errors.append(f"rows {order}, want {sorted(branches) + ['TOTAL']}")
    for code, path in branches.items():
        want = expected(report, tables(path))
        for k, v in want.items():
            got_row = steps.get(code) if k.startswith("steps.") else rows.get(code)
            col = k[6:] if k.startswith("steps.") else k
            if got_row is None or col not in got_row:
                errors.append(f"{code}: no column {k}")
            elif num(got_row[col]) != v:
                errors.append(f"{code}: {k} = {got_row[col]}, its own report says {v}")
    for title, t in hq.items():
        body = [r for r in t if r["branch"] != "TOTAL"]
        tot = [r for r in t if r["branch"] == "TOTAL"]
        if len(tot) != 1:
            errors.append(f"{title}: {len(tot)} TOTAL rows")
            continue
        for col in t[0]:
            if col == "branch" or col == "rate_pct" or col.endswith("_pct"):
                continue
            s = sum(num(r[col]) for r in body)
            if num(tot[0][col]) != s:
                errors.append(f"{title}: TOTAL {col} = {tot[0][col]}, the rows sum to {s}")
        for col, (a, b) in {"contact_rate_pct": ("contacts", ["attempts"]),
                            "share_pct": ("repurchased", ["ended"]),
                            "on_time_pct": ("on_time", ["on_time", "late", "missed"]),
                            "in_time_pct": ("resolved_in_time",
                                            ["resolved_in_time", "resolved_late", "open_overdue"])
                            }.items():
            if col in t[0]:
                r = tot[0]
                want = pct(num(r[a]), sum(num(r[x]) for x in b))
                if r[col] != want:
                    errors.append(f"{title}: TOTAL {col} = {r[col]}, want {want}")
    if errors:
        print("\n".join(errors))
        sys.exit(1)
    print("ok")


main()
