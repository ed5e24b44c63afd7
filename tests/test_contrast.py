"""The colour pairs the project's CSS sets, at WCAG 2.1 AA contrast, without a browser.

Reads portal/static/css/portal.css and admin.css (the colours a change would touch) and
computes each ratio as WCAG 2.1 defines it (relative luminance of sRGB). The browser
test (tests/test_accessibility.py) runs axe-core on the real pages; this one fails at once
when a colour of these files goes below the line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[1] / "portal" / "static" / "css"
TEXT = 4.5          # WCAG 1.4.3, normal text
NON_TEXT = 3.0      # WCAG 1.4.11, a focus ring or a field's border against what is next to it
WHITE, ADMIN_NAVBAR = "#ffffff", "#343a40"     # Flask-Admin's (Bootstrap 4) navbar-dark bg


def rules(name: str) -> dict[str, dict[str, str]]:
    """selector -> its declarations, later rules overriding earlier ones (no @media)."""
    text = re.sub(r"/\*.*?\*/", "", (CSS / name).read_text(), flags=re.S)
    text = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", text)
    found: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        for selector in (s.strip() for s in selectors.split(",")):
            declarations = found.setdefault(selector, {})
            for declaration in body.split(";"):
                if ":" in declaration:
                    prop, value = declaration.split(":", 1)
                    declarations[prop.strip()] = value.replace("!important", "").strip()
    return found


def value(sheet: dict[str, dict[str, str]], selector: str, prop: str) -> str:
    said = sheet[selector][prop]
    variable = re.fullmatch(r"var\((--[\w-]+)\)", said)
    return value(sheet, ":root", variable.group(1)) if variable else said


def rgba(colour: str, under: str = WHITE) -> tuple[float, float, float]:
    """#rgb, #rrggbb or rgba(r, g, b, a), an alpha blended over ``under``."""
    colour = colour.strip().lower()
    if colour.startswith("#"):
        digits = colour[1:]
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        return tuple(int(digits[i:i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]
    parts = [float(p) for p in re.findall(r"[\d.]+", colour)]
    alpha = parts[3] if len(parts) > 3 else 1.0
    base = rgba(under)
    return tuple(alpha * c + (1 - alpha) * b for c, b in zip(parts[:3], base, strict=True))  # type: ignore[return-value]


def luminance(colour: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(foreground: str, background: str) -> float:
    lighter, darker = sorted((luminance(rgba(foreground, background)),
                              luminance(rgba(background))), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_formula_gives_the_ratios_the_issue_measured() -> None:
    """Issue 17 item 7: Bootstrap's link blue on the page's grey is 4.19:1 (axe-core cuts,
    as here, to two decimals)."""
    def cut(x: float) -> float:
        return int(x * 100) / 100
    assert cut(ratio("#0d6efd", "#f6f7f9")) == 4.19
    assert cut(ratio("#000", "#fff")) == 21.0
    assert cut(ratio("#fff", "#007bff")) == 3.97     # Flask-Admin's primary button


PORTAL = rules("portal.css")
PAGE = PORTAL["body"]["background"]          # the grey page
CARD = WHITE                                 # cards, tables and fields are white

# (what, foreground, background, minimum): every colour the accessibility block sets, on
# every background it is drawn on (the page, a card; a hovered button's white text on it).
PORTAL_PAIRS = [
    ("link", value(PORTAL, ":root", "--bs-link-color"), PAGE, TEXT),
    ("link on a card", value(PORTAL, ":root", "--bs-link-color"), CARD, TEXT),
    ("hovered link", value(PORTAL, ":root", "--bs-link-hover-color"), PAGE, TEXT),
    ("outline-secondary button", value(PORTAL, ".btn-outline-secondary", "--bs-btn-color"),
     PAGE, TEXT),
    ("outline-secondary on a card",
     value(PORTAL, ".btn-outline-secondary", "--bs-btn-color"), CARD, TEXT),
    ("hovered outline-secondary", WHITE,
     value(PORTAL, ".btn-outline-secondary", "--bs-btn-hover-bg"), TEXT),
    ("pressed outline-secondary", WHITE,
     value(PORTAL, ".btn-outline-secondary", "--bs-btn-active-bg"), TEXT),
    ("outline-danger button", value(PORTAL, ".btn-outline-danger", "--bs-btn-color"),
     PAGE, TEXT),
    ("outline-danger on a card", value(PORTAL, ".btn-outline-danger", "--bs-btn-color"),
     CARD, TEXT),
    ("hovered outline-danger", WHITE,
     value(PORTAL, ".btn-outline-danger", "--bs-btn-hover-bg"), TEXT),
    ("pressed outline-danger", WHITE,
     value(PORTAL, ".btn-outline-danger", "--bs-btn-active-bg"), TEXT),
    ("danger button", WHITE, value(PORTAL, ".btn-danger", "--bs-btn-bg"), TEXT),
    ("hovered danger button", WHITE, value(PORTAL, ".btn-danger", "--bs-btn-hover-bg"), TEXT),
    ("pressed danger button", WHITE, value(PORTAL, ".btn-danger", "--bs-btn-active-bg"), TEXT),
    ("muted text", value(PORTAL, ".text-muted", "color"), PAGE, TEXT),
    ("muted text on a card", value(PORTAL, ".text-muted", "color"), CARD, TEXT),
    ("field's message", value(PORTAL, ".field-error", "color"), CARD, TEXT),
    ("focus ring on the page", value(PORTAL, ":root", "--portal-focus"), PAGE, NON_TEXT),
    ("focus ring on a card", value(PORTAL, ":root", "--portal-focus"), CARD, NON_TEXT),
    ("focus ring in the red header", value(PORTAL, ".portal-header", "--portal-focus"),
     value(PORTAL, ":root", "--portal-red"), NON_TEXT),
    ("header text on its red", WHITE, value(PORTAL, ":root", "--portal-red"), TEXT),
    ("a refused field's border", value(PORTAL, '.form-control[aria-invalid="true"]',
                                       "border-color"), CARD, NON_TEXT),
]

ADMIN = rules("admin.css")
ADMIN_PAIRS = [
    ("menu link", value(ADMIN, ".navbar-dark .navbar-nav .nav-link", "color"), ADMIN_NAVBAR,
     TEXT),
    ("link and sort link", value(ADMIN, ".table thead th a", "color"), WHITE, TEXT),
    ("hovered link", value(ADMIN, "a:hover", "color"), WHITE, TEXT),
    ("tab", value(ADMIN, ".nav-tabs .nav-link.active", "color"), WHITE, TEXT),
    ("primary button", WHITE, value(ADMIN, ".btn-primary", "background-color"), TEXT),
    ("hovered primary button", WHITE, value(ADMIN, ".btn-primary:hover", "background-color"),
     TEXT),
]


@pytest.mark.parametrize(("what", "foreground", "background", "minimum"),
                         PORTAL_PAIRS + ADMIN_PAIRS, ids=[p[0] for p in PORTAL_PAIRS + ADMIN_PAIRS])
def test_each_colour_pair_reads(what: str, foreground: str, background: str,
                                minimum: float) -> None:
    got = ratio(foreground, background)
    assert got >= minimum, f"{what}: {foreground} on {background} is {got:.2f}:1, " \
                           f"below {minimum}:1"


def test_the_accessibility_block_is_one_block() -> None:
    """The colours live in one commented block (other work edits the rest of the file)."""
    text = (CSS / "portal.css").read_text()
    assert text.count("---- Accessibility:") == 1
    assert text.count("---- end of the accessibility block") == 1
