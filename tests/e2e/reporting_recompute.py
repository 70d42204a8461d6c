#!/usr/bin/env python3
"""Recomputes every figure of the report set from the raw records, independently of the
reporting service, and compares them with what the service answered.

The raw records: the producers' events as `huifang events export` wrote them (JSON lines),
and the scheduler's own task table (id, state, updated_at_ms as CSV, read with psql by the
test) for the final state of each plan step, which no event carries whole. Nothing here
reads reporting's tables or shares its code: each definition of README.md ("The reports")
is computed the plain way, from the full history, rather than by incremental rollups.

usage: reporting_recompute.py EVENTS.jsonl TASKS.csv ATTRIBUTION.json NOW_MS SPECS DIR
  SPECS: a file of "name|report|flags" lines; DIR holds NAME.json, the report's JSON lines.
Exits 0 when every row of every report matches, 1 after printing each difference.
"""
import csv
import datetime as dt
import json
import sys
from collections import defaultdict
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc


def ms_of(text):
    """RFC 3339 from hf_json ("2026-11-12T02:00:00.000Z") to UTC ms; 0 when absent."""
    if not text:
        return 0
    t = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return int(t.timestamp() * 1000)


def pct(num, den):
    if den <= 0:
        return ""
    tenths = (num * 2000 // den + 1) // 2
    return "%d.%d" % (tenths // 10, tenths % 10)


def yuan(fen):
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return "%s%d.%02d" % (sign, fen // 100, fen % 100)


def commission(value, bp):
    return (value * bp * 2 // 10000 + 1) // 2 if value > 0 and bp > 0 else 0


class World:
    """Everything the events say, in the order they happened."""

    def __init__(self, events, tasks_csv, attribution, now_ms):
        self.now_ms = now_ms
        self.tz = None
        self.agents = {}          # id -> (name, role)
        self.price = {}           # product -> price_fen (the latest)
        self.region_log = defaultdict(list)   # customer -> [(ms, region)]
        self.plan_tasks = {}      # task id -> dict(due_day, customer, plan)
        self.task_events = defaultdict(list)  # task id -> [(kind, ms, seq, payload task)]
        self.calls = []           # contacts
        self.consults = []
        self.leads = []           # (day, channel, source, collector, kind)
        self.purchases = []
        self.cards = []           # intake card events in order: (ms, customer, type, reason, merged)
        self.card_changes = []    # (ms, customer, to, reason) from card_type_changed
        self.merges = []
        self.screens = []         # (ms, reason)
        self.complaints = {}      # id -> last snapshot, plus opened agent/day
        self.complaint_days = defaultdict(lambda: defaultdict(int))
        self.branch = ""
        self.sched_state = {}
        self.sched_updated = {}
        with open(tasks_csv) as f:
            for row in csv.reader(f):
                if row:
                    self.sched_state[int(row[0])] = row[1]
                    self.sched_updated[int(row[0])] = int(row[2])
        self.rate_bp = attribution.get("rate_bp", 0)
        self.terminal = {m["region"]: m["terminal"] for m in attribution.get("terminals", [])}
        for e in events:
            self.take(e)

    def day(self, ms):
        return dt.datetime.fromtimestamp(ms / 1000, ZoneInfo(self.tz)).date()

    def region_at(self, customer, ms):
        region = ""
        for at, r in self.region_log.get(customer, []):
            if at <= ms and r:
                region = r
        return region

    def snapshot(self, ms, c):
        if not c:
            return
        self.region_log[c["id"]].append((ms, c.get("region", "")))
        self.cards.append((ms, c["id"], c.get("card_type") or "new",
                           c.get("void_reason", ""), c.get("merged_into", 0)))

    def take(self, e):
        ms = ms_of(e.get("occurred_at"))
        kind = next(k for k in e if k not in ("event_id", "producer", "seq", "occurred_at",
                                              "branch", "correlation_id"))
        p = e[kind]
        self.branch = e.get("branch") or self.branch
        if kind == "branch_upserted":
            self.tz = p["branch"].get("tz") or "Asia/Shanghai"
        elif kind == "agent_upserted":
            a = p["agent"]
            self.agents[a["id"]] = (a.get("name", ""), a.get("role", ""))
        elif kind == "product_upserted":
            self.price[p["product"]["code"]] = p["product"].get("price_fen", 0)
        elif kind in ("lead_registered", "lead_merged"):
            self.snapshot(ms, p.get("customer"))
            at = ms_of(p.get("collected_at")) or ms
            self.leads.append((self.day(at), p.get("channel", ""), p.get("source", ""),
                               p.get("collector", ""), "new" if kind == "lead_registered" else "dup"))
        elif kind == "lead_rejected":
            self.leads.append((self.day(ms), p.get("channel", ""), p.get("source", ""),
                               p.get("collector", ""), "rejected"))
        elif kind == "customer_updated":
            self.snapshot(ms, p.get("customer"))
        elif kind == "card_type_changed":
            self.cards.append((ms, p["customer_id"], p["to"], p.get("reason", ""), None))
        elif kind == "customers_merged":
            self.merges.append((ms, p["kept_id"], p["merged_id"]))
        elif kind == "purchase_recorded":
            self.snapshot(ms, p.get("customer"))
            self.purchases.append(p["purchase"])
        elif kind == "plan_started":
            for t in p.get("tasks", []):
                self.plan_tasks[t["id"]] = {"due_day": self.day(ms_of(t.get("due_at"))),
                                           "customer": t.get("customer_id"),
                                           "plan": p.get("plan_id")}
        elif kind in ("task_assigned", "task_claimed", "task_completed"):
            t = p["task"]
            self.task_events[t["id"]].append((kind, ms, e["seq"], t))
        elif kind == "tasks_assigned":
            # the assignment timer's batch: a task_assigned of each task, at the batch's seq
            for t in p.get("tasks", []):
                self.task_events[t["id"]].append(("task_assigned", ms, e["seq"], t))
        elif kind == "customer_screened":
            self.screens.append((ms, p.get("reason") or "unspecified"))
        elif kind == "call_logged":
            c = dict(p["contact"])
            c["ms"] = ms_of(c.get("logged_at")) or ms
            self.calls.append(c)
        elif kind == "consult_logged" and not p["consultation"].get("regulator"):
            # a regulator's call is not a consultation of the conversion rate
            c = p["consultation"]
            self.consults.append((self.day(ms_of(c.get("logged_at")) or ms), c.get("agent", ""),
                                  c.get("outcome") == "bought"))
        elif kind in ("complaint_opened", "complaint_changed", "complaint_escalated",
                      "complaint_resolved"):
            c = p["complaint"]
            known = self.complaints.get(c["id"])
            snap = {"state": c.get("state", ""), "due": ms_of(c.get("due_at")),
                    "resolved": ms_of(c.get("resolved_at")), "breaches": c.get("breaches", 0)}
            if kind == "complaint_resolved" and not snap["resolved"]:
                snap["resolved"] = ms
            if known is None:
                opened = ms_of(c.get("opened_at")) or ms
                agent = c.get("filed_by") or c.get("agent") or c.get("owner", "")
                src = c.get("source_contact_id", 0)
                for call in self.calls:
                    if src and call["id"] == src:
                        agent = call.get("agent", "")
                known = {"opened_day": self.day(opened), "agent": agent,
                         "category": c.get("category", ""), "resolved": 0, "breaches": 0}
                self.complaints[c["id"]] = known
            known["state"] = snap["state"]
            known["due"] = snap["due"]
            known["breaches"] = max(known["breaches"], snap["breaches"])
            if snap["resolved"]:
                known["resolved"] = snap["resolved"]
            elif snap["state"] not in ("resolved", "closed"):
                known["resolved"] = 0  # reopened
            if kind == "complaint_escalated":
                self.complaint_days[self.day(ms)]["escalations"] += 1
        elif kind == "return_requested":
            self.complaint_days[self.day(ms)]["requested"] += 1
        elif kind == "return_decided":
            r = p["request"]
            if r.get("state") == "approved":
                self.complaint_days[self.day(ms)]["approved"] += 1
                self.complaint_days[self.day(ms)]["refund"] += r.get("refund_fen", 0)
            elif r.get("state") == "rejected":
                self.complaint_days[self.day(ms)]["rejected"] += 1
        elif kind == "word_of_mouth_risk":
            self.complaint_days[self.day(ms)]["risks"] += 1

    # ---- plan steps and assignments ----

    def step_status(self, tid):
        """(status, done day) of a plan step: done, cancelled or open (the scheduler's table
        says which; the day it was done is the day of its TaskCompleted)."""
        state = self.sched_state.get(tid, "planned")
        if state == "done":
            done = [ms for k, ms, _, t in self.task_events[tid]
                    if k == "task_completed" and t.get("state") == "done"]
            return "done", self.day(done[0])
        if state == "cancelled":
            return "cancelled", None
        return "open", None

    def assignments(self):
        """Every assignment: (task, agent, bag day, counts as due, close day or None)."""
        calls_by_task = defaultdict(list)
        for c in self.calls:
            if c.get("task_id"):
                calls_by_task[c["task_id"]].append(c)
        out = []
        for tid, evs in self.task_events.items():
            evs = sorted(evs, key=lambda x: x[2])
            cancel_ms = self.sched_updated.get(tid) if self.sched_state.get(tid) == "cancelled" else None
            opened = []   # [agent, bag, start ms, claim no, close ms]
            done_ms = None
            for kind, ms, _, t in evs:
                if kind == "task_assigned":
                    if opened and opened[-1][4] is None:
                        opened[-1][4] = ms
                    opened.append([t["agent"], t.get("bag_date") or str(self.day(ms)), ms, None, None])
                elif kind == "task_claimed" and opened and opened[-1][4] is None:
                    opened[-1][3] = t.get("claims")
                elif kind == "task_completed" and done_ms is None:
                    done_ms = ms
            prev = None
            for a in opened:
                ends = [x for x in (a[4], done_ms, cancel_ms) if x is not None and x >= a[2]]
                ends += [c["ms"] for c in calls_by_task.get(tid, [])
                         if a[3] is not None and c.get("claim_no") == a[3]]
                close = self.day(min(ends)) if ends else None
                counts = prev != (a[0], a[1])
                prev = (a[0], a[1])
                out.append((tid, a[0], dt.date.fromisoformat(a[1]), counts, close))
        return out

    # ---- per agent ----

    def agent_figures(self, d0, d1):
        f = defaultdict(lambda: defaultdict(int))
        inside = lambda d: d0 <= d <= d1  # noqa: E731
        for tid, agent, bag, counts, close in self.assignments():
            if inside(bag) and counts:
                f[agent]["due"] += 1
            if bag <= d1 and (close is None or close > d1):
                f[agent]["overdue"] += 1
        for c in self.calls:
            d = self.day(c["ms"])
            if not inside(d):
                continue
            a = c.get("agent", "")
            if c.get("channel") == "visit":
                f[a]["visits"] += 1
                continue
            f[a]["attempts"] += 1
            f[a]["contacts"] += 1 if c.get("flags", {}).get("contacted") else 0
            if c.get("order_qty", 0) > 0:
                f[a]["orders"] += 1
                f[a]["value"] += c["order_qty"] * self.price.get(c.get("order_product", ""), 0)
        for d, agent, bought in self.consults:
            if inside(d):
                f[agent]["consults"] += 1
                f[agent]["bought"] += 1 if bought else 0
        for k in self.complaints.values():
            if inside(k["opened_day"]) and k["agent"]:
                f[k["agent"]]["complaints"] += 1
        return f


# ---- the reports ----

def agent_daily(w, d, only):
    f = w.agent_figures(d, d)
    ids = sorted(set(w.agents) | {a for a in f if a})
    phone, cons, vis = [], [], []
    tp, tc, tv = defaultdict(int), defaultdict(int), defaultdict(int)
    for a in ids:
        if only and a != only:
            continue
        name, role = w.agents.get(a, ("", ""))
        v = f[a]
        is_c, is_v = role == "consult", role in ("visit", "doctor")
        is_p = not is_c and not is_v and (role == "phone" or v["due"] or v["attempts"] or
                                           v["orders"] or v["complaints"] or v["overdue"] or
                                           (only and not v["consults"] and not v["visits"]))
        if is_p:
            phone.append([a, name, v["due"], v["attempts"], v["contacts"],
                          pct(v["contacts"], v["attempts"]), v["orders"], yuan(v["value"]),
                          v["complaints"], v["overdue"]])
            for k in v:
                tp[k] += v[k]
        if is_c or v["consults"]:
            cons.append([a, name, v["consults"], v["bought"], pct(v["bought"], v["consults"])])
            for k in v:
                tc[k] += v[k]
        if is_v or v["visits"]:
            vis.append([a, name, role, v["due"] if is_v else 0, v["visits"],
                        v["overdue"] if is_v else 0])
            if is_v:
                tv["due"] += v["due"]
                tv["overdue"] += v["overdue"]
            tv["visits"] += v["visits"]
    if not only:
        phone.append(["TOTAL", "", tp["due"], tp["attempts"], tp["contacts"],
                      pct(tp["contacts"], tp["attempts"]), tp["orders"], yuan(tp["value"]),
                      tp["complaints"], tp["overdue"]])
        cons.append(["TOTAL", "", tc["consults"], tc["bought"], pct(tc["bought"], tc["consults"])])
        vis.append(["TOTAL", "", "", tv["due"], tv["visits"], tv["overdue"]])
    tables = {"phone agents": phone, "consultation agents": cons, "visitors and doctors": vis}
    return {k: v for k, v in tables.items() if v}


def branch_weekly(w, d0, d1):
    f = w.agent_figures(d0, d1)
    rows, tot = [], defaultdict(int)
    for a in sorted(set(w.agents) | {a for a in f if a}):
        name, role = w.agents.get(a, ("", ""))
        v = f[a]
        staff = role in ("phone", "consult", "visit", "doctor")
        if not staff and not any(v.values()):
            continue
        for k in v:
            tot[k] += v[k]
        rows.append([a, name, role, v["due"], v["attempts"], v["contacts"],
                     pct(v["contacts"], v["attempts"]), v["orders"], yuan(v["value"]),
                     v["complaints"], v["overdue"], v["consults"], v["bought"], v["visits"]])
    rows.append(["TOTAL", "", "", tot["due"], tot["attempts"], tot["contacts"],
                 pct(tot["contacts"], tot["attempts"]), tot["orders"], yuan(tot["value"]),
                 tot["complaints"], tot["overdue"], tot["consults"], tot["bought"], tot["visits"]])
    today = w.day(w.now_ms)
    s = defaultdict(int)
    for tid, t in w.plan_tasks.items():
        status, done = w.step_status(tid)
        if status == "open" and t["due_day"] < today:
            s["backlog"] += 1
        if not d0 <= t["due_day"] <= d1:
            continue
        s["due"] += 1
        if status == "done":
            s["on_time" if done <= t["due_day"] else "late"] += 1
        elif status == "cancelled":
            s["cancelled"] += 1
        elif t["due_day"] < today:
            s["missed"] += 1
        else:
            s["pending"] += 1
    steps = [[s["due"], s["on_time"], s["late"], s["missed"], s["cancelled"], s["pending"],
              pct(s["on_time"], s["on_time"] + s["late"] + s["missed"]), s["backlog"]]]
    # cards: replay the intake card events; a change counts once, on its day
    card, merged = {}, set()
    flows = defaultdict(int)
    for ms, cid, to, reason, merged_into in sorted(w.cards, key=lambda x: x[0]):
        if cid in merged:
            continue
        before = card.get(cid)
        if before is None:
            flows[(w.day(ms), "", to, reason if to == "void" else "")] += 1
        elif before != to:
            flows[(w.day(ms), before, to, reason if to == "void" else "")] += 1
        card[cid] = to
        if merged_into:
            merged.add(cid)
    for ms, kept, gone in w.merges:
        merged.add(gone)
    out = defaultdict(int)
    for (d, fr, to, reason), n in flows.items():
        if d0 <= d <= d1 and to == "void" and fr:
            out[("void", reason or "(none)")] += n
    for ms, reason in w.screens:
        if d0 <= w.day(ms) <= d1:
            out[("screened", reason)] += 1
    cards_out = [[k, r, n] for (k, r), n in sorted(out.items())]
    funnel = []
    for t in ("new", "one-on-one", "customer", "void"):
        entered = sum(n for (d, fr, to, _), n in flows.items() if d0 <= d <= d1 and to == t)
        left = sum(n for (d, fr, to, _), n in flows.items() if d0 <= d <= d1 and fr == t)
        now = sum(1 for cid, ty in card.items() if ty == t and cid not in merged)
        funnel.append([t, entered, left, now])
    return {"agents": rows, "plan steps": steps, "cards out": cards_out, "card funnel": funnel}


def collection(w, d0, d1):
    tables = {}
    for title, idx in (("by channel", 1), ("by source", 2), ("by collector", 3)):
        agg = defaultdict(lambda: [0, 0, 0])
        for lead in w.leads:
            if d0 <= lead[0] <= d1:
                agg[lead[idx]][("new", "dup", "rejected").index(lead[4])] += 1
        rows, tot = [], [0, 0, 0]
        for key in sorted(agg):
            v = agg[key]
            tot = [a + b for a, b in zip(tot, v)]
            rows.append([key or "(none)"] + v + [sum(v)])
        rows.append(["TOTAL"] + tot + [sum(tot)])
        tables[title] = rows
    return tables


def repurchase(w, month, days):
    by_customer = defaultdict(list)
    for p in w.purchases:
        by_customer[p["customer_id"]].append(p)
    agg = defaultdict(lambda: [0, 0])
    for plist in by_customer.values():
        plist.sort(key=lambda p: (p["nth"], p["id"]))
        for i, p in enumerate(plist):
            end = dt.date.fromisoformat(p["supply_end"])
            if end.strftime("%Y-%m") != month:
                continue
            key = (p["product"], p.get("plan", ""))
            agg[key][0] += 1
            if i + 1 < len(plist):
                gap = (dt.date.fromisoformat(plist[i + 1]["date"]) - end).days
                if gap <= days:
                    agg[key][1] += 1
    rows, e, g = [], 0, 0
    for key in sorted(agg):
        v = agg[key]
        e, g = e + v[0], g + v[1]
        rows.append([key[0], key[1], v[0], v[1], pct(v[1], v[0])])
    rows.append(["TOTAL", "", e, g, pct(g, e)])
    return {"supply ended in %s, repurchased within %d days" % (month, days): rows}


def complaints(w, d0, d1):
    now = w.now_ms
    s = defaultdict(int)
    cat = defaultdict(lambda: defaultdict(int))
    for k in w.complaints.values():
        if not d0 <= k["opened_day"] <= d1:
            continue
        r, due = k["resolved"], k["due"]
        breached = k["breaches"] > 0 or (due > 0 and due < (r or now))
        kind = ("late" if breached else "in_time") if r else ("overdue" if breached else "open")
        s["opened"] += 1
        s[kind] += 1
        c = cat[k["category"] or "(none)"]
        c["opened"] += 1
        c[kind] += 1
    d = defaultdict(int)
    for day, v in w.complaint_days.items():
        if d0 <= day <= d1:
            for key, n in v.items():
                d[key] += n
    main = [[s["opened"], s["in_time"], s["late"], s["overdue"], s["open"],
             s["late"] + s["overdue"], pct(s["in_time"], s["in_time"] + s["late"] + s["overdue"]),
             d["escalations"], d["requested"], d["approved"], d["rejected"], yuan(d["refund"]),
             d["risks"]]]
    by = [[k, v["opened"], v["in_time"], v["late"] + v["overdue"], v["open"]]
          for k, v in sorted(cat.items())]
    return {"complaints": main, "by category": by}


def sales_attribution(w, month):
    rows = defaultdict(lambda: [0, 0, 0])
    for c in w.calls:
        if c.get("order_qty", 0) <= 0 or w.day(c["ms"]).strftime("%Y-%m") != month:
            continue
        term = w.terminal.get(w.region_at(c.get("customer_id"), c["ms"]), "")
        v = rows[(term, c.get("agent", ""))]
        v[0] += 1
        v[1] += c["order_qty"]
        v[2] += c["order_qty"] * w.price.get(c.get("order_product", ""), 0)
    order = sorted(rows, key=lambda k: (k[0] == "", k[0], k[1]))
    detail, terms, agents = [], defaultdict(lambda: [0, 0, 0]), defaultdict(lambda: [0, 0])
    tot = [0, 0, 0]
    for k in order:
        v = rows[k]
        detail.append([k[0] or "(unmapped)", k[1], v[0], v[1], yuan(v[2])])
        tot = [a + b for a, b in zip(tot, v)]
        terms[k[0]] = [a + b for a, b in zip(terms[k[0]], v)]
        agents[k[1]][0] += v[0]
        agents[k[1]][1] += v[2]
    detail.append(["TOTAL", "", tot[0], tot[1], yuan(tot[2])])
    tt = [[t or "(unmapped)", v[0], v[1], yuan(v[2])]
          for t, v in sorted(terms.items(), key=lambda kv: (kv[0] == "", kv[0]))]
    rate = "%d.%02d" % (w.rate_bp // 100, w.rate_bp % 100)
    cm, ctotal = [], 0
    for a in sorted(agents):
        c = commission(agents[a][1], w.rate_bp)
        ctotal += c
        cm.append([a, agents[a][0], yuan(agents[a][1]), rate, yuan(c)])
    cm.append(["TOTAL", tot[0], yuan(tot[2]), rate, yuan(ctotal)])
    return {"orders by terminal and agent": detail, "terminals": tt, "commissions": cm}


# ---- comparing ----

def week_range(text):
    y, wk = int(text[:4]), int(text[6:])
    monday = dt.date.fromisocalendar(y, wk, 1)
    return monday, monday + dt.timedelta(days=6)


def expected(w, report, flags):
    opt = dict(zip(flags[::2], flags[1::2]))
    if report == "agent-daily":
        return agent_daily(w, dt.date.fromisoformat(opt["--date"]), opt.get("--agent"))
    if report == "branch-weekly":
        return branch_weekly(w, *week_range(opt["--week"]))
    if report == "collection":
        return collection(w, *week_range(opt["--week"]))
    if report == "repurchase":
        return repurchase(w, opt["--month"], int(opt.get("--days", 30)))
    if report == "complaints":
        return complaints(w, *week_range(opt["--week"]))
    if report == "sales-attribution":
        return sales_attribution(w, opt["--month"])
    raise SystemExit("unknown report " + report)


def as_cells(row, columns):
    """A JSON row of the service back to text cells, for comparison."""
    out = []
    for c in columns:
        v = row[c]
        if v is None:
            out.append("")
        elif isinstance(v, float):
            out.append(v)
        else:
            out.append(v)
    return out


def same(want, got):
    if isinstance(got, float):
        return want != "" and abs(float(want) - got) < 1e-9
    return str(want) == str(got)


def main():
    events_file, tasks_csv, attribution_file, now_ms, specs_file, folder = sys.argv[1:7]
    with open(events_file) as f:
        events = [json.loads(line) for line in f if line.strip()]
    with open(attribution_file) as f:
        attribution = json.loads(f.read() or "{}")
    w = World(events, tasks_csv, attribution, int(now_ms))
    problems = 0
    checked = 0
    with open(specs_file) as f:
        specs = [line.strip().split("|") for line in f if line.strip()]
    for name, report, flags in specs:
        want = expected(w, report, flags.split())
        got = defaultdict(list)
        with open("%s/%s.json" % (folder, name)) as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    got[row["table"]].append(row)
        for table in sorted(set(want) | set(got)):
            wrows, grows = want.get(table, []), got.get(table, [])
            if not wrows and not grows:
                continue
            if len(wrows) != len(grows):
                print("%s / %s: %d rows recomputed, %d reported" % (name, table, len(wrows), len(grows)))
                print("  recomputed: %s" % wrows)
                print("  reported:   %s" % [list(r.values())[4:] for r in grows])
                problems += 1
                continue
            for wr, gr in zip(wrows, grows):
                cols = [k for k in gr if k not in ("report", "branch", "period", "table")]
                cells = as_cells(gr, cols)
                checked += len(cells)
                if len(cells) != len(wr) or not all(same(a, b) for a, b in zip(wr, cells)):
                    print("%s / %s: recomputed %s, reported %s" % (name, table, wr, cells))
                    problems += 1
    print("cross-check: %d reports, %d figures compared, %d differences"
          % (len(specs), checked, problems))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
