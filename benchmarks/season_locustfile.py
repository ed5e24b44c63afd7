"""Report season, as Locust users (benchmarks/season_load.sh runs it), in two models.

What people do (the same actions, the same weights, in both models):

- an **officer** (a commune head, who writes and submits the report himself) opens the
  unit's 2027 report, then saves as he types: an indicator's value (the report form's
  per-field htmx autosave), a narrative section, a task's status; now and then he opens
  the report page again, uploads a small evidence file (a 12 KB PNG), or downloads the
  report as Word (built in the request in this version); in the closed model he submits
  once every task has a status and afterwards only reads;
- a **leader** opens the dashboard of the province or district, now and then the sources
  of a figure or its Excel export; a leader of the consolidated province also exports
  the latest consolidation as Word and Excel — background jobs: prepare, poll every
  second until ready, download;
- the **consolidator** (an API token) runs one consolidation of the province before the
  window (so that there is one to export) and exactly one during it, polling until done.

The two models:

- **closed** (``Officer``, ``Leader``, ``Consolidator``): each person waits for the
  answer, thinks (officers 3-10 s, leaders 5-15 s), clicks again. A slow server slows
  the people down and hides its queue;
- **open** (``Arrivals``, ``Consolidator``): requests arrive at Poisson times at a fixed
  rate — the rate the closed model's people would make if the server answered at once
  (OFFICERS / 6.5 s + LEADERS / 10 s a second) — whether or not earlier ones have been
  answered, each from a random signed-in person. A request's time runs from its
  scheduled arrival, so a save that waits for the same person's previous save of the
  same field (htmx queues them: ``hx-sync="this:queue last"``) counts the wait. At the
  end of the window no new request arrives; those still unanswered DRAIN seconds later
  are counted as errors ("unanswered at the end").

The window: every person signs in first, paced (closed: Locust's spawn rate; open:
SIGNIN_RATE a second), and only once the last sign-in has answered are the statistics
reset (the sign-in figures are kept apart, in RUN_signins.json); the window lasts WINDOW
seconds from then.

The baseline of the same run: ``Bare`` (closed, as many people, the officers' think
time) and ``BareArrivals`` (open, the same arrival rate), each request one trivial
database query on a bare Flask app behind the same gunicorn (benchmarks/bare_app.py).

Settings (environment): SEASON_DATA, OFFICERS, LEADERS (default: all the data has),
WINDOW (s, default 300), SIGNIN_RATE (open model, default 2), DRAIN (s, default 30),
OUT and RUN (where the side files go: OUT/RUN_signins.json, OUT/RUN_notes.json).
"""

from __future__ import annotations

import json
import os
import random
import re
import struct
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent
import requests
from gevent.event import Event
from gevent.lock import Semaphore
from locust import HttpUser, User, between, constant, events, task

DATA = json.loads(Path(os.environ.get("SEASON_DATA", "/tmp/season/season.json")).read_text())
OFFICERS = int(os.environ.get("OFFICERS") or len(DATA["officers"]))
LEADERS = int(os.environ.get("LEADERS") or len(DATA["leaders"]))
WINDOW = float(os.environ.get("WINDOW", "300"))
SIGNIN_RATE = float(os.environ.get("SIGNIN_RATE", "2"))
DRAIN = float(os.environ.get("DRAIN", "30"))
OUT = Path(os.environ.get("OUT", "/tmp/season"))
RUN = os.environ.get("RUN", "season")
PEOPLE = OFFICERS + LEADERS

TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
VERSION = re.compile(r'id="version-(narrative-\w+|rtask-\d+|value-\d+)" value="(\d+)"')
STATUS = re.compile(r'id="status-(\d+)" name="status">(.*?)</select>', re.S)
VALUE_FORM = re.compile(r'<form class="autosave card mb-2" id="value-(\d+)"(.*?)</form>', re.S)
FIELD = re.compile(r'name="(value|numerator|denominator|yes_no|text|note)"')
SECTIONS = ("results", "difficulties", "proposals")
HEADERS = {"User-Agent": "portal-load-test"}
HTMX = {**HEADERS, "HX-Request": "true"}

# Think times of the closed model; the open model's rate is derived from their means.
OFFICER_THINK, LEADER_THINK = (3, 10), (5, 15)
OFFICER_RATE = OFFICERS / (sum(OFFICER_THINK) / 2)
LEADER_RATE = LEADERS / (sum(LEADER_THINK) / 2)


def _png(side: int = 64) -> bytes:
    """A real PNG (evidence is accepted by its bytes), about 12 KB: random pixels."""
    rows = b"".join(b"\x00" + os.urandom(side * 3) for _ in range(side))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


EVIDENCE = _png()


class Window:
    """The measured window: opened once the last person has signed in."""

    opened = Event()
    closed = Event()
    signed_in = 0
    refused = 0          # sign-in attempts answered 503 (the hashing gate), tried again
    first_sign_in: float | None = None
    opened_at = 0.0
    consolidation_id: int | None = None   # the latest finished one, for the exports
    notes: dict[str, Any] = {}  # noqa: RUF012 - a module-wide record, written at the end

    prepared = Event()      # the consolidation before the window is done (or none is run)
    consolidated = Event()  # the consolidation during the window is done (or none is run)

    @classmethod
    def person_ready(cls, environment: Any) -> None:
        cls.signed_in += 1
        if cls.signed_in == PEOPLE:
            gevent.spawn(cls.open_when_prepared, environment)

    @classmethod
    def open_when_prepared(cls, environment: Any) -> None:
        cls.prepared.wait()
        cls.open(environment)

    @classmethod
    def length(cls, opened_at: float) -> bool:
        """Still in the window: WINDOW seconds, and until the consolidation started in it
        has finished (at most 600 s more)."""
        elapsed = time.monotonic() - opened_at
        return elapsed < WINDOW or (not cls.consolidated.is_set() and elapsed < WINDOW + 600)

    @classmethod
    def open(cls, environment: Any) -> None:
        stats = environment.runner.stats
        signins = {}
        for (name, method), entry in stats.entries.items():
            if name.startswith("sign in"):
                signins[f"{method} {name}"] = {
                    "count": entry.num_requests, "errors": entry.num_failures,
                    "p50": entry.get_response_time_percentile(0.5),
                    "p95": entry.get_response_time_percentile(0.95),
                    "max": entry.max_response_time}
        signins["people"] = cls.signed_in
        signins["refused 503, tried again"] = cls.refused
        signins["seconds"] = round(time.monotonic() - (cls.first_sign_in or time.monotonic()), 1)
        (OUT / f"{RUN}_signins.json").write_text(json.dumps(signins, indent=1))
        stats.reset_all()                    # sign-ins and the ramp out of the window
        cls.opened.set()

        cls.opened_at = time.monotonic()

        def close() -> None:
            while cls.length(cls.opened_at):
                gevent.sleep(0.5)
            cls.notes["window_s"] = round(time.monotonic() - cls.opened_at, 1)
            cls.closed.set()
            if not cls.notes.get("open_model"):   # the open driver drains, then quits
                cls.write_notes()
                environment.runner.quit()
        gevent.spawn(close)

    @classmethod
    def write_notes(cls) -> None:
        (OUT / f"{RUN}_notes.json").write_text(json.dumps(cls.notes, indent=1))


@events.quitting.add_listener
def _figures(environment: Any, **_kwargs: Any) -> None:
    """The window's figures, exact, as the run ends: OUT/RUN_stats.json."""
    stats = environment.runner.stats

    def figures(entry: Any) -> dict[str, Any]:
        return {"count": entry.num_requests, "errors": entry.num_failures,
                "per_s": round(entry.total_rps, 2),
                **{f"p{int(q * 100)}": entry.get_response_time_percentile(q)
                   for q in (0.5, 0.95, 0.99)}, "max": entry.max_response_time}
    (OUT / f"{RUN}_stats.json").write_text(json.dumps({
        "window_opened": Window.opened.is_set(),
        "requests": {name: figures(entry) for (name, _method), entry
                     in sorted(stats.entries.items())},
        "all": figures(stats.total),
        "errors": [{"name": e.name, "error": str(e.error), "count": e.occurrences}
                   for e in stats.errors.values()]}, indent=1, ensure_ascii=False))


# -- sending: the closed model through Locust's client, the open one timed by hand ------

Send = Callable[..., requests.Response | None]


def closed_send(client: Any) -> Send:
    """A request through Locust's HttpSession (timed from when it is sent)."""
    def send(method: str, path: str, name: str, check: Callable[[requests.Response], str | None],
             **kwargs: Any) -> requests.Response | None:
        with client.request(method, path, name=name, catch_response=True, timeout=120,
                            **kwargs) as response:
            problem = check(response)
            if problem:
                response.failure(problem)
            else:
                response.success()
            return response
    return send


class OpenSend:
    """A request of the open model: timed from ``self.due`` (its scheduled arrival) when
    set, else from when it is sent; recorded as Locust's own requests are."""

    def __init__(self, environment: Any, base: str) -> None:
        self.environment, self.base = environment, base
        self.session = requests.Session()

    def __call__(self, method: str, path: str, name: str,
                 check: Callable[[requests.Response], str | None], *, due: float | None = None,
                 **kwargs: Any) -> requests.Response | None:
        started = due if due is not None else time.perf_counter()
        response, problem = None, None
        try:
            response = self.session.request(method, self.base + path, timeout=120, **kwargs)
            problem = check(response)
        except requests.RequestException as exc:
            problem = f"{type(exc).__name__}"
        if Window.closed.is_set() and Window.notes.get("open_model") and Window.notes.get("quit"):
            return response                  # after the drain: already counted unanswered
        self.environment.events.request.fire(
            request_type=method, name=name, response_time=(time.perf_counter() - started) * 1000,
            response_length=len(response.content) if response is not None else 0,
            response=response, context={},
            exception=RuntimeError(problem) if problem else None)
        return response


def ok(response: requests.Response) -> str | None:
    return None if response.status_code == 200 else str(response.status_code)


def office_file(response: requests.Response) -> str | None:
    if response.status_code != 200:
        return str(response.status_code)
    return None if response.content[:4] == b"PK\x03\x04" else "not an Office file"


# -- what people do ----------------------------------------------------------------------


class Person:
    """One signed-in person: a session (its cookie) and how requests are sent."""

    def __init__(self, me: dict[str, Any], send: Send) -> None:
        self.me, self.send = me, send
        self.token = ""
        self.versions: dict[str, str] = {}
        self.locks: dict[str, Semaphore] = {}

    def lock(self, target: str) -> Semaphore:
        return self.locks.setdefault(target, Semaphore())

    def start(self) -> None:
        """What the person does once signed in, before the window."""

    def sign_in(self, environment: Any) -> None:
        if Window.first_sign_in is None:
            Window.first_sign_in = time.monotonic()
        for _attempt in range(10):
            page = self.send("GET", "/auth/login", "sign in (page)", ok, headers=HEADERS)
            token = TOKEN.search(page.text if page is not None else "")
            if token is None:
                gevent.sleep(1)
                continue
            answer = self.send("POST", "/auth/login", "sign in", self._signed_in, headers=HEADERS,
                               data={"csrf_token": token[1], "username": self.me["username"],
                                     "password": DATA["password"]})
            if answer is not None and answer.status_code == 503:   # the hashing gate: later
                Window.refused += 1
                gevent.sleep(float(answer.headers.get("Retry-After", "1")))
                continue
            break

    @staticmethod
    def _signed_in(response: requests.Response) -> str | None:
        if response.status_code != 200:
            return str(response.status_code)
        return "still on the sign-in page" if response.url.endswith("/auth/login") else None


class OfficerWork(Person):
    def start(self) -> None:
        self.report = self.me["report_id"]
        self.open_report()
        self.submitted = not self.editable    # submitted in an earlier run: read only

    def open_report(self, due: float | None = None) -> None:
        page = self.send("GET", f"/reports/{self.report}", "report page", ok, headers=HEADERS,
                         **({"due": due} if due is not None else {}))
        text = page.text if page is not None and page.status_code == 200 else ""
        token = TOKEN.search(text)
        if token is None:
            self.editable = False
            self.values: dict[int, list[str]] = {}
            self.task_ids: list[int] = []
            self.untouched: list[int] = []
            return
        self.token = token[1]
        # versions only grow: a page read while a save of the same person was under way
        # (the open model) must not bring back the version that save replaced
        for target, version in VERSION.findall(text):
            if int(version) > int(self.versions.get(target, "0")):
                self.versions[target] = version
        self.editable = f'hx-post="/reports/{self.report}/narrative' in text
        self.task_ids = sorted(int(k.split("-")[1]) for k in self.versions
                               if k.startswith("rtask"))
        self.values = {int(i): FIELD.findall(body) for i, body in VALUE_FORM.findall(text)}
        # the tasks still without a status (their <select> has no selected option)
        self.untouched = [int(i) for i, options in STATUS.findall(text)
                          if "selected" not in options]

    def autosave(self, url: str, target: str, name: str, due: float | None,
                 **data: str) -> None:
        with self.lock(target):
            if target not in self.versions:
                return
            answer: dict[str, Any] = {}

            def check(response: requests.Response) -> str | None:
                found = dict(VERSION.findall(response.text))
                if response.status_code == 200 and target in found:
                    self.versions[target] = found[target]
                    return None
                answer["code"] = response.status_code
                return "409 conflict" if response.status_code == 409 else str(response.status_code)
            self.send("POST", url, name, check, headers=HTMX, **({"due": due} if due else {}),
                      data={"csrf_token": self.token, "version": self.versions[target], **data})
            if answer.get("code") == 409:     # lost a race with itself: reload the page
                self.open_report()

    # The actions; ``due``: the scheduled arrival (open model) or None (closed).

    def value(self, due: float | None = None) -> None:
        if self.submitted or not self.values:
            return self.read(due)
        value_id, fields = random.choice(list(self.values.items()))
        number = random.randint(1, 40)
        data = {"value": str(number), "numerator": str(number), "denominator": str(number + 10),
                "yes_no": random.choice(["yes", "no"]), "text": f"Đã thực hiện {number} lượt.",
                "note": ""}
        self.autosave(f"/reports/{self.report}/values/{value_id}", f"value-{value_id}",
                      "autosave value", due, **{f: data[f] for f in fields})

    def narrative(self, due: float | None = None) -> None:
        if self.submitted:
            return self.read(due)
        section = random.choice(SECTIONS)
        self.autosave(f"/reports/{self.report}/narrative/{section}", f"narrative-{section}",
                      "autosave narrative", due,
                      text=f"Kết quả triển khai {random.randint(1, 10**6)} …")

    def task_status(self, due: float | None = None) -> None:
        if self.submitted or not self.task_ids:
            return self.read(due)
        task_id = self.untouched.pop() if self.untouched else random.choice(self.task_ids)
        self.autosave(f"/reports/{self.report}/tasks/{task_id}", f"rtask-{task_id}",
                      "autosave task status", due, status=random.choice(
                          ["done_on_time", "done_late", "in_progress"]), result="Đã triển khai")

    def page(self, due: float | None = None) -> None:
        self.open_report(due)

    def evidence(self, due: float | None = None) -> None:
        if self.submitted:
            return self.read(due)

        def check(response: requests.Response) -> str | None:
            if response.status_code != 200:
                return str(response.status_code)
            return None if f"/reports/{self.report}" in response.url else "not back on the report"
        self.send("POST", f"/reports/{self.report}/evidence", "upload evidence (then the page)",
                  check, headers=HEADERS, data={"csrf_token": self.token},
                  files={"file": (f"bien-ban-{random.randint(1, 10**6)}.png", EVIDENCE,
                                  "image/png")}, **({"due": due} if due else {}))

    def word(self, due: float | None = None) -> None:
        self.send("GET", f"/reports/{self.report}/document.docx", "export report Word",
                  office_file, headers=HEADERS, **({"due": due} if due else {}))

    def submit(self, due: float | None = None) -> None:
        if self.submitted or self.untouched:
            return self.read(due)

        def check(response: requests.Response) -> str | None:
            if response.status_code == 200 and "/reports/" in response.url:
                self.submitted = True
                return None
            if response.status_code == 422:   # refused by the report's checks: an answer
                Window.notes["submits refused by the report's checks"] = \
                    Window.notes.get("submits refused by the report's checks", 0) + 1
                return None
            return str(response.status_code)
        self.send("POST", f"/reports/{self.report}/transitions", "submit report", check,
                  headers=HEADERS, data={"csrf_token": self.token, "action": "submit"},
                  **({"due": due} if due else {}))

    def read(self, due: float | None = None) -> None:
        """After submitting, a person looks at the report now and then, not every click."""
        if due is not None or random.random() < 0.2:
            self.send("GET", f"/reports/{self.report}", "report page", ok, headers=HEADERS,
                      **({"due": due} if due else {}))


class LeaderWork(Person):
    def start(self) -> None:
        """A leader lands on the dashboard after signing in (before the window)."""
        self.dashboard()

    def dashboard(self, due: float | None = None) -> None:
        self.send("GET", f"/units/{self.me['unit']}/dashboard", "dashboard", ok,
                  headers=HEADERS, **({"due": due} if due else {}))

    def sources(self, due: float | None = None) -> None:
        self.send("GET", f"/units/{self.me['unit']}/dashboard/sources?figure=submitted",
                  "dashboard sources", ok, headers=HEADERS, **({"due": due} if due else {}))

    def excel(self, due: float | None = None) -> None:
        self.send("GET", f"/units/{self.me['unit']}/dashboard.xlsx", "export dashboard Excel",
                  office_file, headers=HEADERS, **({"due": due} if due else {}))

    def consolidation_file(self, due: float | None = None) -> None:
        """Word or Excel of the latest consolidation: prepare, poll, download."""
        number = Window.consolidation_id
        if self.me["unit"] != DATA["province"] or number is None:
            return self.excel(due)
        if not self.token:
            page = self.send("GET", f"/consolidations/{number}", "consolidation page", ok,
                             headers=HEADERS, **({"due": due} if due else {}))
            token = TOKEN.search(page.text if page is not None else "")
            if token is None:
                return None
            self.token, due = token[1], None
        kind = random.choice(["docx", "xlsx"])
        state = self.send("POST", f"/consolidations/{number}/files/{kind}",
                          "export consolidation: prepare", ok, headers=HTMX,
                          data={"csrf_token": self.token}, **({"due": due} if due else {}))
        deadline = time.monotonic() + 120
        while (state is not None and state.status_code == 200 and "hx-get" in state.text
               and time.monotonic() < deadline):
            gevent.sleep(1)                   # the page polls every second
            state = self.send("GET", f"/consolidations/{number}/files/{kind}",
                              "export consolidation: poll", ok, headers=HTMX)
        if state is None or state.status_code != 200:
            return None
        path = "report.docx" if kind == "docx" else "workbook.xlsx"
        self.send("GET", f"/consolidations/{number}/{path}", "export consolidation: download",
                  office_file, headers=HEADERS)
        return None


# Weights: what officers and leaders do, out of every 16 and 10 clicks. The open model
# draws from the same tables (without "submit": its officers keep editing).
OFFICER_ACTIONS = {"value": 5, "narrative": 4, "task_status": 3, "page": 1, "evidence": 1,
                   "word": 1, "submit": 1}
LEADER_ACTIONS = {"dashboard": 6, "sources": 1, "excel": 1, "consolidation_file": 2}


class Officer(HttpUser):
    fixed_count = OFFICERS
    wait_time = between(*OFFICER_THINK)
    _next = iter(DATA["officers"][:OFFICERS])

    def on_start(self) -> None:
        self.work = OfficerWork(next(Officer._next), closed_send(self.client))
        self.work.sign_in(self.environment)
        self.work.start()
        Window.person_ready(self.environment)

    @task(OFFICER_ACTIONS["value"])
    def value(self) -> None:
        self.work.value()

    @task(OFFICER_ACTIONS["narrative"])
    def narrative(self) -> None:
        self.work.narrative()

    @task(OFFICER_ACTIONS["task_status"])
    def task_status(self) -> None:
        self.work.task_status()

    @task(OFFICER_ACTIONS["page"])
    def page(self) -> None:
        self.work.page()

    @task(OFFICER_ACTIONS["evidence"])
    def evidence(self) -> None:
        self.work.evidence()

    @task(OFFICER_ACTIONS["word"])
    def word(self) -> None:
        self.work.word()

    @task(OFFICER_ACTIONS["submit"])
    def submit(self) -> None:
        self.work.submit()


class Leader(HttpUser):
    fixed_count = LEADERS
    wait_time = between(*LEADER_THINK)
    _next = iter(DATA["leaders"][:LEADERS])

    def on_start(self) -> None:
        self.work = LeaderWork(next(Leader._next), closed_send(self.client))
        self.work.sign_in(self.environment)
        self.work.start()
        Window.person_ready(self.environment)

    @task(LEADER_ACTIONS["dashboard"])
    def dashboard(self) -> None:
        self.work.dashboard()

    @task(LEADER_ACTIONS["sources"])
    def sources(self) -> None:
        self.work.sources()

    @task(LEADER_ACTIONS["excel"])
    def excel(self) -> None:
        self.work.excel()

    @task(LEADER_ACTIONS["consolidation_file"])
    def consolidation_file(self) -> None:
        self.work.consolidation_file()


class Consolidator(User):
    """One consolidation before the window (to have one to export), one during it."""

    fixed_count = 1
    wait_time = constant(1)

    def on_start(self) -> None:
        self.send = OpenSend(self.environment, self.host or self.environment.host)
        self.send.session.headers["Authorization"] = "Bearer " + DATA["consolidator_token"]
        Window.notes["consolidation before the window"] = self.consolidate()
        Window.prepared.set()

    def consolidate(self) -> dict[str, Any]:
        started = time.monotonic()
        answer = self.send("POST", f"/api/v1/units/{DATA['province']}/consolidations",
                           "consolidation: start (API)", lambda r: None if r.status_code in (
                               200, 201, 202) else str(r.status_code),
                           json={"year": DATA["consolidation_year"]})
        job = answer.json() if answer is not None and answer.ok else {"status": "failed"}
        while job.get("status") in ("queued", "running") and time.monotonic() - started < 600:
            gevent.sleep(1)
            answer = self.send("GET", f"/api/v1/consolidations/{job['id']}",
                               "consolidation: poll (API)", ok)
            job = answer.json() if answer is not None and answer.ok else job
        if job.get("status") == "done":
            Window.consolidation_id = job["id"]
        return {"status": job.get("status"), "seconds": round(time.monotonic() - started, 1),
                "province": DATA["province"], "year": DATA["consolidation_year"]}

    @task
    def during_the_window(self) -> None:
        Window.opened.wait()
        gevent.sleep(min(10.0, WINDOW / 10))
        Window.notes["consolidation during the window"] = self.consolidate()
        Window.consolidated.set()
        Window.closed.wait()
        gevent.sleep(3600)


class Arrivals(User):
    """The open model: one driver issuing every person's requests at Poisson times."""

    fixed_count = 1
    wait_time = constant(0)

    def on_start(self) -> None:
        Window.notes["open_model"] = True
        host = self.host or self.environment.host
        self.officers = [OfficerWork(me, OpenSend(self.environment, host))
                         for me in DATA["officers"][:OFFICERS]]
        self.leaders = [LeaderWork(me, OpenSend(self.environment, host))
                        for me in DATA["leaders"][:LEADERS]]

        def begin(person: Person) -> None:
            person.sign_in(self.environment)
            person.start()
            Window.person_ready(self.environment)
        everyone: list[Person] = [*self.officers, *self.leaders]
        random.shuffle(everyone)
        pending = []
        for n, person in enumerate(everyone):  # paced: SIGNIN_RATE people a second
            pending.append(gevent.spawn_later(n / SIGNIN_RATE, begin, person))
        gevent.joinall(pending)

    @task
    def arrive(self) -> None:
        Window.opened.wait()
        officer_actions = {k: w for k, w in OFFICER_ACTIONS.items() if k != "submit"}
        total = OFFICER_RATE + LEADER_RATE
        Window.notes.update(rate_per_s=round(total, 2), officer_rate=round(OFFICER_RATE, 2),
                            leader_rate=round(LEADER_RATE, 2))
        flying: set[gevent.Greenlet] = set()
        late = issued = 0
        clock = time.perf_counter()
        while Window.length(Window.opened_at):
            clock += random.expovariate(total)
            gevent.sleep(max(0.0, clock - time.perf_counter()))
            if time.perf_counter() - clock > 0.1:
                late += 1                     # the generator itself fell behind
            if random.random() < OFFICER_RATE / total:
                person: Person = random.choice(self.officers)
                action = random.choices(list(officer_actions), list(officer_actions.values()))[0]
            else:
                person = random.choice(self.leaders)
                action = random.choices(list(LEADER_ACTIONS), list(LEADER_ACTIONS.values()))[0]
            greenlet = gevent.spawn(getattr(person, action), clock)
            flying.add(greenlet)
            greenlet.link(flying.discard)
            issued += 1
        Window.notes["window_s"] = round(time.monotonic() - Window.opened_at, 1)
        Window.closed.set()
        gevent.joinall(list(flying), timeout=DRAIN)
        unanswered = sum(1 for g in flying if not g.dead)
        for _ in range(unanswered):
            self.environment.events.request.fire(
                request_type="-", name="unanswered at the end", response_time=DRAIN * 1000,
                response_length=0, response=None, context={},
                exception=RuntimeError(f"no answer {DRAIN:.0f} s after the window"))
        Window.notes.update(quit=True, issued=issued, late_starts=late, unanswered=unanswered)
        Window.write_notes()
        # (from a greenlet of its own: quitting kills the users' greenlets, this one too)
        gevent.spawn(self.environment.runner.quit).join()


class Bare(HttpUser):
    """The closed baseline: as many people, the officers' think time, one trivial query."""

    fixed_count = PEOPLE
    wait_time = between(*OFFICER_THINK)

    def on_start(self) -> None:
        Window.prepared.set()
        Window.consolidated.set()
        Window.person_ready(self.environment)

    @task
    def one_query(self) -> None:
        self.client.get("/one-query", name="bare route (one query)")


class BareArrivals(User):
    """The open baseline: the same arrival rate, one trivial query a request."""

    fixed_count = 1
    wait_time = constant(0)

    @task
    def arrive(self) -> None:
        Window.notes["open_model"] = True
        Window.consolidated.set()
        send = OpenSend(self.environment, self.host or self.environment.host)
        Window.open(self.environment)
        total = OFFICER_RATE + LEADER_RATE
        flying: list[gevent.Greenlet] = []
        clock = time.perf_counter()
        while Window.length(Window.opened_at):
            clock += random.expovariate(total)
            gevent.sleep(max(0.0, clock - time.perf_counter()))
            flying.append(gevent.spawn(send, "GET", "/one-query", "bare route (one query)",
                                       ok, due=clock))
        Window.notes["window_s"] = round(time.monotonic() - Window.opened_at, 1)
        Window.closed.set()
        gevent.joinall(flying, timeout=DRAIN)
        Window.notes.update(quit=True, rate_per_s=round(total, 2))
        Window.write_notes()
        # (from a greenlet of its own: quitting kills the users' greenlets, this one too)
        gevent.spawn(self.environment.runner.quit).join()
