"""Verification of a signed PDF that comes in, with pyHanko's validation.

Each check has a name and a message in the reader's language; the first that fails
refuses the file (nothing is recorded as signed). In order:

1. ``prefix``: the file begins with the very bytes the platform kept (the PDF of record,
   or the PDF as the signer signed it when the organisation signs next): their SHA-256
   is the stored one, so the signed revision is byte for byte what was rendered;
2. ``count``: exactly one signature was added to it;
3. ``intact``: every signature's digest matches the bytes it covers, and its
   cryptography is sound;
4. ``coverage``: the new signature covers the whole file (nothing was appended after
   it), and the earlier ones were followed by signatures only (no change of content);
5. ``trust``: the signer's certificate chains to a root in the operator's folder
   (TRUST_ROOTS_DIR) and is valid (not expired) now;
6. ``time``: the signing time the signature states is there, after the PDF was made and
   not in the future;
7. ``signer``: the certificate names the person or body expected.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask_babel import gettext as _

from portal import clock
from portal.problems import DomainError

CLOCK_SKEW = timedelta(minutes=10)


class VerificationError(DomainError):
    """A signed PDF refused: ``check`` names the check that failed."""

    def __init__(self, check: str, message: str):
        super().__init__({check: message})
        self.check = check


@dataclass(frozen=True)
class Expected:
    """Who must have signed: a person (their names as the accounts hold them) or an
    organisation (its names, matched against the certificate's organisation or name)."""

    names: tuple[str, ...]
    organisation: bool = False


@dataclass(frozen=True)
class Verified:
    subject: str          # the certificate's subject, as people read it
    common_name: str
    signed_at: datetime   # the signing time the signature states (aware, UTC)
    sha256: str           # of the whole signed file
    checks: tuple[str, ...]


CHECKS = ("prefix", "count", "intact", "coverage", "trust", "time", "signer")


def load_trust_roots(folder: str | None) -> list:
    """The root certificates in the operator's folder (PEM or DER, one or more per file)."""
    from asn1crypto import pem  # type: ignore[import-untyped]  # no types shipped
    from asn1crypto import x509 as asn1_x509

    roots: list = []
    if not folder or not Path(folder).is_dir():
        return roots
    for path in sorted(Path(folder).iterdir()):
        if not path.is_file() or path.suffix.lower() not in (".pem", ".crt", ".cer", ".der"):
            continue
        data = path.read_bytes()
        blocks = [der for _t, _h, der in pem.unarmor(data, multiple=True)] \
            if pem.detect(data) else [data]
        roots.extend(asn1_x509.Certificate.load(der) for der in blocks)
    return roots


def key(text: str) -> str:
    """Names compared as people write them: NFC, case and spacing ignored, marks kept."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify(data: bytes, *, base_sha256: str, base_size: int, base_signatures: int,
           expected: Expected, trust_roots: Iterable, not_before: datetime) -> Verified:
    """Check a signed PDF against the bytes it must extend; raise ``VerificationError``
    naming the first check that failed."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko_certvalidator import ValidationContext

    from portal.signing.loops import off_the_loop

    if len(data) <= base_size or _sha(data[:base_size]) != base_sha256:
        raise VerificationError("prefix", _(
            "The file is not the PDF the platform made for signing (its first bytes "
            "differ): sign the PDF downloaded from this page, without changing it."))
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise VerificationError("intact", _("The file is not a PDF that can be read.")) \
            from exc
    if len(signatures) != base_signatures + 1:
        raise VerificationError("count", _(
            "The file should carry %(want)d signature(s); it carries %(have)d.",
            want=base_signatures + 1, have=len(signatures)))
    roots = list(trust_roots)
    context = ValidationContext(trust_roots=roots, allow_fetching=False,
                                revocation_mode="soft-fail", moment=clock.now())
    newest = max(signatures, key=lambda s: s.signed_revision)
    statuses = []
    for signature in signatures:
        try:
            status = off_the_loop(validate_pdf_signature, signature, context)
        except (SignatureValidationError, PdfError, ValueError) as exc:
            raise VerificationError("intact", _(
                "A signature of the file cannot be checked: %(why)s", why=str(exc)[:200])) \
                from exc
        statuses.append((signature, status))
    for signature, status in statuses:
        if not (status.intact and status.valid):
            raise VerificationError("intact", _(
                "The document was changed after it was signed: the signature “%(field)s” "
                "no longer matches its content.", field=signature.field_name))
    for signature, status in statuses:
        if signature is newest:
            if status.coverage is None or status.coverage.name != "ENTIRE_FILE":
                raise VerificationError("coverage", _(
                    "The signature does not cover the whole file: something was added "
                    "after signing."))
        elif status.coverage is None or status.coverage.name not in (
                "ENTIRE_FILE", "ENTIRE_REVISION") or (
                status.modification_level is not None
                and status.modification_level.name not in ("NONE", "LTA_UPDATES",
                                                            "FORM_FILLING")):
            raise VerificationError("coverage", _(
                "The document was changed after the signature “%(field)s”: only "
                "signatures may follow it.", field=signature.field_name))
    status = dict((id(s), st) for s, st in statuses)[id(newest)]
    if not roots:
        raise VerificationError("trust", _(
            "No trust root is configured (TRUST_ROOTS_DIR): no signature can be trusted."))
    if not status.trusted:
        cert = status.signing_cert
        if cert is not None and (cert.not_valid_after < clock.now()
                                 or cert.not_valid_before > clock.now()):
            raise VerificationError("trust", _(
                "The signer's certificate is not valid now (valid from %(start)s to "
                "%(end)s).", start=f"{cert.not_valid_before:%d/%m/%Y}",
                end=f"{cert.not_valid_after:%d/%m/%Y}"))
        raise VerificationError("trust", _(
            "The signer's certificate does not chain to a trusted root certificate "
            "authority configured for this platform."))
    signed_at = status.signer_reported_dt
    if status.timestamp_validity is not None and status.timestamp_validity.trusted:
        signed_at = status.timestamp_validity.timestamp
    if signed_at is None:
        raise VerificationError("time", _("The signature does not state when it was made."))
    if signed_at > clock.now() + CLOCK_SKEW or signed_at < clock.local(not_before) - CLOCK_SKEW:
        raise VerificationError("time", _(
            "The signing time (%(time)s) is not between the making of the PDF and now.",
            time=clock.shown(signed_at)))
    subject = status.signing_cert.subject.native
    common_name = str(subject.get("common_name", ""))
    organisation = str(subject.get("organization_name", ""))
    candidates = {key(common_name)} | ({key(organisation)} if expected.organisation else set())
    if not any(key(name) in candidates for name in expected.names if name):
        raise VerificationError("signer", _(
            "The certificate was issued to “%(who)s”, not to %(expected)s.",
            who=common_name or organisation or "?",
            expected=" / ".join(f"“{n}”" for n in expected.names if n) or "?"))
    return Verified(subject=status.signing_cert.subject.human_friendly,
                    common_name=common_name, signed_at=signed_at, sha256=_sha(data),
                    checks=CHECKS)
