"""PostgreSQL restarted under load: requests fail cleanly and recover without restarting
the app, and no write is lost or half-made.

Starts gunicorn on the database of DATABASE_URL (the data of benchmarks/season_data.py),
signs in officers, and has them autosave their reports and read their pages from
several threads; after a few seconds restarts the PostgreSQL cluster
(``pg_ctlcluster … restart``, so: not in CI, and on a machine whose other databases may
blink). Prints, second by second, what the officers got, then checks every report
against the last write each officer was told was saved.

    DATABASE_URL=postgresql://portal_app:portal_app@127.0.0.1/portal_season \
    SEASON_DATA=/tmp/season/season.json .venv/bin/python benchmarks/faults.py
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
THREADS, SECONDS, RESTART_AT = 8, 30, 8
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
VERSION = re.compile(r'id="version-narrative-results" value="(\d+)"')


class Officer:
    def __init__(self, base: str, account: dict, password: str):
        self.base, self.report = base, account["report_id"]
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = self.call("/auth/login")[1]
        self.call("/auth/login", {"csrf_token": TOKEN.search(page)[1],
                                  "username": account["username"], "password": password})
        self.reload()
        self.saved: str | None = None        # the last text the server said it saved

    def call(self, path: str, data: dict | None = None, hx: bool = False) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        headers = {"User-Agent": "portal-faults", **({"HX-Request": "true"} if hx else {})}
        try:
            with self.opener.open(urllib.request.Request(self.base + path, body, headers),
                                  timeout=30) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
        except OSError:
            return 0, ""                     # no answer at all: the worst outcome

    def reload(self) -> int:
        status, page = self.call(f"/reports/{self.report}")
        if status == 200:
            self.token = TOKEN.search(page)[1]
            self.version = VERSION.search(page)[1]
            self.editable = f'hx-post="/reports/{self.report}/narrative' in page
        return status

    def autosave(self, text: str) -> int:
        status, body = self.call(f"/reports/{self.report}/narrative/results", {
            "csrf_token": self.token, "version": self.version, "text": text}, hx=True)
        if status == 200:
            self.saved = text
            self.version = VERSION.search(body)[1] if VERSION.search(body) else self.version
        elif status == 409:
            self.reload()
        return status


def main() -> None:
    data = json.loads(Path(os.environ.get("SEASON_DATA", "/tmp/season/season.json")).read_text())
    env = {**os.environ, "PORTAL_ENV": "development", "SECRET_KEY": "faults",
           "LOG_LEVEL": "WARNING", "LOGIN_RATE_LIMIT": "100000 per minute",
           "FLASK_APP": "composition:create_app"}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b",
                               f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
                              cwd=ROOT, env=env, stderr=open("/tmp/faults-gunicorn.log", "w"))  # noqa: SIM115
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/health", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        officers = []              # officers whose report is still in draft (editable)
        for account in data["officers"]:
            officer = Officer(base, account, data["password"])
            if officer.editable:
                officers.append(officer)
            if len(officers) == THREADS:
                break
        seconds: dict[int, Counter] = defaultdict(Counter)
        started = time.monotonic()
        stop = threading.Event()

        def work(officer: Officer, n: int) -> None:
            i = 0
            while not stop.is_set():
                i += 1
                second = int(time.monotonic() - started)
                status = officer.autosave(f"Lần ghi {n}-{i}") if i % 3 else officer.reload()
                seconds[second][status] += 1
                time.sleep(0.05)

        threads = [threading.Thread(target=work, args=(o, n)) for n, o in enumerate(officers)]
        for thread in threads:
            thread.start()
        time.sleep(RESTART_AT)
        cluster = subprocess.run(["ls", "/etc/postgresql"], capture_output=True, text=True
                                 ).stdout.split()[0]
        t0 = time.monotonic()
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main",
                        "restart", "-m", "fast"], check=True)
        restart = time.monotonic() - t0
        time.sleep(SECONDS - RESTART_AT)
        stop.set()
        for thread in threads:
            thread.join()
        print(f"{THREADS} officers autosaving and reading for {SECONDS} s; PostgreSQL "
              f"restarted at {RESTART_AT} s (took {restart:.1f} s); gunicorn never restarted")
        print("second  answers (status: count)")
        total: Counter = Counter()
        for second in sorted(seconds):
            total.update(seconds[second])
            print(f"{second:>6}  " + ", ".join(f"{s or 'no answer'}: {c}"
                                               for s, c in sorted(seconds[second].items())))
        print("total   " + ", ".join(f"{s or 'no answer'}: {c}" for s, c in sorted(total.items())))
        after = [s for s in sorted(seconds) if s > RESTART_AT + restart + 1]
        recovered = all(set(seconds[s]) <= {200, 409} for s in after)
        print(f"500 answers: {total[500]}; no answer: {total[0]}; "
              f"all answers 200 again from second {int(RESTART_AT + restart + 1)}: {recovered}")
        # nothing lost, nothing half-made: each report holds the last text said to be saved
        lost = 0
        for officer in officers:
            status = officer.reload()
            page = officer.call(f"/reports/{officer.report}")[1]
            if status != 200 or (officer.saved and officer.saved not in page):
                lost += 1
        print(f"reports whose last saved text is missing afterwards: {lost} of {len(officers)}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    sys.exit(main())
