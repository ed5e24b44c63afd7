"""Framework pages: everyone below the owner reads; the owner uploads, corrects, publishes.

Each handler loads (through the tenant guard: not visible means 404), checks what the
caller may do (403 for readers who may not change it), acts through
``portal.frameworks.service`` inside one ``unit_of_work()``: committed whole, or rolled
back whole when the service refuses.
"""

from __future__ import annotations

from typing import TypeVar

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.frameworks.forms import UploadForm
from portal.frameworks.document_ingest import DocumentIngest
from portal.frameworks.framework import Framework, FrameworkNode, FrameworkVersion, NodeKind
from portal.frameworks.indicator import (
    INDICATOR_KIND_LABELS,
    Aggregation,
    Indicator,
    IndicatorKind,
    TimeBehaviour,
)
from portal.frameworks.ingest import receive
from portal.frameworks.mapping import (
    MAPPING_MODE_LABELS,
    MappingError,
    mapping_page,
    mapping_version,
    save_mapping_form,
    set_parent_form,
)
from portal.frameworks.page_images import open_page, page_of, page_review
from portal.frameworks.pages import owner_children, part_of, period_of, periods_of, version_parts
from portal.frameworks.responsibility import Responsibility
from portal.frameworks.service import (
    FrameworkError,
    IndicatorInput,
    add_indicator,
    new_draft,
    publish,
    save_period,
    update_indicator,
    update_meta,
    update_node,
    update_responsibility,
    visible_frameworks,
)
from portal.progress.settings import ThresholdError, save_thresholds
from portal.reports.obligations import (
    REPORTER_KINDS,
    ObligationError,
    obligations_of,
    save_obligation,
    terms_of,
)
from portal.storage import StorageError
from portal.unit_of_work import unit_of_work
from tenants.access import unit_or_404, visible_or_404
from tenants.tree import unit_labels
from tenants.unit import Unit, UnitKind

bp = Blueprint("frameworks", __name__)
_Part = TypeVar("_Part", FrameworkNode, Indicator, Responsibility)  # a version's row


def _framework_or_404(framework_id: int) -> Framework:
    return visible_or_404(Framework, framework_id)


def _owner_or_403(framework: Framework) -> None:
    if not g.reach.owns_frameworks_of(framework.owner_unit_id):
        abort(403)


def _draft_or_404(framework: Framework) -> FrameworkVersion:
    _owner_or_403(framework)
    draft = framework.draft()
    if draft is None:
        abort(404)
    return draft


def _part_of(model: type[_Part], part_id: int, version: FrameworkVersion) -> _Part:
    """A node, indicator or responsibility of this very version, or 404."""
    part = part_of(model, part_id, version)
    if part is None:
        abort(404)
    return part


def _upload_form(unit: Unit, frameworks: list[Framework]) -> UploadForm:
    form = UploadForm()
    # A plan may implement one issued above (the national plan above a provincial one).
    form.parent.choices = [(0, "—")] + [(f.id, f.name) for f in frameworks
                                         if f.owner_unit_id != unit.id]
    return form


@bp.route("/units/<code>/frameworks")
@login_required
def index(code: str) -> ResponseReturnValue:
    unit = unit_or_404(code)
    return _index_page(unit, _upload_form(unit, visible_frameworks(unit)))


def _index_page(unit: Unit, form: UploadForm, status: int = 200) -> ResponseReturnValue:
    frameworks = visible_frameworks(unit)
    return render_template(
        "frameworks/index.html", unit=unit, frameworks=frameworks, form=form,
        labels=unit_labels(f.owner_unit_id for f in frameworks),
        may_upload=g.reach.owns_frameworks_of(unit.id),
        versions={f.id: (f.published(), f.draft()) for f in frameworks}), status


@bp.route("/units/<code>/frameworks", methods=["POST"])
@login_required
def upload(code: str) -> ResponseReturnValue:
    unit = unit_or_404(code)
    if not g.reach.owns_frameworks_of(unit.id):
        abort(403)
    candidates = visible_frameworks(unit)
    form = _upload_form(unit, candidates)
    if not form.validate_on_submit():
        return _index_page(unit, form, 422)
    upload_file = form.document.data
    parent = next((f for f in candidates if f.id == form.parent.data), None)
    try:
        received = receive(unit, upload_file.filename or "plan.txt", upload_file.read(),
                           user_id=current_user.id, name=form.name.data or None,
                           parent=parent)
    except FrameworkError as exc:
        form.document.errors = list(form.document.errors) + exc.messages
        return _index_page(unit, form, 422)
    if received.ingest_id is not None:   # a scan: read by OCR in the background
        return redirect(url_for("frameworks.ingest", ingest_id=received.ingest_id))
    flash(_("The plan was read. Check the outline and the warnings, correct what is "
            "needed, then publish it."), "success")
    return redirect(url_for("frameworks.draft", framework_id=received.framework_id))


def _ingest_or_404(ingest_id: int) -> DocumentIngest:
    row = visible_or_404(DocumentIngest, ingest_id)
    if not g.reach.owns_frameworks_of(row.unit_id):
        abort(403)
    return row


@bp.route("/frameworks/scans/<int:ingest_id>")
@login_required
def ingest(ingest_id: int) -> ResponseReturnValue:
    row = _ingest_or_404(ingest_id)
    return render_template("frameworks/ingest.html", ingest=row,
                           unit=visible_or_404(Unit, row.unit_id))


@bp.route("/frameworks/scans/<int:ingest_id>/progress")
@login_required
def ingest_progress(ingest_id: int) -> ResponseReturnValue:
    row = _ingest_or_404(ingest_id)
    response = render_template("frameworks/_ingest_progress.html", ingest=row)
    if row.status == "done" and row.framework_id:
        return response, 200, {"HX-Redirect": url_for("frameworks.draft",
                                                      framework_id=row.framework_id)}
    return response, 200, {"HX-Refresh": "true"} if row.status == "failed" else {}


@bp.route("/frameworks/<int:framework_id>")
@login_required
def show(framework_id: int) -> ResponseReturnValue:
    framework = _framework_or_404(framework_id)
    is_owner = g.reach.owns_frameworks_of(framework.owner_unit_id)
    versions = [v for v in framework.versions if is_owner or not v.is_draft]
    wanted = request.args.get("version", type=int)
    if wanted is not None:
        version = next((v for v in versions if v.number == wanted), None)
        if version is None:
            abort(404)
    else:
        version = framework.published() or (framework.draft() if is_owner else None)
    parts = vars(version_parts(version)) if version else {
        "labels": unit_labels([framework.owner_unit_id])}
    return render_template("frameworks/show.html", framework=framework, version=version,
                           versions=versions, is_owner=is_owner, **parts,
                           periods=periods_of(framework))


# ---- the draft -----------------------------------------------------------------------


@bp.route("/frameworks/<int:framework_id>/draft")
@login_required
def draft(framework_id: int) -> ResponseReturnValue:
    framework = _framework_or_404(framework_id)
    version = _draft_or_404(framework)
    return _draft_page(framework, version)


def _draft_page(framework: Framework, version: FrameworkVersion,
                problems: list[str] | None = None, status: int = 200) -> ResponseReturnValue:
    return render_template("frameworks/draft.html", framework=framework, version=version,
                           problems=problems or [], node_kinds=[k.value for k in NodeKind],
                           unit_kinds=[k.value for k in UnitKind],
                           owner_children=owner_children(framework),
                           **vars(version_parts(version))), status


@bp.route("/frameworks/<int:framework_id>/draft/pages")
@login_required
def review_pages(framework_id: int) -> ResponseReturnValue:
    """Check against the page: the draft's outline beside the page images it was read from."""
    framework = _framework_or_404(framework_id)
    version = _draft_or_404(framework)
    review = page_review(version)
    return render_template("frameworks/pages.html", framework=framework, version=version,
                           review=review, node_kinds=[k.value for k in NodeKind],
                           **vars(review.parts))


@bp.route("/frameworks/<int:framework_id>/draft/pages/<int:page>")
@login_required
def page_image(framework_id: int, page: int) -> ResponseReturnValue:
    """A page image of the draft: for those who may see the draft, never cached by others."""
    framework = _framework_or_404(framework_id)
    version = _draft_or_404(framework)
    row = page_of(version, page)
    if row is None:
        abort(404)
    try:
        handle = open_page(row)
    except StorageError:
        abort(404)
    response = send_file(handle, mimetype=row.content_type, max_age=0,
                         download_name=f"trang-{row.number}.jpg")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/frameworks/<int:framework_id>/draft", methods=["POST"])
@login_required
def start_draft(framework_id: int) -> ResponseReturnValue:
    framework = _framework_or_404(framework_id)
    _owner_or_403(framework)
    published = framework.published()
    if published is None or request.form.get("from_version") != str(published.number):
        return _show_problem(framework, _("Confirm which version the new draft starts from."))
    try:
        with unit_of_work():
            new_draft(framework, current_user.id)
    except FrameworkError as exc:
        return _show_problem(framework, *exc.messages)
    flash(_("A new draft version was started. The version in force stays as it is until "
            "you publish the draft."), "success")
    return redirect(url_for("frameworks.draft", framework_id=framework.id))


def _show_problem(framework: Framework, *problems: str) -> ResponseReturnValue:
    for problem in problems:
        flash(problem, "danger")
    return redirect(url_for("frameworks.show", framework_id=framework.id)), 303


@bp.route("/frameworks/<int:framework_id>/draft/meta", methods=["POST"])
@login_required
def save_meta(framework_id: int) -> ResponseReturnValue:
    framework = _framework_or_404(framework_id)
    version = _draft_or_404(framework)
    try:
        with unit_of_work():
            update_meta(version, request.form.to_dict())
    except FrameworkError as exc:
        return _draft_page(framework, framework.draft(), exc.messages, 422)  # type: ignore[arg-type]  # found above
    flash(_("The header was saved."), "success")
    return redirect(url_for("frameworks.draft", framework_id=framework.id))


@bp.route("/frameworks/<int:framework_id>/draft/nodes/<int:node_id>", methods=["POST"])
@login_required
def save_node(framework_id: int, node_id: int) -> ResponseReturnValue:
    framework = _framework_or_404(framework_id)
    version = _draft_or_404(framework)
    node = _part_of(FrameworkNode, node_id, version)
    problems: list[str] = []
    try:
        with unit_of_work():
            update_node(node, version, request.form.get("title", ""),
                        request.form.get("text", ""), request.form.get("kind", ""))
    except FrameworkError as exc:
        problems = exc.messages
        node = _part_of(FrameworkNode, node_id, version)
    return render_template("frameworks/_node.html", node=node, framework=framework,
                           node_kinds=[k.value for k in NodeKind], problems=problems,
                           saved=not problems), 422 if problems else 200


@bp.route("/frameworks/<int:framework_id>/draft/indicators/<int:indicator_id>",
          methods=["GET", "POST"])
@login_required
def indicator(framework_id: int, indicator_id: int) -> ResponseReturnValue:
    framework = _framework_or_404(framework_id)
    version = _draft_or_404(framework)
    item = _part_of(Indicator, indicator_id, version)
    years = _plan_years(framework, version)
    problems: list[str] = []
    values = None
    if request.method == "POST":
        values = request.form
        data = IndicatorInput(
            name=values.get("name", ""), kind=values.get("kind", ""),
            unit_of_measure=values.get("unit_of_measure", ""),
            time_behaviour=values.get("time_behaviour", ""),
            aggregation=values.get("aggregation", ""),
            numerator_label=values.get("numerator_label", ""),
            denominator_label=values.get("denominator_label", ""),
            target_final=values.get("target_final", ""),
            target_year=values.get("target_year", ""),
            maximum=values.get("maximum", ""),
            reporting_kinds=values.getlist("reporting_kinds"),
            yearly={year: values.get(f"target_{year}", "") for year in years},
            note=values.get("note", ""), target_scope=values.get("target_scope"),
            target_path=values.get("target_path"), baseline=values.get("baseline"),
            baseline_year=values.get("baseline_year"),
            direction=values.get("direction"), tolerance=values.get("tolerance"))
        try:
            with unit_of_work():
                update_indicator(item, version, data)
        except FrameworkError as exc:
            problems = exc.messages
            item = _part_of(Indicator, indicator_id, version)
        else:
            flash(_("Indicator %(code)s was saved.", code=item.code), "success")
            return redirect(url_for("frameworks.draft", framework_id=framework.id)
                            + "#indicators")
    return render_template(
        "frameworks/indicator.html", framework=framework, version=version, indicator=item,
        labels=unit_labels([framework.owner_unit_id]),
        years=years, problems=problems, values=values,
        kinds=[k.value for k in IndicatorKind], behaviours=[t.value for t in TimeBehaviour],
        aggregations=[a.value for a in Aggregation], unit_kinds=[k.value for k in UnitKind],
    ), 422 if problems else 200


@bp.route("/frameworks/<int:framework_id>/draft/indicators", methods=["POST"])
@login_required
def add_draft_indicator(framework_id: int) -> ResponseReturnValue:
    """A new indicator in the draft (a plan whose document states none the reader found);
    its kind, aggregation and targets are then set on its own page."""
    framework = _framework_or_404(framework_id)
    version = _draft_or_404(framework)
    try:
        with unit_of_work():
            item = add_indicator(version, request.form.get("name", ""),
                                 request.form.get("code", ""))
            indicator_id = item.id
    except FrameworkError as exc:
        return _draft_page(framework, framework.draft(), exc.messages, 422)  # type: ignore[arg-type]  # found above
    flash(_("The indicator was added: say what it measures and how it adds up."), "success")
    return redirect(url_for("frameworks.indicator", framework_id=framework.id,
                            indicator_id=indicator_id))


def _plan_years(framework: Framework, version: FrameworkVersion) -> list[int]:
    years = [p.year for p in periods_of(framework)]
    if years:
        return years
    first = version.issued_on.year if version.issued_on else 2025
    return list(range(first, 2031))


@bp.route("/frameworks/<int:framework_id>/draft/responsibilities/<int:responsibility_id>",
          methods=["POST"])
@login_required
def save_responsibility(framework_id: int, responsibility_id: int) -> ResponseReturnValue:
    framework = _framework_or_404(framework_id)
    version = _draft_or_404(framework)
    item = _part_of(Responsibility, responsibility_id, version)
    try:
        unit_ids = [int(v) for v in request.form.getlist("units")]
    except ValueError:
        abort(400)
    try:
        with unit_of_work():
            update_responsibility(item, version, request.form.getlist("kinds"), unit_ids,
                                  request.form.get("direct_children") == "on")
    except FrameworkError as exc:
        return _draft_page(framework, framework.draft(), exc.messages, 422)  # type: ignore[arg-type]  # found above
    flash(_("The responsibility was saved."), "success")
    return redirect(url_for("frameworks.draft", framework_id=framework.id) + "#responsibilities")


@bp.route("/frameworks/<int:framework_id>/draft/publish", methods=["POST"])
@login_required
def publish_draft(framework_id: int) -> ResponseReturnValue:
    framework = _framework_or_404(framework_id)
    version = _draft_or_404(framework)
    if request.form.get("confirm") != str(version.number):
        return _draft_page(framework, version,
                           [_("Tick the confirmation to publish this version.")], 422)
    try:
        with unit_of_work():
            publish(version, current_user.id)
    except FrameworkError as exc:
        return _draft_page(framework, framework.draft(), exc.messages, 422)  # type: ignore[arg-type]  # found above
    flash(_("Version %(n)d is published and in force.", n=version.number), "success")
    return redirect(url_for("frameworks.show", framework_id=framework.id))


# ---- periods -------------------------------------------------------------------------


@bp.route("/frameworks/<int:framework_id>/periods", methods=["GET", "POST"])
@login_required
def periods(framework_id: int) -> ResponseReturnValue:
    framework = _framework_or_404(framework_id)
    is_owner = g.reach.owns_frameworks_of(framework.owner_unit_id)
    problems: list[str] = []
    if request.method == "POST":
        _owner_or_403(framework)
        try:
            with unit_of_work():
                save_period(framework, request.form.to_dict())
        except FrameworkError as exc:
            problems = exc.messages
        else:
            flash(_("The reporting period was added."), "success")
            return redirect(url_for("frameworks.periods", framework_id=framework.id))
    return render_template("frameworks/periods.html", framework=framework,
                           labels=unit_labels([framework.owner_unit_id]),
                           periods=periods_of(framework), is_owner=is_owner, problems=problems,
                           values=request.form if problems else {}), 422 if problems else 200


@bp.route("/frameworks/<int:framework_id>/periods/<int:period_id>", methods=["POST"])
@login_required
def save_period_view(framework_id: int, period_id: int) -> ResponseReturnValue:
    framework = _framework_or_404(framework_id)
    _owner_or_403(framework)
    period = period_of(framework, period_id)
    if period is None:
        abort(404)
    try:
        with unit_of_work():
            save_period(framework, request.form.to_dict(), period)
    except FrameworkError as exc:
        return render_template("frameworks/periods.html", framework=framework,
                               labels=unit_labels([framework.owner_unit_id]),
                               periods=periods_of(framework), is_owner=True,
                               problems=exc.messages, values={}), 422
    flash(_("The reporting period for %(year)d was saved.", year=period.year), "success")
    return redirect(url_for("frameworks.periods", framework_id=framework.id))


# ---- reporting obligations -----------------------------------------------------------


def _obligations_page(framework: Framework, problems: list[str], values: dict,
                      status: int = 200) -> ResponseReturnValue:
    obligations = obligations_of(framework.id)
    periods = periods_of(framework)
    return render_template(
        "frameworks/obligations.html", framework=framework, obligations=obligations,
        terms={t.obligation_id: t for t in terms_of(framework)}, periods=periods,
        labels=unit_labels([framework.owner_unit_id,
                            *(o.receiver_unit_id for o in obligations)]),
        kinds=REPORTER_KINDS, is_owner=g.reach.owns_frameworks_of(framework.owner_unit_id),
        problems=problems, values=values), status


@bp.route("/frameworks/<int:framework_id>/obligations", methods=["GET", "POST"])
@login_required
def obligations(framework_id: int) -> ResponseReturnValue:
    """Who reports to whom under the framework, by which dates; its owner's people (and
    operators) add and change them."""
    framework = _framework_or_404(framework_id)
    if request.method == "GET":
        return _obligations_page(framework, [], {})
    _owner_or_403(framework)
    chosen = None
    if request.form.get("obligation_id"):
        chosen = next((o for o in obligations_of(framework.id)
                       if str(o.id) == request.form["obligation_id"]), None)
        if chosen is None:
            abort(404)
    try:
        with unit_of_work():
            save_obligation(framework, request.form.to_dict(), request.form.getlist("kinds"),
                            chosen)
    except ObligationError as exc:
        return _obligations_page(framework, exc.messages, request.form, 422)
    flash(_("The reporting obligation was saved."), "success")
    return redirect(url_for("frameworks.obligations", framework_id=framework.id))


@bp.route("/frameworks/<int:framework_id>/health", methods=["POST"])
@login_required
def save_health(framework_id: int) -> ResponseReturnValue:
    """The framework's health thresholds (percentages), set by its owner."""
    framework = _framework_or_404(framework_id)
    _owner_or_403(framework)
    try:
        with unit_of_work():
            save_thresholds(framework, request.form.get("on_track", ""),
                            request.form.get("behind", ""))
    except ThresholdError as exc:
        framework = _framework_or_404(framework_id)
        return render_template("frameworks/periods.html", framework=framework,
                               labels=unit_labels([framework.owner_unit_id]),
                               periods=periods_of(framework), is_owner=True,
                               problems=exc.messages, values=request.form), 422
    flash(_("The health thresholds were saved."), "success")
    return redirect(url_for("frameworks.periods", framework_id=framework.id) + "#health")


# ---- the plan above, and the mapping to its indicators (issue 21) ---------------------


@bp.route("/frameworks/<int:framework_id>/parent", methods=["POST"])
@login_required
def save_parent(framework_id: int) -> ResponseReturnValue:
    """Declare the plan this framework implements (the national one above a province's)."""
    framework = _framework_or_404(framework_id)
    _owner_or_403(framework)
    try:
        with unit_of_work():
            set_parent_form(framework, request.form.get("parent_id", ""))
    except MappingError as exc:
        return _mapping_page(_framework_or_404(framework_id), exc.messages, request.form), 422
    flash(_("The plan this framework implements was saved."), "success")
    return redirect(url_for("frameworks.mapping", framework_id=framework.id))


@bp.route("/frameworks/<int:framework_id>/mapping", methods=["GET", "POST"])
@login_required
def mapping(framework_id: int) -> ResponseReturnValue:
    """Each indicator of the framework mapped to the national indicator it feeds."""
    framework = _framework_or_404(framework_id)
    _owner_or_403(framework)
    if request.method == "GET":
        return _mapping_page(framework)
    version = mapping_version(framework)
    try:
        with unit_of_work():
            if version is None:
                raise MappingError({"mode": _("The framework has no version to map.")})
            save_mapping_form(version, request.form.to_dict())
    except MappingError as exc:
        return _mapping_page(_framework_or_404(framework_id), exc.messages, request.form), 422
    flash(_("The mapping to the national indicators was saved."), "success")
    return redirect(url_for("frameworks.mapping", framework_id=framework.id))


def _mapping_page(framework: Framework, problems: list[str] | None = None,
                  values: object = None) -> str:
    return render_template(
        "frameworks/mapping.html", framework=framework, page=mapping_page(framework),
        modes=MAPPING_MODE_LABELS, kinds=INDICATOR_KIND_LABELS,
        labels=unit_labels([framework.owner_unit_id]), problems=problems or [],
        values=values or {})
