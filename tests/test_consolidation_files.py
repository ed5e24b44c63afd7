"""A consolidation's Word and Excel files are built by a job, never inside a request: the
page prepares them, polls their state, and downloads the bytes the job kept."""

from __future__ import annotations

import io
from unittest import mock

import pytest
from docx import Document
from sqlalchemy import select

from portal.extensions import db
from portal.reports import consolidation_file
from portal.reports.consolidation_file import ConsolidationFile, build_file
from tenants.scoping import system_scope
from tests.conftest import csrf_token
from tests.test_consolidation_exports import consolidate


@pytest.fixture(autouse=True)
def in_process(app, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file jobs run in-process after the commit (CI sets REDIS_URL, with no worker
    for the app client)."""
    monkeypatch.setitem(app.config, "REDIS_URL", None)


def _files(snapshot: int) -> list[ConsolidationFile]:
    with system_scope("test"):
        return list(db.session.scalars(select(ConsolidationFile).where(
            ConsolidationFile.consolidation_id == snapshot).order_by(ConsolidationFile.id)))


def test_the_file_is_built_by_a_job_and_downloaded_when_ready(province: int, login_as) -> None:
    snapshot = consolidate(province, "D1")
    client = login_as("leader")
    page = f"/consolidations/{snapshot}"
    assert client.get(f"{page}/report.docx").status_code == 404      # nothing prepared
    token = csrf_token(client, page)
    queued = []
    with mock.patch("portal.jobs.enqueue",
                    lambda queue, func, *args, job_id: queued.append((queue, func, args))), \
            mock.patch("portal.reports.consolidation_documents.build_consolidation_docx",
                       side_effect=AssertionError("built inside the request")):
        answer = client.post(f"{page}/files/docx", data={"csrf_token": token},
                             headers={"HX-Request": "true"})
        assert answer.status_code == 200
        # the request only queued the job; the fragment polls the file's state
        assert [(q, f) for q, f, _a in queued] == [("consolidation", build_file)]
        fragment = answer.get_data(as_text=True)
        assert f'hx-get="{page}/files/docx"' in fragment and 'hx-trigger="every 1s"' in fragment
        assert client.get(f"{page}/report.docx").status_code == 404   # not ready yet
        # preparing again while it is under way joins it
        client.post(f"{page}/files/docx", data={"csrf_token": token})
    assert len(_files(snapshot)) == 1 and _files(snapshot)[0].status == "queued"
    # the worker runs the job
    assert build_file(*queued[0][2]) == "done"
    ready = client.get(f"{page}/files/docx").get_data(as_text=True)
    assert "every 1s" not in ready and f'href="{page}/report.docx"' in ready
    with mock.patch("portal.reports.consolidation_documents.build_consolidation_docx",
                    side_effect=AssertionError("built inside the request")):
        download = client.get(f"{page}/report.docx")
    assert download.status_code == 200
    assert any(p.text == "BÁO CÁO" for p in Document(io.BytesIO(download.data)).paragraphs)
    # a ready, current file is not built again
    with mock.patch.object(consolidation_file, "enqueue_after_commit") as again:
        client.post(f"{page}/files/docx", data={"csrf_token": token})
    again.assert_not_called()


def test_a_failed_job_says_why_and_can_be_tried_again(province: int, login_as) -> None:
    snapshot = consolidate(province, "D1")
    client = login_as("leader")
    page = f"/consolidations/{snapshot}"
    token = csrf_token(client, page)
    with mock.patch("portal.reports.consolidation_documents.build_consolidation_xlsx",
                    side_effect=RuntimeError("disk full")):
        client.post(f"{page}/files/xlsx", data={"csrf_token": token})
    assert [f.status for f in _files(snapshot)] == ["failed"]
    shown = client.get(page).get_data(as_text=True)
    assert "disk full" in shown and f'hx-post="{page}/files/xlsx"' in shown
    client.post(f"{page}/files/xlsx", data={"csrf_token": token})
    assert [f.status for f in _files(snapshot)] == ["failed", "done"]
    assert client.get(f"{page}/workbook.xlsx").status_code == 200


def test_another_province_never_sees_the_file(province: int, login_as, app) -> None:
    snapshot = consolidate(province, "D1")
    client = login_as("leader")
    page = f"/consolidations/{snapshot}"
    client.post(f"{page}/files/xlsx", data={"csrf_token": csrf_token(client, page)})
    assert client.get(f"{page}/workbook.xlsx").status_code == 200
    from portal.accounts.service import create_user, grant
    from tenants.unit import Unit

    with system_scope("test"):
        other = create_user("u.other.leader", "Mat-khau-dai-2026")
        grant(other, db.session.scalar(select(Unit).where(Unit.code == "Q1")), "leader")
        db.session.commit()
    from tests.conftest import login

    stranger = app.test_client()
    login(stranger, "u.other.leader", "Mat-khau-dai-2026")
    for url in (f"{page}/workbook.xlsx", f"{page}/files/xlsx"):
        assert stranger.get(url).status_code == 404
