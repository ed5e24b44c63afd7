"""The organisation's signature, applied by the platform where a province configured the
unit's organisation certificate (``ORGANISATION_CERTIFICATES``): a PKCS#12 file and its
password, or a key on a PKCS#11 token (an HSM, a USB token on the server). With pyHanko.

What is drawn (Decree 30 Appendix I): on a document, the unit's seal image (red, actual
size) over the left third of the signer's signature; on an attachment, no image but the
stamp text at the top right of the first page: number and symbol, the signing time in
ISO 8601 on Vietnam's clock, Times New Roman 10 (Liberation Serif, metric-compatible,
where Times New Roman is not installed).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import gettext as _

from portal import clock
from portal.problems import DomainError
from portal.signing.loops import off_the_loop
from portal.signing.render import ORGANISATION_FIELD

if TYPE_CHECKING:
    from pyhanko.pdf_utils.font.api import FontEngineFactory

STAMP_FONTS = ("/usr/share/fonts/truetype/msttcorefonts/Times_New_Roman.ttf",
               "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
               "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf")


class OrganisationSigningError(DomainError):
    """The organisation's signature cannot be applied here."""


@dataclass(frozen=True)
class OrganisationKey:
    unit_code: str
    settings: dict


def configured(unit_code: str) -> OrganisationKey | None:
    """The organisation certificate configured for the unit, if any."""
    try:
        table = json.loads(current_app.config.get("ORGANISATION_CERTIFICATES") or "{}") \
            if isinstance(current_app.config.get("ORGANISATION_CERTIFICATES"), str) \
            else dict(current_app.config.get("ORGANISATION_CERTIFICATES") or {})
    except json.JSONDecodeError:
        return None
    settings = table.get(unit_code)
    return OrganisationKey(unit_code, settings) if isinstance(settings, dict) else None


def _secret(settings: dict, name: str) -> bytes | None:
    if settings.get(f"{name}_file"):
        return Path(settings[f"{name}_file"]).read_bytes().strip()
    value = settings.get(name)
    return value.encode() if isinstance(value, str) else None


def load_signer(key: OrganisationKey) -> object:
    """A pyHanko signer for the configured key: PKCS#12, or PKCS#11 (python-pkcs11)."""
    from pyhanko.sign import signers

    settings = key.settings
    try:
        if "pkcs12" in settings:
            signer = signers.SimpleSigner.load_pkcs12(
                settings["pkcs12"], passphrase=_secret(settings, "password"))
            if signer is None:
                raise OrganisationSigningError(_(
                    "The organisation certificate cannot be opened: check its file and "
                    "password."))
            return signer
        if "pkcs11" in settings:
            from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

            token = settings["pkcs11"]
            pin = _secret(token, "pin")
            session = open_pkcs11_session(token["module"], token_label=token.get("token_label"),
                                          user_pin=pin.decode() if pin else None)
            return PKCS11Signer(session, key_label=token.get("key_label"),
                                cert_label=token.get("cert_label") or token.get("key_label"))
    except OrganisationSigningError:
        raise
    except Exception as exc:   # a wrong password, a token not plugged in, a bad file…
        raise OrganisationSigningError(_(
            "The organisation certificate cannot be opened: %(why)s",
            why=str(exc)[:200] or type(exc).__name__)) from exc
    raise OrganisationSigningError(_("The organisation certificate is configured without "
                                     "a PKCS#12 file or a PKCS#11 token."))


def _font_factory(path: str) -> FontEngineFactory:
    """pyHanko's OpenType font engine, reading the font from memory (its own factory
    opens the file and never closes it)."""
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory

    class InMemory(GlyphAccumulatorFactory):
        def create_font_engine(self, writer, obj_stream=None):  # type: ignore[no-untyped-def]  # pyHanko's signature
            if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
                obj_stream = writer.prepare_object_stream()
            return GlyphAccumulator(writer=writer, font_handle=io.BytesIO(
                Path(self.font_file).read_bytes()), font_size=self.font_size,
                obj_stream=obj_stream)

    return InMemory(path, font_size=10)


def stamp_font() -> str | None:
    return next((path for path in STAMP_FONTS if Path(path).exists()), None)


def stamp_text(doc_number: str | None, moment: datetime) -> str:
    """The attachment's stamp: number and symbol, then the signing time in ISO 8601."""
    when = clock.local(moment).replace(microsecond=0).isoformat()
    return f"{doc_number or ''}\n{when}".strip()


def apply(pdf: bytes, key: OrganisationKey, *, seal_png: bytes | None, attachment: bool,
          doc_number: str | None, reason: str, location: str) -> bytes:
    """Sign ``pdf`` in its organisation field, as an incremental update (the earlier
    signatures and bytes stay as they are)."""
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.layout import AxisAlignment, Margins, SimpleBoxLayoutRule
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.sign import signers
    from pyhanko.stamp import TextStampStyle

    signer = load_signer(key)
    moment = clock.now()
    if attachment:
        font = stamp_font()
        box_style = TextBoxStyle(font_size=10)
        if font is not None:
            box_style = TextBoxStyle(font=_font_factory(font), font_size=10)
        style = TextStampStyle(stamp_text=stamp_text(doc_number, moment), border_width=0,
                               text_box_style=box_style,
                               inner_content_layout=SimpleBoxLayoutRule(
                                   x_align=AxisAlignment.ALIGN_MAX,
                                   y_align=AxisAlignment.ALIGN_MAX, margins=Margins(2, 2, 2, 2)))
    else:
        from PIL import Image

        background = PdfImage(Image.open(io.BytesIO(seal_png))) if seal_png else None
        style = TextStampStyle(stamp_text="", border_width=0, background=background,
                               background_opacity=1)
    meta = signers.PdfSignatureMetadata(field_name=ORGANISATION_FIELD, reason=reason,
                                        location=location)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    out = off_the_loop(signers.PdfSigner(meta, signer=signer, stamp_style=style).sign_pdf, writer)  # type: ignore[arg-type]  # a pyHanko signer
    return out.getvalue()
