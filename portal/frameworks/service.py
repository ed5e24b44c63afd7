"""Frameworks: from a plan document to structure, drafts, publishing, versions, periods.

Operations only flush; the caller commits once. Every refusal is a
``FrameworkError`` listing all problems in the user's language; nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal import clock, limits
from portal.dates import DateError, parse_date
from portal.extensions import db
from portal.frameworks.document_page import DocumentPage
from portal.frameworks.framework import (
    Framework,
    FrameworkNode,
    FrameworkVersion,
    NodeKind,
    VersionStatus,
)
from portal.frameworks.indicator import (
    ALLOWED_AGGREGATIONS,
    ALLOWED_SCOPES,
    DEFAULT_TOLERANCE,
    Aggregation,
    Direction,
    Indicator,
    IndicatorKind,
    IndicatorTarget,
    TargetPath,
    TargetScope,
    TimeBehaviour,
    default_path,
    default_scope,
)
from portal.frameworks.mapping import copy_mapping
from portal.frameworks.parser import DocumentError, Node, ParseResult, parse_file
from portal.frameworks.pdf import MAX_PAGES
from portal.frameworks.period import ReportingPeriod
from portal.frameworks.responsibility import Responsibility, ResponsibilityUnit
from portal.limits import check_lengths
from portal.numbers import NumberError, as_fraction, parse_number
from portal.problems import DomainError
from tenants.text import nfc, search_key
from tenants.unit import Unit, UnitClosure, UnitKind

REPORTING_KINDS = (UnitKind.DEPARTMENT.value, UnitKind.DISTRICT.value, UnitKind.COMMUNE.value)
# People's committees: what "UBND cấp dưới trực tiếp" (the level directly below) means.
COMMITTEE_KINDS = (UnitKind.DISTRICT.value, UnitKind.COMMUNE.value)


class FrameworkError(DomainError):
    """A framework operation refused."""


def warning_text(warning: dict[str, Any]) -> str:
    """A parser warning in the reader's language (the JSON keeps the English message)."""
    params = warning.get("params") or {}
    field_names = {"issuer": _("issuing body"), "number": _("number and symbol"),
                   "date": _("date")}
    texts = {
        "numbering-gap": lambda: _("Item %(item)s is missing from the numbering.", **params),
        "numbering-repeat": lambda: _("Item %(item)s appears twice.", **params),
        "numbering-order": lambda: _("Item %(item)s comes after item %(after)s.", **params),
        "numbering-start": lambda: _("The numbering starts at %(item)s.", **params),
        "header-missing": lambda: _(
            "The document's header does not give the %(fields)s; fill them in before "
            "publishing.", fields=", ".join(field_names.get(f, f)
                                            for f in params.get("fields", []))),
        "ocr-label": lambda: _("Read “%(raw)s” as “%(label)s” (a scanned copy?); check it.",
                               **params),
        "ocr-number": lambda: _("Read the number as %(number)s from a damaged line; check it.",
                                **params),
        "no-diacritics": lambda: _("The text has no Vietnamese diacritics (a scan read by "
                                   "OCR?); headings and texts are kept as read: correct "
                                   "them."),
        "truncated": lambda: _("The text ends without the closing mark, recipients or "
                               "signature: the document may be cut off."),
        "encoding": lambda: _("The file was read as Windows-1258, not UTF-8: check the "
                              "Vietnamese letters."),
        "auto-numbering": lambda: _("%(n)d paragraphs use Word's automatic numbering, which "
                                    "is not part of the text: check the outline.", **params),
        "ocr": lambda: _("Read by text recognition (OCR) from a scan of %(pages)d pages, "
                         "mean confidence %(confidence)d %% (per page: %(per_page)s): check "
                         "the outline against the pages.", **params),
        "ocr-diacritics": lambda: _("Read “%(raw)s” as “%(name)s”, the official name "
                                    "(diacritics lost in a scan); check it.", **params),
        "ocr-page": lambda: _("Page %(page)d was read with low confidence (%(confidence)d "
                              "%%): check it against the scan.", **params),
        "invalid-date": lambda: _("The date in the header is not a real date."),
        "missing-date": lambda: _("The date line has no day (an unsigned draft?)."),
    }
    text = texts.get(warning.get("code", ""))
    try:
        return text() if text else warning.get("message", "")
    except (KeyError, TypeError):
        return warning.get("message", "")


def document_message(error: DocumentError) -> str:
    """A parser refusal in the user's language."""
    messages = {
        "empty": _("The file is empty."),
        "pdf-corrupt": _("The PDF is damaged or protected by a password. Save it again "
                         "from the program that made it, then upload it."),
        "pdf-pages": _("The PDF has more pages than a plan can have (at most %(n)d).",
                       n=MAX_PAGES),
        "scan": _("This PDF is a scan without a text layer: it is read by OCR."),
        "corrupt": _("The .docx file is damaged or is not a Word document. Open it in Word, "
                     "save it again and upload it."),
        "format": _("Only .txt, .docx and .pdf files and scanned images (.png, .jpg, "
                    ".tif) can be read. Save the document as .docx, PDF or plain text."),
        "encoding": _("The text is neither UTF-8 nor Windows-1258. Save it as UTF-8 text."),
        "not-a-plan": _("No outline was found in this file. A plan has sections (I., II., …) "
                        "or numbered items (1., 2., …)."),
    }
    return messages.get(error.code, str(error))


# ---- creating a framework from a document -----------------------------------------


def create_from_document(owner: Unit, filename: str, data: bytes, *,
                         user_id: int | None = None, name: str | None = None,
                         parent: Framework | None = None) -> Framework:
    """A new framework owned by ``owner`` with a first draft version parsed from the file."""
    try:
        parsed = parse_file(filename, data)
    except DocumentError as exc:
        raise FrameworkError([document_message(exc)]) from exc
    return create_from_parsed(owner, filename, parsed, user_id=user_id, name=name,
                              parent=parent)


def create_from_parsed(owner: Unit, filename: str, parsed: ParseResult, *,
                       user_id: int | None = None, name: str | None = None,
                       parent: Framework | None = None) -> Framework:
    """A new framework from a document already parsed (an OCR'd scan, a file)."""
    check_lengths(FrameworkError, name=(name, limits.NAME))
    title = parsed.meta.get("title") or filename
    framework = Framework(owner_unit_id=owner.id, name=nfc(name or title)[:300],
                          parent_id=parent.id if parent else None)
    db.session.add(framework)
    db.session.flush()
    build_version(framework, parsed, number=1, filename=filename, user_id=user_id)
    return framework


def build_version(framework: Framework, parsed: ParseResult, *, number: int,
                  filename: str | None, user_id: int | None) -> FrameworkVersion:
    meta = parsed.meta
    version = FrameworkVersion(
        framework_id=framework.id, owner_unit_id=framework.owner_unit_id, number=number,
        status=VersionStatus.DRAFT.value, doc_number=meta.get("number"),
        doc_type=meta.get("doc_type"), issuer=meta.get("issuer"), place=meta.get("place"),
        issued_on=date.fromisoformat(meta["date"]) if meta.get("date") else None,
        title=meta.get("title") or "", preamble=parsed.preamble, closing=parsed.closing,
        source_filename=filename, warnings=[w.as_dict() for w in parsed.warnings],
        created_by_id=user_id)
    db.session.add(version)
    db.session.flush()
    nodes = _add_nodes(version, parsed.outline)
    _propose_indicators(version, nodes)
    _propose_responsibilities(version, nodes)
    return version


def _add_nodes(version: FrameworkVersion, outline: list[Node]) -> list[FrameworkNode]:
    created: list[FrameworkNode] = []

    def add(items: list[Node], parent: FrameworkNode | None, section_key: str) -> None:
        for item in items:
            path = f"{parent.path}.{item.label}" if parent else item.label
            key = section_key or search_key(item.title)
            node = FrameworkNode(
                version_id=version.id, owner_unit_id=version.owner_unit_id,
                parent_id=parent.id if parent else None, path=path, label=item.label,
                depth=path.count(".") if parent else 0, position=len(created),
                title=item.title, text=item.text,
                kind=_kind_of(item, parent, key).value)
            db.session.add(node)
            db.session.flush()
            created.append(node)
            add(item.children, node, key)

    add(outline, None, "")
    return created


def _kind_of(item: Node, parent: FrameworkNode | None, section_key: str) -> NodeKind:
    """The role of an outline item, from the section it stands in."""
    own = search_key(item.title)
    if parent is None:
        return NodeKind.SECTION
    leaf = not item.children
    if "muc dich" in section_key and "yeu cau" in section_key:
        if parent.depth == 0:
            return NodeKind.REQUIREMENT if own.startswith("yeu cau") else NodeKind.PURPOSE
        return NodeKind(parent.kind)
    if "chi tieu" in section_key:
        return NodeKind.TARGET if leaf else NodeKind.TARGET_GROUP
    if "nhiem vu" in section_key or "giai phap" in section_key:
        return NodeKind.TASK if leaf else NodeKind.TASK_GROUP
    if "kinh phi" in section_key:
        return NodeKind.FUNDING
    if "to chuc thuc hien" in section_key or "trach nhiem" in section_key:
        return NodeKind.RESPONSIBILITY
    return NodeKind.OTHER


def _propose_indicators(version: FrameworkVersion, nodes: list[FrameworkNode]) -> None:
    """Every target item becomes an indicator, as text until its owner says more."""
    for position, node in enumerate(n for n in nodes if n.kind == NodeKind.TARGET.value):
        db.session.add(Indicator(
            version_id=version.id, owner_unit_id=version.owner_unit_id, node_id=node.id,
            code=node.path, name=node.text or node.title, kind=IndicatorKind.TEXT.value,
            aggregation=Aggregation.NONE.value, time_behaviour=TimeBehaviour.PER_YEAR.value,
            reporting_kinds=",".join(REPORTING_KINDS), position=position))
    db.session.flush()


# Words in a responsibility's heading that address whole kinds of units.
KIND_WORDS = {
    UnitKind.DEPARTMENT.value: ("cac so, ban, nganh", "cac so ban nganh", "so, ban, nganh"),
    UnitKind.DISTRICT.value: ("ubnd huyen", "uy ban nhan dan huyen", "ubnd cap huyen",
                              "cap huyen"),
    UnitKind.COMMUNE.value: ("ubnd xa", "uy ban nhan dan xa", "ubnd cap xa", "cap xa"),
}


def _propose_responsibilities(version: FrameworkVersion, nodes: list[FrameworkNode]) -> None:
    """Section V items: matched to kinds of units and to the named units below the owner."""
    candidates = _named_candidates(version.owner_unit_id)
    for node in nodes:
        if node.kind != NodeKind.RESPONSIBILITY.value or node.depth != 1:
            continue
        heading = search_key(node.title)
        kinds: list[str] = []
        if "trach nhiem chung" in heading:
            kinds = list(REPORTING_KINDS)
        for kind, words in KIND_WORDS.items():
            if any(w in heading for w in words) and kind not in kinds:
                kinds.append(kind)
        named = [unit_id for key, unit_id in candidates if key and key in heading]
        # Clauses (split at ";") that address neither a kind nor a named unit are kept
        # for the owner to map by hand ("các Hội cấp tỉnh").
        unmatched = [clause.strip() for clause in node.title.split(";")
                     if not _clause_matched(search_key(clause), candidates)]
        responsibility = Responsibility(
            version_id=version.id, owner_unit_id=version.owner_unit_id, node_id=node.id,
            unit_kinds=",".join(kinds), direct_children="cap duoi truc tiep" in heading,
            unmatched="; ".join(unmatched))
        db.session.add(responsibility)
        db.session.flush()
        for unit_id in dict.fromkeys(named):
            db.session.add(ResponsibilityUnit(responsibility_id=responsibility.id,
                                              unit_id=unit_id,
                                              owner_unit_id=version.owner_unit_id))
    db.session.flush()


def _clause_matched(clause: str, candidates: list[tuple[str, int]]) -> bool:
    return ("trach nhiem chung" in clause
            or any(w in clause for words in KIND_WORDS.values() for w in words)
            or any(key and key in clause for key, _uid in candidates))


def _named_candidates(owner_unit_id: int) -> list[tuple[str, int]]:
    """(search key of the name, id) of units directly below the owner, longest first."""
    rows = db.session.execute(
        select(Unit.search_name, Unit.id).where(Unit.parent_id == owner_unit_id)).all()
    return sorted(((key, uid) for key, uid in rows), key=lambda r: -len(r[0]))


# ---- presets --------------------------------------------------------------------------


def apply_indicator_settings(version: FrameworkVersion, settings: dict[str, dict]) -> None:
    """Configure indicators by code (a preset such as Plan 108's); others are removed."""
    _require_draft(version)
    indicators = {i.code: i for i in db.session.scalars(
        select(Indicator).where(Indicator.version_id == version.id))}
    for code, indicator in indicators.items():
        if code not in settings:
            db.session.delete(indicator)
    for position, (code, values) in enumerate(settings.items()):
        indicator = indicators.get(code)
        if indicator is None:
            continue
        targets = values.get("targets", {})
        for key, value in values.items():
            if key != "targets":
                setattr(indicator, key, value)
        # A setting that does not say what its target measures keeps today's reading.
        if "target_scope" not in values:
            indicator.target_scope = default_scope(indicator.aggregation)
        if "target_path" not in values:
            indicator.target_path = default_path(indicator.time_behaviour, bool(targets))
        indicator.position = position
        indicator.targets = [IndicatorTarget(year=year, value=Decimal(str(value)),
                                             owner_unit_id=version.owner_unit_id)
                             for year, value in sorted(targets.items())]
    db.session.flush()


# ---- editing a draft ------------------------------------------------------------------


def _require_draft(version: FrameworkVersion) -> None:
    if not version.is_draft:
        raise FrameworkError([_("A published version cannot be changed; start a new version "
                                "to make changes.")])


def _parse_day(text: str | None, label: str, problems: list[str]) -> date | None:
    try:
        return parse_date(text)
    except DateError as exc:
        problems.append(f"{label}: {exc}")
        return None


def update_meta(version: FrameworkVersion, values: dict[str, str]) -> None:
    """Correct the header read from the document (number, date, issuer, title)."""
    _require_draft(version)
    check_lengths(FrameworkError, title=(values.get("title"), limits.TITLE),
                  issuer=(values.get("issuer"), limits.NAME),
                  place=(values.get("place"), limits.PLACE))
    problems: list[str] = []
    issued_on = _parse_day(values.get("issued_on"), _("Date issued"), problems)
    title = nfc(values.get("title", ""))
    if not title:
        problems.append(_("The title is empty."))
    number = nfc(values.get("doc_number", ""))
    if len(number) > 60:
        problems.append(_("The number and symbol are too long."))
    if problems:
        raise FrameworkError(problems)
    version.doc_number = number or None
    version.doc_type = number.split("/", 1)[1].split("-")[0] if "/" in number else \
        version.doc_type
    version.issued_on = issued_on
    version.issuer = nfc(values.get("issuer", ""))[:300] or None
    version.place = nfc(values.get("place", ""))[:100] or None
    version.title = title
    db.session.flush()


def update_node(node: FrameworkNode, version: FrameworkVersion, title: str, text: str,
                kind: str) -> None:
    _require_draft(version)
    if kind not in {k.value for k in NodeKind}:
        raise FrameworkError([_("Unknown kind of item.")])
    check_lengths(FrameworkError, title=(title, limits.TITLE), text=(text, limits.LONG_TEXT))
    node.title = nfc(title)
    node.text = "\n".join(nfc(line) for line in text.splitlines()).strip()
    node.kind = kind
    db.session.flush()


def add_indicator(version: FrameworkVersion, name: str, code: str = "") -> Indicator:
    """A new indicator in the draft, for a plan whose document states none the reader
    could find (an excerpt, a plan that lists its targets in an annex): a text to report
    until its owner says more on its own page, as the indicators read from a document.
    ``code`` is how the plan numbers it; empty, the next free "CT<n>"."""
    _require_draft(version)
    name, code = nfc(name.strip()), nfc(code.strip())
    problems = []
    if not name:
        problems.append(_("Enter the indicator's name."))
    taken = set(db.session.scalars(select(Indicator.code).where(
        Indicator.version_id == version.id)))
    if code in taken:
        problems.append(_("The draft already has an indicator %(code)s.", code=code))
    elif len(code) > 40:
        problems.append(_("An indicator's code has at most 40 characters."))
    if problems:
        raise FrameworkError(problems)
    check_lengths(FrameworkError, name=(name, limits.LONG_TEXT))
    if not code:
        code = next(f"CT{n}" for n in range(1, len(taken) + 2) if f"CT{n}" not in taken)
    last = db.session.scalar(select(func.max(Indicator.position)).where(
        Indicator.version_id == version.id))
    indicator = Indicator(
        version_id=version.id, owner_unit_id=version.owner_unit_id, node_id=None,
        code=code, name=name, kind=IndicatorKind.TEXT.value,
        aggregation=Aggregation.NONE.value, time_behaviour=TimeBehaviour.PER_YEAR.value,
        reporting_kinds=",".join(REPORTING_KINDS),
        position=0 if last is None else last + 1)
    db.session.add(indicator)
    db.session.flush()
    return indicator


@dataclass
class IndicatorInput:
    name: str
    kind: str
    unit_of_measure: str
    time_behaviour: str
    aggregation: str
    numerator_label: str
    denominator_label: str
    target_final: str
    target_year: str
    reporting_kinds: list[str]
    yearly: dict[int, str]
    note: str = ""
    maximum: str = ""     # the plausible maximum of a figure a unit reports; "" is none
    # None: unchanged (a form or client that does not show them)
    target_scope: str | None = None
    target_path: str | None = None
    baseline: str | None = None
    baseline_year: str | None = None
    direction: str | None = None       # Direction; None: unchanged
    tolerance: str | None = None       # a percentage ("5"); "" : the default 5 %


def update_indicator(indicator: Indicator, version: FrameworkVersion,
                     data: IndicatorInput) -> None:
    """Change an indicator's semantics and targets; every problem is reported at once."""
    _require_draft(version)
    check_lengths(FrameworkError, name=(data.name, limits.TITLE), note=(data.note, limits.NOTE),
                  unit_of_measure=(data.unit_of_measure, limits.CODE),
                  numerator_label=(data.numerator_label, limits.SHORT),
                  denominator_label=(data.denominator_label, limits.SHORT))
    problems: list[str] = []
    name = nfc(data.name)
    if not name:
        problems.append(_("The indicator needs a name."))
    if data.kind not in {k.value for k in IndicatorKind}:
        problems.append(_("Choose the kind of indicator."))
    if data.time_behaviour not in {t.value for t in TimeBehaviour}:
        problems.append(_("Choose how the indicator behaves over time."))
    allowed = ALLOWED_AGGREGATIONS.get(data.kind, set())
    if data.aggregation not in allowed:
        problems.append(_("This kind of indicator cannot be aggregated that way."))
    if data.kind == IndicatorKind.RATIO and not (data.numerator_label.strip()
                                                 and data.denominator_label.strip()):
        problems.append(_("A ratio needs a name for its numerator and its denominator."))
    unknown_kinds = set(data.reporting_kinds) - {k.value for k in UnitKind}
    if unknown_kinds:
        problems.append(_("Unknown unit kinds: %(kinds)s", kinds=", ".join(sorted(unknown_kinds))))
    scope = data.target_scope or indicator.target_scope
    if data.kind == IndicatorKind.YES_NO:
        scope = TargetScope.SHARE.value       # a yes/no is always a share of the units
    elif data.kind == IndicatorKind.TEXT:
        scope = TargetScope.SUM.value
    path = data.target_path or indicator.target_path
    if scope not in ALLOWED_SCOPES.get(data.kind, {TargetScope.SUM}):
        problems.append(_("This kind of indicator cannot have a target measured that way."))
    if scope == TargetScope.SHARE and data.kind != IndicatorKind.YES_NO \
            and data.time_behaviour == TimeBehaviour.CUMULATIVE:
        problems.append(_("A share of units needs a per-year or a stock indicator: units "
                          "cannot be counted once over the years of a cumulative one."))
    if path not in {p.value for p in TargetPath}:
        problems.append(_("Choose how the yearly target is set."))
    fraction = data.kind in (IndicatorKind.RATIO, IndicatorKind.YES_NO) \
        or scope == TargetScope.SHARE

    def read_target(text: str, label: str) -> Decimal | None:
        if not text.strip():
            return None
        try:
            value = parse_number(text, integer=data.kind == IndicatorKind.COUNT)
        except NumberError as exc:
            problems.append(f"{label}: {exc}")
            return None
        if fraction:
            if value > 100:
                problems.append(_("%(label)s: a percentage cannot exceed 100.", label=label))
            try:
                return as_fraction(value, text)
            except NumberError as exc:
                problems.append(f"{label}: {exc}")
                return None
        return value

    final = read_target(data.target_final, _("Target"))
    target_year = None
    if data.target_year.strip():
        try:
            target_year = int(parse_number(data.target_year, integer=True))
        except NumberError as exc:
            problems.append(_("Target year: %(problem)s", problem=exc))
    yearly = {year: read_target(text, _("Target for %(year)d", year=year))
              for year, text in sorted(data.yearly.items())}
    maximum = _read_maximum(data, problems)
    baseline = indicator.baseline if data.baseline is None \
        else read_target(data.baseline, _("Baseline"))
    baseline_year = indicator.baseline_year
    if data.baseline_year is not None:
        baseline_year = None
        if data.baseline_year.strip():
            try:
                baseline_year = int(parse_number(data.baseline_year, integer=True))
            except NumberError as exc:
                problems.append(_("Baseline year: %(problem)s", problem=exc))
    direction = data.direction or indicator.direction
    if direction not in {d.value for d in Direction}:
        problems.append(_("Choose which way the indicator should move."))
    tolerance = indicator.tolerance
    if data.tolerance is not None:
        tolerance = None
        if data.tolerance.strip():
            try:
                tolerance = as_fraction(parse_number(data.tolerance), data.tolerance)
            except NumberError as exc:
                problems.append(_("Tolerance: %(problem)s", problem=exc))
            else:
                if not Decimal(0) <= tolerance <= Decimal("0.5"):
                    problems.append(_("Tolerance: give a percentage from 0 to 50."))
    if direction == Direction.MAINTAIN and tolerance is None:
        tolerance = DEFAULT_TOLERANCE
    if path == TargetPath.LINEAR and (final is None or target_year is None):
        problems.append(_("A straight-line target needs the final target and its year."))
    if path == TargetPath.LINEAR and baseline_year is not None and target_year is not None \
            and baseline_year >= target_year:
        problems.append(_("The baseline year must come before the year of the final target."))
    if problems:
        raise FrameworkError(problems)
    indicator.name = name
    indicator.kind = data.kind
    indicator.unit_of_measure = nfc(data.unit_of_measure)[:60]
    indicator.time_behaviour = data.time_behaviour
    indicator.aggregation = data.aggregation
    indicator.numerator_label = nfc(data.numerator_label)[:200]
    indicator.denominator_label = nfc(data.denominator_label)[:200]
    indicator.target_final = final
    indicator.target_year = target_year
    indicator.maximum = maximum
    indicator.target_scope = scope
    indicator.target_path = path
    indicator.baseline = baseline
    indicator.baseline_year = baseline_year
    indicator.direction = direction
    indicator.tolerance = tolerance
    indicator.reporting_kinds = ",".join(k.value for k in UnitKind
                                         if k.value in data.reporting_kinds)
    indicator.note = nfc(data.note)
    existing = {t.year: t for t in indicator.targets}
    for year, value in yearly.items():
        if value is None:
            if year in existing:
                indicator.targets.remove(existing[year])
        elif year in existing:
            existing[year].value = value
        else:
            indicator.targets.append(IndicatorTarget(year=year, value=value,
                                                     owner_unit_id=indicator.owner_unit_id))
    db.session.flush()


def _read_maximum(data: IndicatorInput, problems: list[str]) -> Decimal | None:
    """The plausible maximum: a whole number, for the kinds whose units enter figures."""
    if not data.maximum.strip():
        return None
    if data.kind not in (IndicatorKind.COUNT, IndicatorKind.AMOUNT, IndicatorKind.RATIO):
        problems.append(_("A maximum applies only to counts, amounts and ratios."))
        return None
    try:
        return parse_number(data.maximum, integer=True)
    except NumberError as exc:
        problems.append(_("Maximum: %(problem)s", problem=exc))
        return None


def update_responsibility(responsibility: Responsibility, version: FrameworkVersion,
                          kinds: Iterable[str], unit_ids: Iterable[int],
                          direct_children: bool) -> None:
    _require_draft(version)
    kinds = [k for k in kinds if k in {u.value for u in UnitKind}]
    wanted = set(unit_ids)
    # Only units below the owner can be named; anything else is refused, not ignored.
    below = set(db.session.scalars(select(UnitClosure.descendant_id).where(
        UnitClosure.ancestor_id == version.owner_unit_id,
        UnitClosure.descendant_id.in_(wanted)))) if wanted else set()
    if wanted - below:
        raise FrameworkError([_("Only units below the plan's owner can be named.")])
    responsibility.unit_kinds = ",".join(kinds)
    responsibility.direct_children = direct_children
    responsibility.named = [ResponsibilityUnit(unit_id=uid, owner_unit_id=version.owner_unit_id)
                            for uid in sorted(wanted)]
    db.session.flush()


# ---- publishing and versions ------------------------------------------------------------


def publish(version: FrameworkVersion, user_id: int | None) -> None:
    """Publish a draft: it becomes the version in force and never changes again."""
    _require_draft(version)
    problems = []
    if not version.doc_number:
        problems.append(_("Enter the plan's number and symbol (for example 108/KH-UBND)."))
    if not version.issued_on:
        problems.append(_("Enter the date the plan was issued."))
    if not version.title:
        problems.append(_("The title is empty."))
    if problems:
        raise FrameworkError(problems)
    for older in db.session.scalars(select(FrameworkVersion).where(
            FrameworkVersion.framework_id == version.framework_id,
            FrameworkVersion.status == VersionStatus.PUBLISHED.value)):
        older.status = VersionStatus.SUPERSEDED.value
    version.status = VersionStatus.PUBLISHED.value
    version.published_at = clock.now()
    version.published_by_id = user_id
    db.session.flush()


def new_draft(framework: Framework, user_id: int | None) -> FrameworkVersion:
    """A new draft copied from the version in force (the old one stays as it is)."""
    if framework.draft() is not None:
        raise FrameworkError([_("A draft version already exists; edit or publish it first.")])
    source = framework.published()
    if source is None:
        raise FrameworkError([_("There is no published version to start from.")])
    number = max(v.number for v in framework.versions) + 1
    copy = FrameworkVersion(
        framework_id=framework.id, owner_unit_id=framework.owner_unit_id, number=number,
        status=VersionStatus.DRAFT.value, doc_number=source.doc_number,
        doc_type=source.doc_type, issuer=source.issuer, place=source.place,
        issued_on=source.issued_on, title=source.title, preamble=source.preamble,
        closing=source.closing, source_filename=source.source_filename, warnings=[],
        created_by_id=user_id)
    db.session.add(copy)
    db.session.flush()
    node_ids: dict[int, int] = {}
    for node in db.session.scalars(select(FrameworkNode).where(
            FrameworkNode.version_id == source.id).order_by(FrameworkNode.position)):
        twin = FrameworkNode(
            version_id=copy.id, owner_unit_id=copy.owner_unit_id,
            parent_id=node_ids.get(node.parent_id) if node.parent_id else None,
            path=node.path, label=node.label, depth=node.depth, position=node.position,
            kind=node.kind, title=node.title, text=node.text, page=node.page, box=node.box)
        db.session.add(twin)
        db.session.flush()
        node_ids[node.id] = twin.id
    for indicator in db.session.scalars(select(Indicator).where(
            Indicator.version_id == source.id)):
        db.session.add(Indicator(
            version_id=copy.id, owner_unit_id=copy.owner_unit_id,
            node_id=node_ids.get(indicator.node_id) if indicator.node_id else None,
            code=indicator.code, name=indicator.name, kind=indicator.kind,
            unit_of_measure=indicator.unit_of_measure, time_behaviour=indicator.time_behaviour,
            aggregation=indicator.aggregation, numerator_label=indicator.numerator_label,
            denominator_label=indicator.denominator_label,
            target_final=indicator.target_final, target_year=indicator.target_year,
            maximum=indicator.maximum,
            target_scope=indicator.target_scope, target_path=indicator.target_path,
            baseline=indicator.baseline, baseline_year=indicator.baseline_year,
            direction=indicator.direction, tolerance=indicator.tolerance,
            reporting_kinds=indicator.reporting_kinds, note=indicator.note,
            position=indicator.position,
            targets=[IndicatorTarget(year=t.year, value=t.value,
                                     owner_unit_id=copy.owner_unit_id)
                     for t in indicator.targets]))
    for responsibility in db.session.scalars(select(Responsibility).where(
            Responsibility.version_id == source.id)):
        db.session.add(Responsibility(
            version_id=copy.id, owner_unit_id=copy.owner_unit_id,
            node_id=node_ids[responsibility.node_id], unit_kinds=responsibility.unit_kinds,
            direct_children=responsibility.direct_children, unmatched=responsibility.unmatched,
            named=[ResponsibilityUnit(unit_id=n.unit_id, owner_unit_id=copy.owner_unit_id)
                   for n in responsibility.named]))
    for page in db.session.scalars(select(DocumentPage).where(   # the same page images
            DocumentPage.version_id == source.id)):
        db.session.add(DocumentPage(
            version_id=copy.id, owner_unit_id=copy.owner_unit_id, number=page.number,
            storage_key=page.storage_key, content_type=page.content_type, width=page.width,
            height=page.height, size=page.size, source=page.source,
            confidence=page.confidence, words=page.words))
    db.session.flush()
    copy_mapping(source, copy)      # the mapping to the plan above carries on
    return copy


# ---- reporting periods -----------------------------------------------------------------


def save_period(framework: Framework, values: dict[str, str],
                period: ReportingPeriod | None = None) -> ReportingPeriod:
    """Add or change a year's period: due date, data cut-off and optional lock date."""
    problems: list[str] = []
    year = None
    try:
        year = int(parse_number(values.get("year", ""), integer=True))
        if not 2000 <= year <= 2100:
            problems.append(_("The year must lie between 2000 and 2100."))
    except NumberError as exc:
        problems.append(_("Year: %(problem)s", problem=exc))
    due = _parse_day(values.get("due_date"), _("Due date"), problems)
    cutoff = _parse_day(values.get("cutoff_date"), _("Data cut-off date"), problems)
    lock = _parse_day(values.get("lock_date"), _("Lock date"), problems)
    if due is None and not values.get("due_date", "").strip():
        problems.append(_("Enter the due date."))
    if cutoff is None and not values.get("cutoff_date", "").strip():
        problems.append(_("Enter the data cut-off date."))
    if due and cutoff and due < cutoff:
        problems.append(_("The due date (%(due)s) precedes the data cut-off date (%(cutoff)s): "
                          "reports cannot be due before the data they cover end.",
                          due=due.strftime("%d/%m/%Y"), cutoff=cutoff.strftime("%d/%m/%Y")))
    if lock and due and lock < due:
        problems.append(_("The lock date precedes the due date: units could not report on "
                          "time."))
    if year is not None and not problems:
        clash = db.session.scalar(select(ReportingPeriod).where(
            ReportingPeriod.framework_id == framework.id, ReportingPeriod.year == year))
        if clash is not None and clash is not period:
            problems.append(_("There is already a period for %(year)d.", year=year))
    if problems:
        raise FrameworkError(problems)
    if period is None:
        period = ReportingPeriod(framework_id=framework.id,
                                 owner_unit_id=framework.owner_unit_id)
        db.session.add(period)
    period.year, period.due_date, period.cutoff_date, period.lock_date = year, due, cutoff, lock  # type: ignore[assignment]  # missing ones raised above
    db.session.flush()
    return period


def add_default_periods(framework: Framework, years: Iterable[int]) -> int:
    """Periods due 30 November with data up to 15 November, for years not yet set."""
    existing = set(db.session.scalars(select(ReportingPeriod.year).where(
        ReportingPeriod.framework_id == framework.id)))
    added = 0
    for year in years:
        if year not in existing:
            db.session.add(ReportingPeriod(
                framework_id=framework.id, owner_unit_id=framework.owner_unit_id, year=year,
                due_date=date(year, 11, 30), cutoff_date=date(year, 11, 15)))
            added += 1
    db.session.flush()
    return added


# ---- reading -------------------------------------------------------------------------------


def visible_frameworks(unit: Unit) -> list[Framework]:
    """Frameworks owned by ``unit`` or by a unit above it, owner nearest first."""
    return list(db.session.scalars(
        select(Framework)
        .join(UnitClosure, UnitClosure.ancestor_id == Framework.owner_unit_id)
        .where(UnitClosure.descendant_id == unit.id)
        .order_by(UnitClosure.depth, Framework.name)))


def duties_of(unit: Unit) -> list[tuple[Framework, FrameworkVersion, FrameworkNode]]:
    """The Section V items that apply to ``unit`` in the frameworks in force above it."""
    duties = []
    for framework in visible_frameworks(unit):
        if framework.owner_unit_id == unit.id:
            continue
        version = framework.published()
        if version is None:
            continue
        rows = db.session.execute(
            select(Responsibility, FrameworkNode)
            .join(FrameworkNode, FrameworkNode.id == Responsibility.node_id)
            .where(Responsibility.version_id == version.id)
            .order_by(FrameworkNode.position)).all()
        for responsibility, node in rows:
            named = {n.unit_id for n in responsibility.named}
            if (unit.id in named or unit.kind in responsibility.unit_kind_list
                    or (responsibility.direct_children
                        and unit.parent_id == framework.owner_unit_id
                        and unit.kind in COMMITTEE_KINDS)):
                duties.append((framework, version, node))
    return duties
