"""Vietnamese is the default language: every text in the code has a translation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "portal" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"


def test_every_text_in_the_code_is_translated(tmp_path: Path) -> None:
    template = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract",
                    "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", str(template),
                    "."], cwd=ROOT, check=True, capture_output=True)
    with template.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with CATALOGUE.open("rb") as handle:
        catalogue = {m.id: m for m in read_po(handle) if m.id}
    missing = sorted(str(i) for i in wanted if i not in catalogue
                     or not catalogue[i].string or catalogue[i].fuzzy)
    assert not missing, "run `make translations` and translate:\n" + "\n".join(missing)
