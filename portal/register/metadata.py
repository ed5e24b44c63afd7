"""The metadata of an outgoing document as Decree 30/2020/NĐ-CP Appendix VI (Part II)
lists it, for exchange: a dictionary (JSON) and the same as XML (``xml.etree``).

Dates are ISO 8601 (``2026-01-05``). Fields the platform does not know are empty, never
guessed (PageAmount until the PDF of record exists, the file code of the records).
``Status``, ``Replaces``, ``ReplacedBy`` and ``Corrects`` are the platform's own: the life
of the document after issue (Art. 18).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from sqlalchemy import select

from portal.extensions import db
from portal.register.entry import RegisterEntry
from portal.register.service import KIND_NAMES_VI, related
from tenants.scoping import system_scope
from tenants.text import search_key
from tenants.unit import Unit

ROOT = "OutgoingDocument"


def _recipients(entry: RegisterEntry) -> list[dict[str, str]]:
    """One recipient a line of "Nơi nhận" (its dash and semicolon dropped); the
    identifier of a unit of the platform with that very name, where it has one."""
    names = [line.strip().lstrip("-–• ").rstrip(";,.").strip()
             for line in entry.recipients.splitlines()]
    names = [n for n in names if n and search_key(n) not in ("noi nhan", "noi nhan:")]
    keys = {search_key(n) for n in names}
    with system_scope("the electronic identifiers of the units a document is sent to "
                      "(names and identifiers are public)"):
        known = {row.search_name: row.electronic_id for row in db.session.execute(
            select(Unit.search_name, Unit.electronic_id).where(
                Unit.search_name.in_(keys), Unit.electronic_id.is_not(None)))}
    return [{"OrganId": known.get(search_key(n)) or "", "OrganName": n} for n in names]


def metadata(entry: RegisterEntry) -> dict[str, Any]:
    """The Appendix VI record of ``entry``, field by field."""
    unit = db.session.get_one(Unit, entry.unit_id)
    links = related(entry)
    return {
        "OrganId": unit.electronic_id or "",
        "FileCatalog": "",
        "FileNotation": "",
        "DocOrdinal": "",
        "TypeName": KIND_NAMES_VI.get(entry.kind, ""),
        "CodeNumber": entry.shown_number,
        "CodeNotation": entry.notation.split("/", 1)[1] if "/" in entry.notation else "",
        "IssuedDate": entry.issued_on.isoformat(),
        "OrganName": unit.name,
        "Subject": entry.subject,
        "Language": "vi",
        "PageAmount": entry.page_amount if entry.page_amount is not None else "",
        "Description": "bản giấy" if entry.signed_copy == "paper" else "",
        "SignerInfo": {"Position": entry.signer_position, "FullName": entry.signer_name},
        "To": _recipients(entry),
        "Priority": entry.priority,
        "IssuedAmount": "",
        "DueDate": entry.due_date.isoformat() if entry.due_date else "",
        "Status": entry.status,
        "Replaces": links["replaces"].notation if links["replaces"] else "",
        "ReplacedBy": links["replaced_by"].notation if links["replaced_by"] else "",
        "Corrects": links["corrects"].notation if links["corrects"] else "",
    }


def _append(parent: ET.Element, name: str, value: Any) -> None:
    if isinstance(value, dict):
        element = ET.SubElement(parent, name)
        for key, inner in value.items():
            _append(element, key, inner)
    elif isinstance(value, list):
        for item in value:          # a repeated element: <To>…</To><To>…</To>
            _append(parent, name, item)
    else:
        ET.SubElement(parent, name).text = str(value)


def metadata_xml(entry: RegisterEntry) -> bytes:
    """The same record as an XML document (UTF-8, with its declaration)."""
    root = ET.Element(ROOT)
    for name, value in metadata(entry).items():
        _append(root, name, value)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def file_stem(entry: RegisterEntry) -> str:
    """A file name for the record: "25-KH-UBND-2026"."""
    letters = "".join(c if c.isalnum() else "-" for c in search_key(entry.notation).upper())
    return f"{letters}-{entry.year}"
