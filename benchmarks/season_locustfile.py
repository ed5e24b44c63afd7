"""Report season, as Locust users (benchmarks/season_load.sh runs it).

- ``Officer`` (300): a commune head who writes the report himself (only a head submits):
  signs in, opens the unit's 2027 report, then works on it as a person
  does — every few seconds an autosave of a narrative section or of a task's status
  (htmx requests, with the version it was given back) — and, once every task has a
  status, submits it; afterwards it only reads it again.
- ``Leader`` (20): signs in and opens the dashboard of the province or district, now and
  then the sources of a figure.
- ``Bare`` (the baseline, run on its own): the same number of users with the officers'
  think time, each request one trivial database query (benchmarks/bare_app.py).

The consolidation that runs meanwhile is started by season_load.sh, not here.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re

from locust import HttpUser, between, task

DATA = json.loads(open(os.environ.get("SEASON_DATA", "/tmp/season.json")).read())  # noqa: SIM115
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
VERSION = re.compile(r'id="version-(narrative-\w+|rtask-\d+)" value="(\d+)"')
STATUS = re.compile(r'id="status-(\d+)" name="status">(.*?)</select>', re.S)
SECTIONS = ("results", "difficulties", "proposals")
_officers = itertools.cycle(DATA["officers"])
_leaders = itertools.cycle(DATA["leaders"])
HEADERS = {"User-Agent": "portal-load-test"}


# The measured window starts when the last of USERS people has signed in (not when the
# last user was spawned, as --reset-stats does: sign-ins still queued then were counted).
USERS = int(os.environ.get("USERS", "0"))
_signed_in = [0]


class SignedIn(HttpUser):
    abstract = True

    def sign_in(self, username: str) -> None:
        page = self.client.get("/auth/login", headers=HEADERS, name="sign in (page)").text
        self.client.post("/auth/login", headers=HEADERS, name="sign in", data={
            "csrf_token": TOKEN.search(page)[1], "username": username,
            "password": DATA["password"]})
        _signed_in[0] += 1
        if _signed_in[0] == USERS and self.environment.runner is not None:
            self.environment.runner.stats.reset_all()   # sign-ins out of the window


class Officer(SignedIn):
    weight = 300
    wait_time = between(3, 10)  # typing a sentence or choosing a status, then the autosave

    def on_start(self) -> None:
        me = next(_officers)
        self.report = me["report_id"]
        self.sign_in(me["username"])
        self.open_report()
        # a report submitted in an earlier run is read, not edited
        self.submitted = not self.editable

    def open_report(self) -> None:
        page = self.client.get(f"/reports/{self.report}", headers=HEADERS,
                               name="report page").text
        self.token = TOKEN.search(page)[1]
        self.versions = dict(VERSION.findall(page))
        self.editable = f'hx-post="/reports/{self.report}/narrative' in page
        self.task_ids = sorted(int(k.split("-")[1]) for k in self.versions
                               if k.startswith("rtask"))
        # the tasks still without a status (their <select> has no selected option)
        self.untouched = [int(i) for i, options in STATUS.findall(page)
                          if "selected" not in options]

    def autosave(self, url: str, target: str, name: str, **data: str) -> None:
        with self.client.post(url, name=name, catch_response=True, data={
                "csrf_token": self.token, "version": self.versions[target], **data},
                headers={**HEADERS, "HX-Request": "true"}) as response:
            found = dict(VERSION.findall(response.text))
            if response.status_code == 200 and target in found:
                self.versions[target] = found[target]
                response.success()
            elif response.status_code == 409:       # lost a race with itself: reload
                response.failure("409 conflict")
                self.open_report()
            else:
                response.failure(f"{response.status_code}")

    @task(6)
    def write_narrative(self) -> None:
        if self.submitted:
            return self.read()
        section = random.choice(SECTIONS)
        self.autosave(f"/reports/{self.report}/narrative/{section}",
                      f"narrative-{section}", "autosave narrative",
                      text=f"Kết quả triển khai {random.randint(1, 10**6)} …")

    @task(4)
    def set_task_status(self) -> None:
        if self.submitted:
            return self.read()
        task_id = self.untouched.pop() if self.untouched else random.choice(self.task_ids)
        self.autosave(f"/reports/{self.report}/tasks/{task_id}", f"rtask-{task_id}",
                      "autosave task status", status=random.choice(
                          ["done_on_time", "done_late", "in_progress"]), result="Đã triển khai")

    @task(1)
    def submit(self) -> None:
        if self.submitted or self.untouched:
            return self.read()
        with self.client.post(f"/reports/{self.report}/transitions", headers=HEADERS,
                              name="submit report", catch_response=True,
                              data={"csrf_token": self.token, "action": "submit"}) as response:
            if response.status_code == 200 and "/reports/" in response.url:
                self.submitted = True
                response.success()
            else:
                response.failure(f"{response.status_code}")

    def read(self) -> None:
        """After submitting, a person looks at the report now and then, not every click."""
        if random.random() < 0.2:
            self.client.get(f"/reports/{self.report}", headers=HEADERS, name="report page")


class Leader(SignedIn):
    weight = 20
    wait_time = between(5, 15)  # reading the page before the next click

    def on_start(self) -> None:
        me = next(_leaders)
        self.unit = me["unit"]
        self.sign_in(me["username"])

    @task(5)
    def dashboard(self) -> None:
        self.client.get(f"/units/{self.unit}/dashboard", headers=HEADERS, name="dashboard")

    @task(1)
    def sources(self) -> None:
        self.client.get(f"/units/{self.unit}/dashboard/sources?figure=submitted",
                        headers=HEADERS, name="dashboard sources")


class Bare(HttpUser):
    """The baseline: as many users, as much thinking, one trivial query a request."""

    wait_time = between(3, 10)

    @task
    def one_query(self) -> None:
        self.client.get("/one-query", name="bare route (one query)")
