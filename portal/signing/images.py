"""Uploading signature and seal images: small PNGs with a transparent background, blue
for a signature, red for a seal (Decree 30 Appendix I § II.7.d, II.8.a)."""

from __future__ import annotations

import io

from flask_babel import gettext as _
from sqlalchemy import select

from portal.extensions import db
from portal.problems import DomainError
from portal.signing.image import ImageKind, SigningImage
from tenants.membership import Membership
from tenants.unit import Unit

IMAGE_MAX_BYTES = 300 * 1024
IMAGE_MAX_SIDE = 2000          # pixels


class ImageError(DomainError):
    """A signature or seal image refused."""


def _colour(image: object) -> str | None:
    """"blue", "red" or None: the dominant colour of the image's visible pixels."""
    rgba = image.convert("RGBA")  # type: ignore[attr-defined]  # a PIL image
    rgba.thumbnail((64, 64))
    red = green = blue = count = 0
    pixels = rgba.tobytes()
    for at in range(0, len(pixels), 4):
        r, g, b, a = pixels[at:at + 4]
        if a > 128:
            red, green, blue, count = red + r, green + g, blue + b, count + 1
    if not count:
        return None
    if blue > red * 1.2 and blue > green * 1.1:
        return "blue"
    if red > blue * 1.2 and red > green * 1.2:
        return "red"
    return None


def read_png(data: bytes, kind: ImageKind) -> tuple[int, int]:
    """Check an uploaded image; its (width, height). Refusals raise ``ImageError``."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ImageError({"file": _("Choose a PNG file.")})
    if len(data) > IMAGE_MAX_BYTES:
        raise ImageError({"file": _("The image is larger than 300 KB.")})
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ImageError({"file": _("The image must be a PNG file.")})
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if max(width, height) > IMAGE_MAX_SIDE:
                raise ImageError({"file": _("The image is larger than 2000 pixels across.")})
            image.load()
            transparent = image.mode in ("RGBA", "LA") or (
                image.mode == "P" and "transparency" in image.info)
            colour = _colour(image)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageError({"file": _("The image cannot be read.")}) from exc
    if not transparent:
        raise ImageError({"file": _("The image must have a transparent background.")})
    wanted = "red" if kind == ImageKind.SEAL else "blue"
    if colour != wanted:
        raise ImageError({"file": _("A seal image is red; a signature image is blue.")})
    return width, height


def upload_image(unit: Unit, kind: ImageKind, user_id: int | None, data: bytes,
                 uploaded_by: int | None) -> SigningImage:
    """Keep (or replace) the unit's seal, or the signature of a person of the unit."""
    if kind == ImageKind.SIGNATURE:
        member = user_id is not None and db.session.scalar(select(Membership.id).where(
            Membership.unit_id == unit.id, Membership.user_id == user_id).limit(1))
        if not member:
            raise ImageError({"user": _("Choose a person of this unit.")})
    else:
        user_id = None
    width, height = read_png(data, kind)
    row = db.session.scalar(select(SigningImage).where(
        SigningImage.unit_id == unit.id, SigningImage.kind == kind.value,
        SigningImage.user_id.is_(None) if user_id is None
        else SigningImage.user_id == user_id))
    if row is None:
        row = SigningImage(unit_id=unit.id, kind=kind.value, user_id=user_id)
        db.session.add(row)
    row.data, row.width, row.height, row.uploaded_by_id = data, width, height, uploaded_by
    db.session.flush()
    return row


def images_of(unit_id: int) -> list[SigningImage]:
    return list(db.session.scalars(select(SigningImage).where(
        SigningImage.unit_id == unit_id).order_by(SigningImage.kind, SigningImage.id)))
