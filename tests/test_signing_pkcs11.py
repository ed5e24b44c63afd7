"""The organisation's signature applied with a key on a PKCS#11 token (docs/signing.md §
Configuring a province): a SoftHSM2 token of the tests' own holds the organisation key and
certificate of tests/signing_pki.py; the clerk issues with it and the result verifies; a
wrong PIN, a token that is not there, a key or certificate that is not on it, a module
that is not installed, a PIN file that cannot be read: each refused with its message, and
nothing issued."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from flask import Flask

from portal.signing.record import RecordStatus
from portal.signing.render import ORGANISATION_FIELD, SIGNER_FIELD
from tests import test_signing
from tests.conftest import csrf_token
from tests.signing_pki import Identity, outside_sign
from tests.test_signing import make_record, record, stored

pki = test_signing.pki                        # the tests' certificate authority, shared
signing_config = test_signing.signing_config  # trust roots, LibreOffice once per document

SOFTHSM_MODULES = ("/usr/lib/softhsm/libsofthsm2.so",
                   "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                   "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so")
TOKEN, KEY, PIN, SO_PIN = "UBND-HUYEN-MOT", "to-chuc", "2468", "97531"
RSA_KEY = "to-chuc-rsa"


def rsa_organisation(root: Identity) -> Identity:
    """D1's organisation certificate on an RSA 2048 key, from the tests' CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Huyện Một"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "Huyện Một")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(root.cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                root.key.public_key()), critical=False)
            .sign(root.key, hashes.SHA256()))
    return Identity(key, cert, [root.cert])  # type: ignore[arg-type]  # an RSA key


@pytest.fixture(scope="session")
def softhsm(pki, tmp_path_factory) -> dict:
    """A SoftHSM2 token with D1's organisation keys, ECDSA and RSA (imported, then their
    file deleted), and their certificates. The module reads SOFTHSM2_CONF when this
    process first loads it, and a process loads one PKCS#11 module once: so one token for
    the session, and SOFTHSM2_CONF stays set."""
    util = shutil.which("softhsm2-util")
    module = next((path for path in SOFTHSM_MODULES if Path(path).is_file()), None)
    if util is None or module is None:
        pytest.fail("SoftHSM2 is not installed: scripts/setup.sh installs Debian's softhsm2")
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\n"
                    "objectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}

    def run(*args: str) -> None:
        subprocess.run([util, *args], env=env, check=True, capture_output=True, timeout=60)

    run("--init-token", "--free", "--label", TOKEN, "--so-pin", SO_PIN, "--pin", PIN)
    identity = pki["organisation"]
    key_file = folder / "org-key.pem"
    key_file.write_bytes(identity.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    run("--import", str(key_file), "--token", TOKEN, "--label", KEY, "--id", "01",
        "--pin", PIN)
    # an RSA key too, as the Vietnamese CAs' tokens mostly carry (the token hashes)
    rsa_identity = rsa_organisation(pki["root"])
    key_file.write_bytes(rsa_identity.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    run("--import", str(key_file), "--token", TOKEN, "--label", RSA_KEY, "--id", "02",
        "--pin", PIN)
    key_file.unlink()
    # the certificates beside them, with python-pkcs11 (softhsm2-util imports keys only)
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    token = pkcs11.lib(module).get_token(token_label=TOKEN)
    with token.open(rw=True, user_pin=PIN) as session:
        for label, ident, cert in ((KEY, b"\x01", identity.cert),
                                   (RSA_KEY, b"\x02", rsa_identity.cert)):
            session.create_object({
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: ident,
                Attribute.SUBJECT: cert.subject.public_bytes(),
                Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER)})
    (folder / "pin").write_text(PIN + "\n")
    (folder / "wrong-pin").write_text("1357\n")
    return {"module": module, "pin_file": str(folder / "pin"), "rsa": rsa_identity,
            "wrong_pin_file": str(folder / "wrong-pin"), "folder": str(folder)}


@pytest.fixture(autouse=True)
def in_process(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The PDF-of-record job runs in-process (CI sets REDIS_URL, with no worker for the
    app client)."""
    monkeypatch.setitem(app.config, "REDIS_URL", None)


def use_token(app: Flask, monkeypatch: pytest.MonkeyPatch, **token: object) -> None:
    monkeypatch.setitem(app.config, "ORGANISATION_CERTIFICATES",
                        json.dumps({"D1": {"pkcs11": token}}))


def signed_by_head(plan_id: int, login_as, pki) -> tuple[int, bytes, object, str]:
    """A record the head signed (on the page): the clerk's turn."""
    record_id = make_record(plan_id)
    pdf = stored(record(record_id).pdf_key)
    signed = outside_sign(pdf, pki["head"], SIGNER_FIELD)
    head = login_as("head")
    assert head.post(f"/records/{record_id}/sign", data={
        "csrf_token": csrf_token(head, f"/records/{record_id}"),
        "file": (io.BytesIO(signed), "ky.pdf")}).status_code == 303
    clerk = login_as("clerk")
    return record_id, signed, clerk, csrf_token(clerk, f"/records/{record_id}")


@pytest.mark.parametrize("label", [KEY, RSA_KEY])
def test_the_clerk_issues_with_the_organisation_key_on_a_pkcs11_token(
        app: Flask, plan_id: int, signing_config, softhsm, login_as,
        monkeypatch: pytest.MonkeyPatch, label: str) -> None:
    """ECDSA (SoftHSM2 2.6 cannot hash with it: the digest is handed to the token) and
    RSA (the token hashes and signs)."""
    use_token(app, monkeypatch, module=softhsm["module"], token_label=TOKEN, key_label=label,
              pin_file=softhsm["pin_file"])
    record_id, signed, clerk, token = signed_by_head(plan_id, login_as, signing_config)
    answer = clerk.post(f"/records/{record_id}/issue",
                        data={"csrf_token": token, "how": "certificate"})
    assert answer.status_code == 303
    row = record(record_id)
    assert row.status == RecordStatus.ISSUED.value
    final = stored(row.issued_key)
    assert final[:row.signed_size] == signed                # the head's revision, extended
    # the file passes verify.py on its own, as the organisation's signature over it
    from pyhanko.pdf_utils.reader import PdfFileReader

    from portal.signing.verify import Expected, load_trust_roots, verify

    verified = verify(final, base_sha256=row.signed_sha256, base_size=row.signed_size,
                      base_signatures=1, expected=Expected(("Huyện Một",), organisation=True),
                      trust_roots=load_trust_roots(str(signing_config["trust"])),
                      not_before=row.rendered_at)
    assert verified.common_name == "Huyện Một" and verified.sha256 == row.issued_sha256
    signatures = PdfFileReader(io.BytesIO(final)).embedded_signatures
    assert [s.field_name for s in signatures] == [SIGNER_FIELD, ORGANISATION_FIELD]
    # signed by the token's key: the certificate in the signature is the one on the token
    on_token = signing_config["organisation"] if label == KEY else softhsm["rsa"]
    assert signatures[1].signer_cert.serial_number == on_token.cert.serial_number
    assert signatures[1].signer_cert.public_key.algorithm == ("ec" if label == KEY
                                                              else "rsa")
    # the platform's session on the token is closed (and logged out): a new login works
    import pkcs11

    with pkcs11.lib(softhsm["module"]).get_token(token_label=TOKEN).open(user_pin=PIN):
        pass


def test_the_organisation_key_cannot_be_read_out_of_the_token(softhsm) -> None:
    import pkcs11
    from pkcs11 import Attribute, ObjectClass

    token = pkcs11.lib(softhsm["module"]).get_token(token_label=TOKEN)
    with token.open(user_pin=PIN) as session:
        key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=KEY)
        assert key[Attribute.SENSITIVE] and not key[Attribute.EXTRACTABLE]
        with pytest.raises(pkcs11.AttributeSensitive):
            key[Attribute.VALUE]
    # and the key file it was imported from is gone
    assert not list(Path(softhsm["folder"]).glob("*.pem"))


def pkcs11_binding() -> str:
    """A file that exists and is not the module loaded (SoftHSM2's, by the fixture)."""
    import pkcs11._pkcs11

    return str(pkcs11._pkcs11.__file__)


REFUSALS = {
    "wrong PIN": (dict(token_label=TOKEN, key_label=KEY, pin_file="wrong_pin_file"),
                  "từ chối mã PIN"),
    "token not there": (dict(token_label="UBND-KHAC", key_label=KEY, pin_file="pin_file"),
                        "Không tìm thấy token “UBND-KHAC”"),
    "key not on the token": (dict(token_label=TOKEN, key_label="khoa-khac",
                                  pin_file="pin_file"),
                             "Khóa “khoa-khac” không có trên token"),
    "certificate not on the token": (dict(token_label=TOKEN, key_label=KEY,
                                          cert_label="chung-thu-khac", pin_file="pin_file"),
                                     "Chứng thư “chung-thu-khac” không có trên token"),
    "module not installed": (dict(module="/usr/lib/khong-co/opensc-pkcs11.so",
                                  token_label=TOKEN, key_label=KEY, pin_file="pin_file"),
                             "chưa được cài trên máy chủ"),
    "a second PKCS#11 module": (dict(module=pkcs11_binding(), token_label=TOKEN,
                                     key_label=KEY, pin_file="pin_file"),
                                "đã nạp một mô-đun PKCS#11 khác"),
    "the token fails while signing": (dict(token_label=TOKEN, key_label=KEY,
                                           pin_file="pin_file", raw_mechanism=False),
                                      "Token của cơ quan báo lỗi: MechanismInvalid"),
    "slot not a number": (dict(token_label=TOKEN, key_label=KEY, pin_file="pin_file",
                               slot="một"), "phải là một số"),
    "PIN file unreadable": (dict(token_label=TOKEN, key_label=KEY,
                                 pin_file="/run/secrets/khong-co.pin"),
                            "Không đọc được tệp mã PIN"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_token_that_cannot_sign_is_refused_with_its_message_and_nothing_is_issued(
        app: Flask, plan_id: int, signing_config, softhsm, login_as,
        monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    settings, message = REFUSALS[case]
    token = {"module": softhsm["module"], **settings}
    token["pin_file"] = softhsm.get(token["pin_file"], token["pin_file"])
    use_token(app, monkeypatch, **token)
    record_id, signed, clerk, csrf = signed_by_head(plan_id, login_as, signing_config)
    evidence = Path(app.config.get("EVIDENCE_DIR") or Path(app.instance_path) / "evidence")
    files = sorted(p for p in evidence.rglob("*") if p.is_file())
    answer = clerk.post(f"/records/{record_id}/issue",
                        data={"csrf_token": csrf, "how": "certificate"})
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    row = record(record_id)
    assert row.status == RecordStatus.SIGNED.value
    assert row.issued_key is None and row.sealed_at is None and row.sealed_by_id is None
    assert sorted(p for p in evidence.rglob("*") if p.is_file()) == files   # no file kept
    assert clerk.get(f"/records/{record_id}/signed.pdf").data == signed
