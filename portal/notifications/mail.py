"""E-mail through Flask-Mail; without MAIL_SERVER, each message is written to a file.

The file output (``MAIL_FILE_DIR``, by default ``instance/mail``) is the embedded default:
an operator can read what would have been sent, and tests read it back.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from flask import current_app
from flask_mail import Message

from portal import clock
from portal.extensions import mail

log = logging.getLogger(__name__)


def send_mail(recipient: str, subject: str, body: str) -> None:
    """Send one message; raises on a delivery failure (the caller records it)."""
    message = Message(subject=subject, recipients=[recipient], body=body,
                      sender=current_app.config["MAIL_DEFAULT_SENDER"])
    if current_app.config.get("MAIL_SERVER"):
        mail.send(message)
        return
    folder = Path(current_app.config.get("MAIL_FILE_DIR")
                  or Path(current_app.instance_path) / "mail")
    folder.mkdir(parents=True, exist_ok=True)
    stamp = clock.now().strftime("%Y%m%dT%H%M%S%f")
    name = re.sub(r"[^A-Za-z0-9.@_-]", "_", recipient)
    path = folder / f"{stamp}-{name}.eml"
    path.write_bytes(message.as_bytes())
    log.info("e-mail to %s written to %s (no MAIL_SERVER)", recipient, path)
