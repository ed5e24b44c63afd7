"""Validation rules (issue 18, items 1–3): the parser, each operator and missing-value
strategy computed by hand, the owner's pages, checks as one types and at submission, and
runs over a subtree (docs/validation.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.frameworks.period import ReportingPeriod
from portal.reports.report import UnitReport
from portal.reports.service import open_report, save_value
from portal.validation.checking import Figures, Outcome, judge, lookup_in, side
from portal.validation.explanation import ViolationExplanation
from portal.validation.expressions import (
    ExpressionError,
    Negative,
    Number,
    Operation,
    Reference,
    parse,
)
from portal.validation.rule import ValidationRule
from portal.validation.run import ValidationNotice, ValidationRun
from portal.validation.service import create_rule
from tenants.scoping import system_scope
from tenants.unit import Unit
from tests.builders import AGGREGATE_PLAN, AGGREGATE_SETTINGS, during, framework, make_framework
from tests.conftest import PASSWORD, csrf_token

D = Decimal


def values(**given: str | None):
    """A lookup over a = II.1.a … by letter: ``values(b="3", c=None)``."""
    figures = {f"II.1.{k}": Figures("count", None if v is None else D(v))
               for k, v in given.items()}
    return lookup_in(figures, {})


# ---- the parser ---------------------------------------------------------------------------


def test_the_parser_builds_a_typed_tree_with_precedence_and_brackets() -> None:
    assert parse("#{II.1.b} + 2 × #{II.1.d:numerator}") == Operation(
        "+", Reference("II.1.b"), Operation("*", Number(D(2)), Reference("II.1.d", "numerator")))
    assert parse("(#{II.1.b} − 1) ÷ 0,5") == Operation(
        "/", Operation("-", Reference("II.1.b"), Number(D(1))), Number(D("0.5")))
    assert parse("-prev(#{II.1.đ})") == Negative(Reference("II.1.đ", last_year=True))
    assert parse("10 - 2 - 3") == Operation("-", Operation("-", Number(D(10)), Number(D(2))),
                                            Number(D(3)))


@pytest.mark.parametrize("source", [
    "", "#{II.1.b", "#{II.1.b} +", "(1 + 2", "1 2", "__import__('os')", "#{II.1.b:tong}",
    "prev(3)", "1,2,3", "#{}", "(" * 40 + "1" + ")" * 40, "1" + " + 1" * 200])
def test_the_parser_refuses_what_is_not_an_expression(app, source: str) -> None:
    with app.test_request_context(), pytest.raises(ExpressionError) as refused:
        parse(source)
    assert str(refused.value)   # a sentence, never a traceback


# ---- missing-value strategies (hand-computed) ------------------------------------------------

SUM = "#{II.1.b} + #{II.1.c}"


@pytest.mark.parametrize(("b", "c", "strategy", "expected"), [
    # skip if any value is missing: one missing leaves the side out
    ("3", "4", "skip_if_any", D(7)),
    ("3", None, "skip_if_any", None),
    (None, None, "skip_if_any", None),
    # skip if all are missing: one missing counts as 0; all missing leaves it out
    ("3", None, "skip_if_all", D(3)),
    (None, None, "skip_if_all", None),
    # never skip: every missing value counts as 0
    ("3", None, "never_skip", D(3)),
    (None, None, "never_skip", D(0)),
])
def test_each_missing_value_strategy(b, c, strategy, expected) -> None:
    assert side(parse(SUM), strategy, values(b=b, c=c)) == expected


def test_a_constant_side_is_never_missing_and_a_division_by_zero_has_no_value() -> None:
    assert side(parse("5"), "skip_if_all", values()) == D(5)
    assert side(parse("#{II.1.b} / #{II.1.c}"), "never_skip", values(b="3", c=None)) is None


# ---- operators (hand-computed) ---------------------------------------------------------------


@pytest.mark.parametrize(("operator", "left", "right", "outcome"), [
    ("eq", "4", "4", "holds"), ("eq", "4", "5", "broken"),
    ("ne", "4", "5", "holds"), ("ne", "4", "4", "broken"),
    ("lt", "4", "5", "holds"), ("lt", "5", "5", "broken"),
    ("le", "5", "5", "holds"), ("le", "6", "5", "broken"),
    ("gt", "6", "5", "holds"), ("gt", "5", "5", "broken"),
    ("ge", "5", "5", "holds"), ("ge", "4", "5", "broken"),
    # both or neither: exactly one side with a value breaks it
    ("pair", "4", "5", "holds"), ("pair", None, None, "holds"),
    ("pair", "4", None, "broken"), ("pair", None, "5", "broken"),
    # not both: both sides with a value break it
    ("exclusive", "4", "5", "broken"), ("exclusive", "4", None, "holds"),
    ("exclusive", None, "5", "holds"), ("exclusive", None, None, "holds"),
    # a comparison with a side left out is not checked at all
    ("le", "6", None, "skipped"), ("eq", None, None, "skipped"),
])
def test_each_operator(operator, left, right, outcome) -> None:
    verdict = judge(parse("#{II.1.b}"), operator, parse("#{II.1.c}"), "skip_if_any",
                    "skip_if_any", values(b=left, c=right))
    assert verdict.outcome == Outcome(outcome)


def test_a_never_skipped_side_has_a_value_for_the_pair_operators() -> None:
    lookup = values(b=None, c="5")
    assert judge(parse("#{II.1.b}"), "pair", parse("#{II.1.c}"), "never_skip", "skip_if_any",
                 lookup).outcome == Outcome.HOLDS      # 0 and 5: both have a value
    assert judge(parse("#{II.1.b}"), "exclusive", parse("#{II.1.c}"), "never_skip",
                 "skip_if_any", lookup).outcome == Outcome.BROKEN


def test_ratio_parts_yes_no_and_last_year() -> None:
    this = {"II.1.d": Figures("ratio", None, D(3), D(4)), "II.1.a": Figures("yes_no", D(0)),
            "II.1.b": Figures("count", D(2)), "II.1.i": Figures("text")}
    last = {"II.1.d": Figures("ratio", None, D(2), D(10))}
    lookup = lookup_in(this, last)
    assert side(parse("#{II.1.d}"), "skip_if_any", lookup) == D("0.75")
    assert side(parse("#{II.1.d:denominator} - prev(#{II.1.d:denominator})"), "skip_if_any",
                lookup) == D(-6)
    assert side(parse("#{II.1.i}"), "skip_if_any", lookup) is None
    # Plan 108's "no dissemination, no forum": 2 × (1 − 0) = 2 ≠ 0
    verdict = judge(parse("#{II.1.b} × (1 − #{II.1.a})"), "eq", parse("0"), "skip_if_any",
                    "skip_if_any", lookup)
    assert (verdict.outcome, verdict.left, verdict.right) == (Outcome.BROKEN, D(2), D(0))
    # (1 ÷ 3) × 3 = 1 at ten decimal places
    assert judge(parse("1 / 3 * 3"), "eq", parse("1"), "never_skip", "never_skip",
                 lookup).outcome == Outcome.HOLDS


# ---- on the pages: the owner's rules --------------------------------------------------------


# No dissemination (II.1.a "no"), no forum (II.1.b): Plan 108's rule, on the test plan.
FORUM_RULE = {"name": "Chưa tuyên truyền thì không có hội nghị",
              "left": "#{II.1.b} × (1 − #{II.1.a})", "operator": "eq", "right": "0",
              "left_missing": "skip_if_any", "right_missing": "skip_if_any",
              "importance": "high", "instruction": "Sửa II.1.a hoặc II.1.b, hoặc giải trình."}


@pytest.fixture
def plan(world) -> dict:
    """Province P1's plan with the forum rule, D1's 2026 report open (as a dict of ids)."""
    fid = make_framework("P1", text=AGGREGATE_PLAN, indicators=AGGREGATE_SETTINGS)
    with system_scope("test"):
        rule = create_rule(framework(fid), FORUM_RULE)
        unit = db.session.scalar(select(Unit).where(Unit.code == "D1"))
        period = db.session.scalar(select(ReportingPeriod).where(
            ReportingPeriod.framework_id == fid, ReportingPeriod.year == 2026))
        report = open_report(unit, period, None)
        db.session.commit()
        ids = {"framework": fid, "rule": rule.id, "report": report.id, "period": period.id,
               "values": {}}
        from portal.frameworks.indicator import Indicator

        codes = dict(db.session.execute(select(Indicator.id, Indicator.code)).tuples().all())
        ids["values"] = {codes[v.indicator_id]: v.id for v in report.values}
        return ids


def fill(report_id: int, values: dict) -> None:
    """Store D1's figures directly (as a drafter's autosave would)."""
    from portal.frameworks.indicator import Indicator

    with system_scope("test"):
        report = db.session.get(UnitReport, report_id)
        codes = dict(db.session.execute(select(Indicator.id, Indicator.code)).tuples().all())
        for row in report.values:
            if codes[row.indicator_id] in values:
                save_value(row, report, values[codes[row.indicator_id]], check_version=False)
        db.session.commit()


def test_the_owner_adds_edits_and_removes_a_rule(login_as, plan) -> None:
    owner = login_as("consolidator")   # D1's consolidator does not own P1's plan…
    url = f"/frameworks/{plan['framework']}/rules"
    assert owner.get(url).status_code == 200
    assert owner.post(url, data={"csrf_token": csrf_token(owner, url), **FORUM_RULE}
                      ).status_code == 403


@pytest.fixture
def province_owner(world) -> str:
    from portal.accounts.service import create_user, grant

    with system_scope("test data"):
        user = create_user("u.p1.owner", PASSWORD, full_name="Chủ kế hoạch")
        grant(user, db.session.scalar(select(Unit).where(Unit.code == "P1")), "consolidator")
        db.session.commit()
    world.usernames["province owner"] = "u.p1.owner"
    return "province owner"


def test_rules_are_checked_when_saved_and_kept_by_the_owner(login_as, plan, province_owner
                                                            ) -> None:
    owner = login_as(province_owner)
    url = f"/frameworks/{plan['framework']}/rules"
    token = csrf_token(owner, url)
    bad = owner.post(url, data={"csrf_token": token, **FORUM_RULE, "name": "Sai",
                                "left": "#{II.9.z} + 1", "right": "2 +"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "Kế hoạch không có chỉ tiêu mã “II.9.z”." in page
    assert "Biểu thức kết thúc quá sớm." in page
    text_rule = owner.post(url, data={"csrf_token": token, **FORUM_RULE,
                                      "left": "#{II.1.e}"})
    assert "là chỉ tiêu dạng văn bản" in text_rule.get_data(as_text=True)
    with system_scope("test"):
        assert db.session.scalar(select(ValidationRule.id).where(
            ValidationRule.name == "Sai")) is None        # nothing half-written
    added = owner.post(url, data={"csrf_token": token, **FORUM_RULE,
                                  "name": "Phần không vượt tổng",
                                  "left": "#{II.1.d:numerator}", "operator": "le",
                                  "right": "#{II.1.d:denominator}"})
    assert added.status_code == 303
    with system_scope("test"):
        rule_id = db.session.scalar(select(ValidationRule.id).where(
            ValidationRule.name == "Phần không vượt tổng"))
    edited = owner.post(f"{url}/{rule_id}", data={"csrf_token": token, **FORUM_RULE,
                                                 "name": "Phần ≤ tổng", "importance": "low"})
    assert edited.status_code == 303
    assert "Phần ≤ tổng" in owner.get(url).get_data(as_text=True)
    assert owner.post(f"{url}/{rule_id}/delete", data={"csrf_token": token}).status_code == 422
    assert owner.post(f"{url}/{rule_id}/delete",
                      data={"csrf_token": token, "confirm": "yes"}).status_code == 303
    with system_scope("test"):
        assert db.session.get(ValidationRule, rule_id) is None


# ---- as the drafter types, and at submission ------------------------------------------------


def test_the_autosave_shows_the_violation_beside_the_fields(login_as, plan) -> None:
    from tests.builders import hx_save

    drafter = login_as("drafter")
    page_url = f"/reports/{plan['report']}"
    page = drafter.get(page_url).get_data(as_text=True)
    token = csrf_token(drafter, page_url)
    a, b = plan["values"]["II.1.a"], plan["values"]["II.1.b"]
    hx_save(drafter, f"{page_url}/values/{a}", token, page, f"version-value-{a}", yes_no="no")
    page = drafter.get(page_url).get_data(as_text=True)
    answer = hx_save(drafter, f"{page_url}/values/{b}", token, page, f"version-value-{b}",
                     value="2")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert f'id="rules-value-{b}" hx-swap-oob="true"' in html
    assert "Vi phạm quy tắc kiểm tra: Chưa tuyên truyền thì không có hội nghị" in html
    assert "Sửa II.1.a hoặc II.1.b, hoặc giải trình." in html
    assert "2 = 0 không đúng" in html
    # Corrected: the next answer clears it.
    page = drafter.get(page_url).get_data(as_text=True)
    answer = hx_save(drafter, f"{page_url}/values/{b}", token, page, f"version-value-{b}",
                     value="0")
    assert "Vi phạm quy tắc" not in answer.get_data(as_text=True)


def test_a_high_violation_blocks_hand_over_and_submission_until_explained(
        login_as, plan, province_reviewer) -> None:
    fill(plan["report"], {"II.1.a": {"yes_no": "no"}, "II.1.b": {"value": "2"}})
    drafter, head = login_as("drafter"), login_as("head")
    url = f"/reports/{plan['report']}"
    token = csrf_token(drafter, url)
    refused = drafter.post(f"{url}/transitions", data={"csrf_token": token,
                                                       "action": "hand_over"})
    assert refused.status_code == 422
    assert "vi phạm quy tắc “Chưa tuyên truyền thì không có hội nghị”" in \
        refused.get_data(as_text=True)
    head_token = csrf_token(head, url)
    assert head.post(f"{url}/transitions", data={"csrf_token": head_token, "action": "submit"}
                     ).status_code == 422
    with system_scope("test"):
        assert db.session.get(UnitReport, plan["report"]).status == "draft"
    # The drafter explains it; the explanation is kept per report and rule.
    explained = drafter.post(f"{url}/explanations/{plan['rule']}", data={
        "csrf_token": token, "explanation": "Hội nghị do Sở chủ trì, huyện phối hợp."})
    assert explained.status_code == 303
    with system_scope("test"):
        row = db.session.scalar(select(ViolationExplanation))
        assert (row.report_id, row.rule_id) == (plan["report"], plan["rule"])
    assert drafter.post(f"{url}/transitions", data={"csrf_token": token,
                                                    "action": "hand_over"}).status_code == 302
    assert head.post(f"{url}/transitions", data={"csrf_token": head_token,
                                                 "action": "submit"}).status_code == 302
    # The reviewer sees the violation at the top and the explanation beside the value.
    page = login_as(province_reviewer).get(url).get_data(as_text=True)
    assert 'data-testid="rule-violations"' in page
    # at the top, and beside each of the two values the rule reads
    assert page.count("Hội nghị do Sở chủ trì, huyện phối hợp.") == 3
    assert 'data-testid="top-explanation"' in page
    assert 'name="explanation"' not in page      # the reviewer reads it, never edits it
    # The head cannot explain a submitted report: it is locked.
    assert drafter.post(f"{url}/explanations/{plan['rule']}", data={
        "csrf_token": token, "explanation": "khác"}).status_code == 303
    with system_scope("test"):
        assert db.session.scalar(select(ViolationExplanation.text)).startswith("Hội nghị")


def test_the_api_applies_the_same_rule_shows_the_violations_and_takes_explanations(
        app, plan, token_for) -> None:
    fill(plan["report"], {"II.1.a": {"yes_no": "no"}, "II.1.b": {"value": "2"}})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token_for('head')}"}
    report_url = "/api/v1/units/D1/reports/2026"
    refused = client.post(f"{report_url}/transitions", json={"action": "submit"},
                          headers=headers)
    assert refused.status_code == 422, refused.get_json()
    assert "Chưa tuyên truyền" in str(refused.get_json())
    (violation,) = client.get(report_url, headers=headers).get_json()["violations"]
    assert violation == {"rule": plan["rule"], "name": FORUM_RULE["name"],
                         "importance": "high", "instruction": violation["instruction"],
                         "indicators": violation["indicators"], "left": "2", "right": "0",
                         "explanation": None}
    assert violation["instruction"] and "II.1.b" in violation["indicators"]
    # A rule of another plan, or not a text, is refused and nothing of the body is kept.
    bad = client.put(report_url, headers=headers, json={
        "values": {"II.1.b": {"value": 3}}, "explanations": {"999999": "x"}})
    assert bad.status_code == 422 and "explanations.999999" in bad.get_json()["error"]["fields"]
    assert client.get(report_url, headers=headers).get_json()["values"]["II.1.b"]["value"] == 2
    assert client.put(report_url, headers=headers, json={
        "explanations": {str(plan["rule"]): 5}}).status_code == 422
    saved = client.put(report_url, headers=headers, json={
        "explanations": {str(plan["rule"]): "Hội nghị do Sở chủ trì."}})
    assert saved.status_code == 200, saved.get_json()
    body = saved.get_json()
    assert body["explanations"] == {str(plan["rule"]): "Hội nghị do Sở chủ trì."}
    assert body["violations"][0]["explanation"] == "Hội nghị do Sở chủ trì."
    assert client.post(f"{report_url}/transitions", json={"action": "submit"},
                       headers=headers).status_code == 200


def datetime_now():
    from portal import clock

    return clock.now()


def test_medium_and_low_violations_do_not_block(login_as, plan) -> None:
    with system_scope("test"):
        rule = db.session.get(ValidationRule, plan["rule"])
        rule.importance = "medium"
        db.session.commit()
    fill(plan["report"], {"II.1.a": {"yes_no": "no"}, "II.1.b": {"value": "2"}})
    head = login_as("head")
    url = f"/reports/{plan['report']}"
    assert head.post(f"{url}/transitions", data={"csrf_token": csrf_token(head, url),
                                                 "action": "submit"}).status_code == 302


# ---- runs ----------------------------------------------------------------------------------


def test_a_run_lists_exports_and_notifies_each_violation_once(app, login_as, plan,
                                                               monkeypatch) -> None:
    import io

    monkeypatch.setitem(app.config, "REDIS_URL", None)   # the run's job runs in-process

    from openpyxl import load_workbook

    from portal.notifications.notification import Notification

    fill(plan["report"], {"II.1.a": {"yes_no": "no"}, "II.1.b": {"value": "2"}})
    reviewer = login_as("reviewer")    # D1's reviewer runs it over D1's subtree
    url = "/units/D1/validation"
    token = csrf_token(reviewer, url)
    started = reviewer.post(url, data={"csrf_token": token, "period_id": plan["period"]})
    assert started.status_code == 303
    run_url = started.headers["Location"]
    page = reviewer.get(run_url).get_data(as_text=True)
    assert "D1 · Huyện Một" in page
    assert f'/reports/{plan["report"]}#value-{plan["values"]["II.1.b"]}' in page
    assert "1 vi phạm, 1 thông báo lần đầu" in page
    book = load_workbook(io.BytesIO(reviewer.get(run_url + ".xlsx").data))
    rows = [[c.value for c in r] for r in book.active.iter_rows()]
    assert ["D1", "Huyện Một", FORUM_RULE["name"], "Cao", "2", "0", "Có"] in rows
    with system_scope("test"):
        told = db.session.scalar(select(func_count()).select_from(Notification))
        assert told == 2      # D1's drafter and head
    # The same violation again: listed, not notified again.
    reviewer.post(url, data={"csrf_token": token, "period_id": plan["period"]})
    with system_scope("test"):
        runs = db.session.scalars(select(ValidationRun).order_by(ValidationRun.id)).all()
        assert [(len(r.findings), r.notified) for r in runs] == [(1, 1), (1, 0)]
        assert db.session.scalar(select(func_count()).select_from(Notification)) == 2
    # Fixed: the notice is forgotten; broken again, it is notified again.
    fill(plan["report"], {"II.1.b": {"value": "0"}})
    reviewer.post(url, data={"csrf_token": token, "period_id": plan["period"]})
    with system_scope("test"):
        assert db.session.scalar(select(ValidationNotice.id)) is None
    fill(plan["report"], {"II.1.b": {"value": "3"}})
    reviewer.post(url, data={"csrf_token": token, "period_id": plan["period"]})
    with system_scope("test"):
        last = db.session.scalars(select(ValidationRun).order_by(ValidationRun.id.desc())).first()
        assert (len(last.findings), last.notified) == (1, 1)
        assert db.session.scalar(select(func_count()).select_from(Notification)) == 4


def func_count():
    from sqlalchemy import func

    return func.count()


def test_a_run_over_a_subtree_one_cannot_see_is_404(login_as, plan) -> None:
    reviewer = login_as("reviewer")
    token = csrf_token(reviewer, "/units/D1/validation")
    for code in ("D2", "QD"):
        assert reviewer.get(f"/units/{code}/validation").status_code == 404
        assert reviewer.post(f"/units/{code}/validation", data={
            "csrf_token": token, "period_id": plan["period"]}).status_code == 404
    with system_scope("test"):
        from portal.validation.runs import run_validation

        other = run_validation(db.session.scalar(select(Unit).where(Unit.code == "D2")),
                               db.session.get(ReportingPeriod, plan["period"]), None)
        db.session.commit()
        run_id = other.id
    assert reviewer.get(f"/validation-runs/{run_id}").status_code == 404
    assert reviewer.get(f"/validation-runs/{run_id}.xlsx").status_code == 404
    assert reviewer.get(f"/validation-runs/{run_id}/status").status_code == 404
    assert login_as("drafter").get("/units/D1/validation").status_code == 403


def test_a_run_is_a_background_job_whose_page_waits_for_it(
        app, login_as, plan, monkeypatch) -> None:
    """With a queue, the request only keeps the run and queues it; the page polls until
    the job has checked it; its Excel file waits for the findings."""
    import portal.validation.runs as runs

    queued: list[tuple] = []
    monkeypatch.setattr(runs, "enqueue", lambda queue, func, *args, job_id, timeout:
                        queued.append((queue, func, args, job_id)) or job_id)
    fill(plan["report"], {"II.1.a": {"yes_no": "no"}, "II.1.b": {"value": "2"}})
    reviewer = login_as("reviewer")
    url = "/units/D1/validation"
    started = reviewer.post(url, data={"csrf_token": csrf_token(reviewer, url),
                                       "period_id": plan["period"]})
    run_url = started.headers["Location"]
    (queue, func, args, job_id), = queued
    assert (queue, func, job_id) == ("consolidation", runs.check_run, f"validation-{args[0]}")
    page = reviewer.get(run_url).get_data(as_text=True)
    assert "Đang chờ bắt đầu" in page and f"/validation-runs/{args[0]}/status" in page
    assert 'data-testid="findings"' not in page
    waiting = reviewer.get(f"{run_url}/status")
    assert waiting.status_code == 200 and "HX-Refresh" not in waiting.headers
    assert reviewer.get(run_url + ".xlsx").status_code == 303      # not ready yet
    assert func(*args) == "done"                                   # the worker runs it
    assert func(*args) == "nothing to do"                          # and again: idempotent
    ended = reviewer.get(f"{run_url}/status")
    assert ended.headers["HX-Refresh"] == "true"
    assert "1 vi phạm, 1 thông báo lần đầu" in reviewer.get(run_url).get_data(as_text=True)


def test_a_run_that_cannot_be_queued_or_fails_says_so_and_keeps_nothing_half_done(
        app, login_as, plan, monkeypatch) -> None:
    import portal.validation.runs as runs
    from portal.jobs import JobsUnavailable

    def down(*args, **kwargs):
        raise JobsUnavailable("connection refused")

    monkeypatch.setattr(runs, "enqueue", down)
    reviewer = login_as("reviewer")
    url = "/units/D1/validation"
    token = csrf_token(reviewer, url)
    refused = reviewer.post(url, data={"csrf_token": token, "period_id": plan["period"]},
                            follow_redirects=True)
    assert "không kết nối được hàng đợi" in refused.get_data(as_text=True)
    with system_scope("test"):
        assert db.session.scalar(select(ValidationRun.id)) is None
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "REDIS_URL", None)   # the run's job runs in-process

    def broken(root, period):
        raise RuntimeError("a bug")

    monkeypatch.setattr(runs, "check_subtree", broken)
    fill(plan["report"], {"II.1.a": {"yes_no": "no"}, "II.1.b": {"value": "2"}})
    started = reviewer.post(url, data={"csrf_token": token, "period_id": plan["period"]})
    assert started.status_code == 303       # in-process: the request does not fail
    page = reviewer.get(started.headers["Location"]).get_data(as_text=True)
    assert "bị dừng do lỗi trên máy chủ" in page
    with system_scope("test"):
        run = db.session.scalars(select(ValidationRun)).one()
        assert (run.status, run.findings, run.notified) == ("failed", [], 0)
        assert db.session.scalar(select(ValidationNotice.id)) is None


def test_last_years_value_comes_from_the_units_report_of_the_year_before(plan) -> None:
    from portal.validation.service import report_violations

    with system_scope("test"):
        rule = db.session.get(ValidationRule, plan["rule"])
        rule.left, rule.operator, rule.right = "#{II.1.d:denominator}", "ge", \
            "0,5 × prev(#{II.1.d:denominator})"
        db.session.commit()
    fill(plan["report"], {"II.1.d": {"numerator": "5", "denominator": "40"}})
    with system_scope("test"):
        report = db.session.get(UnitReport, plan["report"])
        period_2027 = db.session.scalar(select(ReportingPeriod).where(
            ReportingPeriod.framework_id == plan["framework"], ReportingPeriod.year == 2027))
        with during(2027):
            later = open_report(db.session.get(Unit, report.unit_id), period_2027, None)
        db.session.commit()
        later_id = later.id
    fill(later_id, {"II.1.d": {"numerator": "5", "denominator": "19"}})   # 19 < 0,5 × 40
    with system_scope("test"):
        found = report_violations(db.session.get(UnitReport, later_id))
        assert [(v.judgement.left, v.judgement.right) for v in found] == [(D(19), D(20))]
    fill(later_id, {"II.1.d": {"numerator": "5", "denominator": "20"}})
    with system_scope("test"):
        assert report_violations(db.session.get(UnitReport, later_id)) == []
