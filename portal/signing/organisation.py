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
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
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


@contextmanager
def open_signer(key: OrganisationKey) -> Iterator[object]:
    """A pyHanko signer for the configured key, PKCS#12 or PKCS#11, for the time of one
    signature (a token's session is closed after it)."""
    settings = key.settings
    if "pkcs12" in settings:
        yield _pkcs12_signer(settings)
    elif isinstance(settings.get("pkcs11"), dict):
        with _TOKEN_LOCK, _pkcs11_signer(settings["pkcs11"]) as signer:
            yield signer
    else:
        raise OrganisationSigningError(_("The organisation certificate is configured "
                                         "without a PKCS#12 file or a PKCS#11 token."))


def _cannot_open(exc: Exception) -> OrganisationSigningError:
    return OrganisationSigningError(_(
        "The organisation certificate cannot be opened: %(why)s",
        why=str(exc)[:200] or type(exc).__name__))


def _pkcs12_signer(settings: dict) -> object:
    from pyhanko.sign import signers

    try:
        signer = signers.SimpleSigner.load_pkcs12(
            settings["pkcs12"], passphrase=_secret(settings, "password"))
    except Exception as exc:   # a wrong password, a bad file…
        raise _cannot_open(exc) from exc
    if signer is None:
        raise OrganisationSigningError(_(
            "The organisation certificate cannot be opened: check its file and password."))
    return signer


# One signature at a time on a token from this process: PKCS#11 logs the whole process in
# and out (the login of a second session at the same time is refused).
_TOKEN_LOCK = threading.Lock()


@contextmanager
def _pkcs11_signer(token: dict) -> Iterator[object]:
    """The key stays on the token: the token signs the digest pyHanko hands it. Each way
    this can fail before anything is signed has its own message."""
    import pkcs11
    from pkcs11 import ObjectClass
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.general import SigningError as PyHankoSigningError
    from pyhanko.sign.pkcs11 import PKCS11Signer, find_token

    module = str(token.get("module") or "")
    token_label = token.get("token_label")
    key_label = token.get("key_label")
    cert_label = str(token.get("cert_label") or key_label)
    if not module or not key_label:
        raise OrganisationSigningError(_(
            "The organisation's PKCS#11 token is configured without its module or its "
            "key label."))
    if not Path(module).is_file():
        raise OrganisationSigningError(_(
            "The PKCS#11 module %(module)s is not installed on the server.", module=module))
    try:
        pin = _secret(token, "pin")
    except OSError as exc:
        raise OrganisationSigningError(_(
            "The PIN file of the organisation's token cannot be read: %(why)s",
            why=exc.strerror or type(exc).__name__)) from exc
    try:
        library = pkcs11.lib(module)
    except pkcs11.AlreadyInitialized as exc:
        raise OrganisationSigningError(_(
            "Another PKCS#11 module is already loaded by this server process: all the "
            "organisation tokens of one server must use the same module.")) from exc
    except Exception as exc:   # not a PKCS#11 module, or one that fails to start
        raise OrganisationSigningError(_(
            "The PKCS#11 module %(module)s cannot be loaded: %(why)s", module=module,
            why=str(exc)[:200] or type(exc).__name__)) from exc
    slot = token.get("slot")
    if slot is not None and not (isinstance(slot, int) or str(slot).isdigit()):
        raise OrganisationSigningError(_(
            "The slot of the organisation's token must be a number (its index)."))
    try:
        found = find_token(library.get_slots(), slot_no=None if slot is None else int(slot),
                           token_criteria=TokenCriteria(label=token_label)
                           if token_label else None)
    except pkcs11.PKCS11Error as exc:
        raise _token_failed(exc) from exc
    if found is None:
        raise OrganisationSigningError(_(
            "The organisation's token “%(label)s” is not found: check that it is plugged "
            "in and that its label is the one configured.", label=token_label or ""))
    try:
        session = found.open(user_pin=pin.decode() if pin else None)
    except (pkcs11.PinIncorrect, pkcs11.PinLenRange, pkcs11.PinInvalid) as exc:
        raise OrganisationSigningError(_(
            "The organisation's token refused the PIN: check the PIN file. Nothing was "
            "issued.")) from exc
    except pkcs11.PinLocked as exc:
        raise OrganisationSigningError(_(
            "The organisation's token is locked after too many wrong PINs: its security "
            "officer must unlock it.")) from exc
    except pkcs11.PKCS11Error as exc:
        raise _token_failed(exc) from exc
    try:
        if not _objects(session, ObjectClass.PRIVATE_KEY, key_label):
            raise OrganisationSigningError(_(
                "The key “%(label)s” is not on the organisation's token: check the key "
                "label configured.", label=key_label))
        if not _objects(session, ObjectClass.CERTIFICATE, cert_label):
            raise OrganisationSigningError(_(
                "The certificate “%(label)s” is not on the organisation's token: put the "
                "organisation's certificate on it beside its key.", label=cert_label))
        signer = PKCS11Signer(session, cert_label=cert_label, key_label=key_label,
                              use_raw_mechanism=_raw_ecdsa(token, found, session, key_label))
        signer.signing_cert  # noqa: B018  # loads the certificate and the key now, not mid-PDF
        yield signer
    except (pkcs11.PKCS11Error, PyHankoSigningError, NotImplementedError) as exc:
        # a token pulled out mid-signature, a mechanism or key the token does not support
        raise _token_failed(exc) from exc
    finally:
        with suppress(pkcs11.PKCS11Error):   # a token pulled out: its session is gone
            session.close()


def _objects(session: object, kind: object, label: str) -> int:
    from pkcs11 import Attribute

    return len(list(session.get_objects({Attribute.CLASS: kind,  # type: ignore[attr-defined]  # a pkcs11 Session
                                         Attribute.LABEL: label})))


def _raw_ecdsa(token: dict, found: object, session: object, key_label: str) -> bool:
    """Whether the token is handed the digest to sign (ECDSA keys on tokens that cannot
    hash, as SoftHSM2 2.6): ``raw_mechanism`` in the settings, else asked of the token."""
    if "raw_mechanism" in token:
        return bool(token["raw_mechanism"])
    from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass

    key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=key_label)  # type: ignore[attr-defined]  # a pkcs11 Session
    if key[Attribute.KEY_TYPE] != KeyType.EC:
        return False
    return Mechanism.ECDSA_SHA256 not in found.slot.get_mechanisms()  # type: ignore[attr-defined]  # a pkcs11 Token


def _token_failed(exc: Exception) -> OrganisationSigningError:
    return OrganisationSigningError(_(
        "The organisation's token failed: %(why)s. Nothing was issued.",
        why=str(exc)[:200] or type(exc).__name__))


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
    with open_signer(key) as signer:
        pdf_signer = signers.PdfSigner(meta, signer=signer, stamp_style=style)  # type: ignore[arg-type]  # a pyHanko signer
        out = off_the_loop(pdf_signer.sign_pdf, writer)
    return out.getvalue()
