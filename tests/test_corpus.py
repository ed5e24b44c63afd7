"""A corpus that is not ours (issue 19, item 5): public plans of Vietnamese provinces as
their web copies give them, and the project's own synthetic texts, each read three ways —
the text, a PDF text layer printed from it, and a scan made from that PDF (rasterized at
300 dpi, askew, blurred, speckled) read by OCR — and compared with the structure written
by hand beside it (``tests/corpus/NAME.expected.json``, see tests/corpus/README.md).

The match per document and variant is printed as a table (``pytest -s``); the thresholds
are asserted per variant: text and PDF exact, OCR the number, date and place exact and
0.9 of the outline (paths with their titles). The OCR variant reads every page of every
scan once per run (about 10 pages, well under two minutes on the 2-core machine).
"""

from __future__ import annotations

import difflib
import json
import random
from pathlib import Path

import pytest

from portal.frameworks import ocr
from portal.frameworks.parser import ParseResult, parse_file, parse_pages
from tests.pdf_documents import office, roughen, text_pdfs

CORPUS = Path(__file__).resolve().parent / "corpus"
EXPECTED = {p.name.removesuffix(".expected.json"): json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(CORPUS.glob("*.expected.json"))}
FIELDS = ("number", "date", "place", "issuer", "title")
# the share of the expected outline (path and title) a variant must find, and whether the
# number, date, place, issuer and title must be exact
THRESHOLDS = {"text": 1.0, "pdf": 1.0, "ocr": 0.9}
TABLE: list[tuple[str, str, str, float]] = []


def flat(outline: list[dict], prefix: str = "") -> dict[str, str]:
    out = {}
    for node in outline:
        path = f"{prefix}.{node['label']}" if prefix else node["label"]
        out[path] = node["title"]
        out.update(flat(node["children"], path))
    return out


def similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def score(result: ParseResult, want: dict, variant: str) -> tuple[dict[str, bool], float]:
    got = result.as_dict()
    meta = got["meta"]
    exact = variant != "ocr"
    fields = {key: (meta.get(key) == want[key]) if exact or key in ("number", "date", "place")
              else similar(meta.get(key) or "", want[key]) >= 0.9 for key in FIELDS}
    found = flat(got["outline"])
    hits = sum(path in found and (found[path] == title if exact else
                                  similar(found[path], title) >= 0.9)
               for path, title in want["outline"])
    outline = hits / len(want["outline"])
    # nothing found beyond what is expected: an extra item is a miss too
    extra = len(set(found) - {p for p, _t in want["outline"]})
    return fields, outline * len(want["outline"]) / (len(want["outline"]) + extra)


def check(name: str, variant: str, result: ParseResult) -> None:
    want = EXPECTED[name]
    fields, outline = score(result, want, variant)
    wrong = [k for k, ok in fields.items() if not ok]
    TABLE.append((name, variant, ", ".join(wrong) or "all exact", outline))
    assert not wrong, (name, variant, {k: result.meta.get(k) for k in wrong})
    assert outline >= THRESHOLDS[variant], (name, variant, flat(result.as_dict()["outline"]))
    if variant == "ocr":
        return
    got = result.as_dict()
    assert got["preamble"].startswith(want["preamble_starts"]), got["preamble"][:80]
    if "closing_starts" in want:
        assert got["closing"].startswith(want["closing_starts"])
    if "recipients" in want:
        assert got["recipients"] == want["recipients"]
    if "signer" in want:
        assert got["signature"]["signer"] == want["signer"]
    for path, _title in want["outline"]:   # the preamble and the tail are not in the outline
        text = flat_text(got["outline"]).get(path, "")
        assert "Nơi nhận" not in text and "Căn cứ" not in text[:7], (path, text)
    expected_corrections = [tuple(c) for c in want.get("corrections", [])]
    assert [(c["at"], c["before"], c["after"]) for c in got["corrections"]] == \
        expected_corrections


def flat_text(outline: list[dict], prefix: str = "") -> dict[str, str]:
    out = {}
    for node in outline:
        path = f"{prefix}.{node['label']}" if prefix else node["label"]
        out[path] = node["text"]
        out.update(flat_text(node["children"], path))
    return out


def text_of(name: str) -> str:
    return (CORPUS / EXPECTED[name]["source"]).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if office() is None:
        pytest.skip("LibreOffice is not installed (scripts/setup.sh)")
    folder = tmp_path_factory.mktemp("corpus")
    return text_pdfs({name: text_of(name) for name in EXPECTED}, folder)


@pytest.fixture(scope="module", autouse=True)
def report() -> object:
    yield
    if TABLE:
        print("\n\ncorpus match (tests/corpus):")
        print(f"{'document':32} {'variant':7} {'outline':>7}  header")
        for name, variant, fields, outline in sorted(TABLE):
            print(f"{name:32} {variant:7} {outline:7.3f}  {fields}")


def test_every_document_has_its_expected_structure_and_source() -> None:
    assert len(EXPECTED) >= 7
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    for name, want in EXPECTED.items():
        assert (CORPUS / want["source"]).exists(), name
        assert want["source"] in readme, f"{name}: say where it comes from in README.md"
        assert set(FIELDS) <= set(want) and want["outline"], name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_text(name: str) -> None:
    check(name, "text", parse_file(EXPECTED[name]["source"], text_of(name).encode()))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_pdf_text_layer(name: str, pdfs: dict[str, Path]) -> None:
    check(name, "pdf", parse_file(f"{name}.pdf", pdfs[name].read_bytes()))


@pytest.mark.skipif(not ocr.available(), reason="Tesseract or pdftoppm is not installed")
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_scan_read_by_ocr(name: str, pdfs: dict[str, Path], tmp_path: Path) -> None:
    import subprocess

    subprocess.run(["pdftoppm", "-r", "300", "-gray", str(pdfs[name]), str(tmp_path / "p")],
                   check=True, timeout=120)
    rng = random.Random(name)  # noqa: S311  # noise for a test scan, not a secret
    images = [roughen(p, rng, noise=0.01, rotate=0.6)
              for p in sorted(tmp_path.glob("p-*.pgm"))]
    scan = tmp_path / "scan.pdf"
    images[0].save(scan, "PDF", resolution=300, save_all=True, append_images=images[1:])
    read = ocr.read_scan(scan.read_bytes())
    check(name, "ocr", parse_pages(read.pages))
