"""Evidence removed: the file goes only once the deletion is committed (issue 15 item 6).

Before, ``remove_evidence`` unlinked the file at once; a commit that then failed left the
row (rolled back) pointing at no file."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event, select

from portal.extensions import db
from portal.reports.evidence import ReportEvidence, add_evidence, remove_evidence
from portal.reports.report import UnitReport
from tenants.scoping import system_scope
from tests.builders import PDF


def _one_evidence(report_id: int) -> tuple[int, str]:
    with system_scope("test: an evidence file"):
        report = db.session.get(UnitReport, report_id)
        evidence = add_evidence(report, "bien-ban.pdf", PDF, None, None)
        db.session.commit()
        return evidence.id, evidence.storage_key


def _stored_file(app: Flask, key: str) -> list[Path]:
    return [p for p in Path(app.config["EVIDENCE_DIR"]).rglob("*")
            if p.is_file() and key in p.name]


def test_a_removal_whose_commit_fails_keeps_the_file_and_its_row(
        app: Flask, report_id: int) -> None:
    evidence_id, key = _one_evidence(report_id)
    assert len(_stored_file(app, key)) == 1
    session = db.session()

    def commit_fails(_session) -> None:
        raise RuntimeError("the database went away during the commit")

    event.listen(session, "before_commit", commit_fails)
    try:
        with system_scope("test: remove, then the commit fails"):
            report = db.session.get(UnitReport, report_id)
            remove_evidence(report, db.session.get(ReportEvidence, evidence_id))
            with pytest.raises(RuntimeError, match="went away"):
                db.session.commit()
            db.session.rollback()
    finally:
        event.remove(session, "before_commit", commit_fails)
    with system_scope("test: what is left"):
        assert db.session.scalar(select(ReportEvidence.storage_key).where(
            ReportEvidence.id == evidence_id)) == key          # the row is there ...
    assert len(_stored_file(app, key)) == 1                   # ... and so is its file


def test_a_committed_removal_deletes_the_file(app: Flask, report_id: int) -> None:
    evidence_id, key = _one_evidence(report_id)
    with system_scope("test: remove and commit"):
        report = db.session.get(UnitReport, report_id)
        remove_evidence(report, db.session.get(ReportEvidence, evidence_id))
        assert len(_stored_file(app, key)) == 1               # not before the commit
        db.session.commit()
    assert _stored_file(app, key) == []
    with system_scope("test: what is left"):
        assert db.session.get(ReportEvidence, evidence_id) is None
