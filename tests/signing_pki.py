"""A certificate authority of the tests' own, and certificates for the signing tests
(``cryptography``); and the "outside tool" that signs a PDF as a person's signing
software would (pyHanko, with the person's key, which the platform never sees)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID


@dataclass
class Identity:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    chain: list[x509.Certificate]


def _name(common: str, organisation: str | None = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organisation:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common))
    return x509.Name(parts)


def make_ca(name: str) -> Identity:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=365)).not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    return Identity(key, cert, [])


def issue_cert(ca: Identity, common: str, organisation: str | None = None, *,
               expired: bool = False) -> Identity:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    start, end = ((now - timedelta(days=400), now - timedelta(days=30)) if expired
                  else (now - timedelta(days=1), now + timedelta(days=365)))
    cert = (x509.CertificateBuilder().subject_name(_name(common, organisation))
            .issuer_name(ca.cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca.key.public_key()), critical=False)
            .sign(ca.key, hashes.SHA256()))
    return Identity(key, cert, [ca.cert])


def write_root(ca: Identity, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "root.pem"
    path.write_bytes(ca.cert.public_bytes(serialization.Encoding.PEM))
    return folder


def write_pkcs12(identity: Identity, path: Path, password: bytes) -> Path:
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"organisation", identity.key, identity.cert, identity.chain,
        serialization.BestAvailableEncryption(password)))
    return path


def outside_sign(pdf: bytes, identity: Identity, field: str,
                 image: bytes | None = None) -> bytes:
    """Sign ``pdf`` in ``field`` as the person's own software does (incrementally)."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    def der(cert: x509.Certificate) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

    key = asn1_keys.PrivateKeyInfo.load(identity.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    signer = signers.SimpleSigner(
        signing_cert=der(identity.cert), signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs([der(c) for c in identity.chain]))
    style = None
    if image is not None:
        from PIL import Image
        from pyhanko.pdf_utils.images import PdfImage
        from pyhanko.stamp import TextStampStyle

        style = TextStampStyle(stamp_text="", border_width=0,
                               background=PdfImage(Image.open(io.BytesIO(image))),
                               background_opacity=1)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    from portal.signing.loops import off_the_loop

    out = off_the_loop(signers.PdfSigner(signers.PdfSignatureMetadata(field_name=field),
                                         signer=signer, stamp_style=style).sign_pdf, writer)
    return out.getvalue()


def png(colour: tuple[int, int, int], size: tuple[int, int] = (240, 100)) -> bytes:
    """A transparent PNG with a shape in ``colour`` (a signature's stroke, a seal's ring)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, size[0] - 10, size[1] - 10), outline=(*colour, 255), width=8)
    draw.line((20, size[1] - 20, size[0] - 20, 20), fill=(*colour, 255), width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


# The unit whose organisation certificate the live deployment holds: the first district of
# the legacy demo other than Văn Lâm (whose 2026 reports the consolidation journey uses).
PICK_UNIT = """
import json
from sqlalchemy import select
from composition import create_app
from portal.extensions import db
from tenants.scoping import system_scope
from tenants.unit import Unit
app = create_app()
with app.app_context(), system_scope("signing journey"):
    unit = db.session.scalars(select(Unit).where(
        Unit.kind == "district", Unit.code != "325").order_by(Unit.code)).first()
    print(json.dumps([unit.code, unit.name]) if unit else "null")
"""


def configure_live(live) -> dict:
    """Trust roots and one unit's organisation certificate (PKCS#12) for a live
    deployment, set in its environment before its server starts; the root is kept on
    ``live.signing`` for the journey to issue a head's certificate."""
    import json

    picked = json.loads(live.script(PICK_UNIT) or "null")
    if not picked:
        return {}
    code, name = picked
    folder = live.workdir / "pki"
    folder.mkdir(parents=True, exist_ok=True)
    root = make_ca("CA thử nghiệm hành trình")
    password = b"mat-khau-to-chuc"
    p12 = write_pkcs12(issue_cert(root, name, name), folder / "org.p12", password)
    (folder / "org.pass").write_bytes(password)
    live.env["TRUST_ROOTS_DIR"] = str(write_root(root, folder / "trust"))
    live.env["ORGANISATION_CERTIFICATES"] = json.dumps(
        {code: {"pkcs12": str(p12), "password_file": str(folder / "org.pass")}})
    live.signing = {"root": root, "unit": code, "name": name, "trust": folder / "trust"}
    return live.signing
