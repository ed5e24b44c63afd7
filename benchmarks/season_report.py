"""Prints the figures of benchmarks/season_load.sh from what its Locust runs left in OUT.

    season_report.py OUT MODEL... [--strict] [--title TEXT]

For each MODEL (open, closed): per kind of request its count, rate, p50/p95/p99 and
errors, and the ratio of its p50 and p95 to those of the model's baseline from the same
run (the bare one-query route, ``bare_MODEL``); then the sign-ins (kept out of the
window), the consolidations and, for the open model, whether the load generator kept to
its schedule. ``--strict`` (CI): exit 1 on any error or if a run left no figures — never
on latency.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

GOAL_P95_MS = 300


def read(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.exists() else None


def line(name: str, row: dict[str, Any], base: dict[str, Any] | None) -> str:
    ratio = ""
    if base and base["p50"] and base["p95"]:
        ratio = f" {row['p50'] / base['p50']:>7.1f}x {row['p95'] / base['p95']:>7.1f}x"
    return (f"{name:<34} {row['count']:>6} {row['per_s']:>6.1f} {row['p50']:>7.0f} "
            f"{row['p95']:>7.0f} {row['p99']:>7.0f} {row['errors']:>6}{ratio}")


def model(out: Path, name: str) -> list[str]:
    """Prints one model's figures; returns its problems (for --strict)."""
    stats, bare = read(out / f"{name}_stats.json"), read(out / f"bare_{name}_stats.json")
    notes = read(out / f"{name}_notes.json") or {}
    signins = read(out / f"{name}_signins.json")
    problems = []
    rate = (f", {notes['rate_per_s']} requests/s arriving ({notes['officer_rate']} officers', "
            f"{notes['leader_rate']} leaders')") if "officer_rate" in notes else ""
    print(f"-- {name} model, window {notes.get('window_s', '?')} s{rate}")
    if stats is None or not stats["window_opened"] or not stats["all"]["count"]:
        print("   no figures: the run did not reach its window (see its log in OUT)")
        return [f"{name}: no figures"]
    base = bare["all"] if bare and bare["all"]["count"] else None
    print(f"{'request':<34} {'count':>6} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'p99 ms':>7} {'errors':>6} {'p50/base':>8} {'p95/base':>8}")
    for kind, row in stats["requests"].items():
        if row["count"]:     # (the sign-ins' rows stay, emptied, after the reset)
            print(line(kind, row, base))
    print(line("all platform requests", stats["all"], base))
    if base:
        print(line("baseline: one query", base, None))
    else:
        problems.append(f"{name}: no baseline figures")
    for error in stats["errors"]:
        print(f"error: {error['name']}: {error['error']} x{error['count']}")
    if stats["all"]["errors"]:
        problems.append(f"{name}: {stats['all']['errors']} errors")
    slow = [k for k, r in stats["requests"].items() if r["p95"] > GOAL_P95_MS]
    print(f"goal (p95 <= {GOAL_P95_MS} ms for every kind, no error): "
          + ("met" if not slow and not stats["all"]["errors"] else
             "missed" + (f" (p95 above it: {', '.join(slow)})" if slow else "")
             + (f" ({stats['all']['errors']} errors)" if stats["all"]["errors"] else "")))
    if signins:
        posts = signins.get("POST sign in", {})
        print(f"sign-ins before the window (not in it): {signins['people']} people in "
              f"{signins['seconds']} s, p50 {posts.get('p50', 0):.0f} ms, p95 "
              f"{posts.get('p95', 0):.0f} ms, max {posts.get('max', 0):.0f} ms, "
              f"{posts.get('errors', 0)} errors, {signins['refused 503, tried again']} "
              "refused by the hashing gate and tried again")
    for when in ("before the window", "during the window"):
        run = notes.get(f"consolidation {when}")
        if run:
            print(f"consolidation of province {run['province']} ({run['year']}) {when}: "
                  f"{run['status']} in {run['seconds']} s")
            if run["status"] != "done":
                problems.append(f"{name}: the consolidation {when} {run['status']}")
        else:
            print(f"consolidation {when}: none finished in the run")
            problems.append(f"{name}: no consolidation {when}")
    refused = notes.get("submits refused by the report's checks")
    if refused:
        print(f"submits refused by the report's checks (a 422 page, counted as answered): "
              f"{refused}")
    if "issued" in notes:
        print(f"load generator: {notes['issued']} requests issued in the window, "
              f"{notes['late_starts']} started over 100 ms late, {notes['unanswered']} "
              "unanswered at the end")
    if base:
        s = stats["all"]
        print(f"ratio platform / baseline: p50 {s['p50'] / base['p50']:.1f}x, "
              f"p95 {s['p95'] / base['p95']:.1f}x, throughput {s['per_s'] / base['per_s']:.2f}x")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("models", nargs="+", choices=["open", "closed"])
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--title", default="")
    args = parser.parse_args()
    print(f"== report season{': ' + args.title if args.title else ''}")
    problems = []
    for name in args.models:
        problems += model(args.out, name)
    if problems:
        print("problems: " + "; ".join(problems))
    return 1 if args.strict and problems else 0


if __name__ == "__main__":
    sys.exit(main())
