"""Prints the figures of benchmarks/season_load.sh from Locust's CSV statistics."""

from __future__ import annotations

import csv
import sys
from pathlib import Path


def rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open() as handle:
        return {row["Name"]: row for row in csv.DictReader(handle)}


def line(name: str, row: dict[str, str]) -> str:
    return (f"{name:<28} {int(row['Request Count']):>7} {float(row['Requests/s']):>8.1f} "
            f"{row['50%']:>7} {row['95%']:>7} {row['99%']:>7} {int(row['Failure Count']):>7}")


def main(out: Path) -> None:
    season, bare = rows(out / "season_stats.csv"), rows(out / "bare_stats.csv")
    print(f"{'request':<28} {'count':>7} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'p99 ms':>7} {'errors':>7}")
    for name, row in season.items():
        if name != "Aggregated":
            print(line(name, row))
    print(line("all platform requests", season["Aggregated"]))
    print(line("baseline: one query", bare["Aggregated"]))
    consolidations = out / "consolidations.txt"
    if consolidations.exists():
        print(consolidations.read_text().strip())
    s, b = season["Aggregated"], bare["Aggregated"]
    print(f"ratio platform / baseline: p50 {float(s['50%']) / float(b['50%']):.1f}x, "
          f"p95 {float(s['95%']) / float(b['95%']):.1f}x, "
          f"throughput {float(s['Requests/s']) / float(b['Requests/s']):.2f}x "
          "(the same users and think time: near 1 means the platform keeps up)")
    failures = out / "season_failures.csv"
    if failures.exists():
        with failures.open() as handle:
            for row in csv.DictReader(handle):
                print(f"error: {row['Method']} {row['Name']}: {row['Error']} x{row['Occurrences']}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
