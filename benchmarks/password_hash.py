"""What one sign-in's password check costs, before and after issue 22 (item 3).

Prints the wall and CPU time of one argon2id verification with the parameters in use
(OWASP's m=19 MiB, t=2, p=1) and, as the baseline of the same run, with argon2-cffi's
defaults the platform used before (t=3, m=64 MiB, p=4); then the sign-ins a second this
machine can check with 4 processes at once (the web workers), each way.

    .venv/bin/python benchmarks/password_hash.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argon2 import PasswordHasher  # noqa: E402

from portal.accounts.passwords import OWASP_ARGON2ID  # noqa: E402

PROFILES = {"OWASP m=19MiB t=2 p=1 (now)": OWASP_ARGON2ID,
            "baseline: argon2-cffi defaults m=64MiB t=3 p=4": {}}
ROUNDS = int(os.environ.get("ROUNDS", "20"))


def one(params: dict) -> tuple[float, float]:
    hasher = PasswordHasher(**params)
    stored = hasher.hash("Mat-khau-2025")
    walls, cpus = [], []
    for _ in range(ROUNDS):
        w, c = time.perf_counter(), time.process_time()
        hasher.verify(stored, "Mat-khau-2025")
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def burst(params: dict, processes: int = 4) -> float:
    with ProcessPoolExecutor(processes) as pool:
        list(pool.map(one, [params] * processes))       # warm the processes
        started = time.perf_counter()
        list(pool.map(one, [params] * processes))
        return processes * ROUNDS / (time.perf_counter() - started)


def main() -> None:
    print(f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} (shared machine)")
    figures = {}
    for name, params in PROFILES.items():
        wall, cpu = one(params)
        rate = burst(params)
        figures[name] = (wall, cpu, rate)
        print(f"{name:<48} one check {wall * 1000:6.1f} ms wall, {cpu * 1000:6.1f} ms CPU;"
              f" 4 processes: {rate:6.1f} checks/s")
    (nw, nc, nr), (bw, bc, br) = figures.values()
    print(f"ratio now / baseline: wall {nw / bw:.2f}x, CPU {nc / bc:.2f}x, "
          f"checks a second {nr / br:.1f}x")


if __name__ == "__main__":
    main()
