#!/usr/bin/env python3
"""Prints the id of every task assigned in the events read from stdin (JSON lines of
`huifang events tail` or `events export`), one a line, in the events' order: a task_assigned's
task and each of a tasks_assigned's tasks (the assignment timer's batch, issue 14). A task
assigned twice is printed twice. Usage:
    huifang events tail --from-seq 1 --topic scheduler.task --no-follow | assigned_tasks.py"""
import json
import sys

for line in sys.stdin:
    line = line.strip()
    if not line.startswith("{"):
        continue
    ev = json.loads(line)
    tasks = []
    if "task_assigned" in ev:
        tasks = [ev["task_assigned"].get("task", {})]
    elif "tasks_assigned" in ev:
        tasks = ev["tasks_assigned"].get("tasks", [])
    for t in tasks:
        print(t.get("id", ""))
