"""Where uploaded files live: outside the database, behind a small interface.

``LocalStorage`` keeps them under the instance folder; an object store (S3, MinIO) can
replace it by implementing the same three methods. Keys are generated here, never taken
from a file name, so a name cannot point outside the store.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app


class StorageError(OSError):
    """The store could not take or give back a file (disk full, not writable…)."""


class Storage(Protocol):
    def save(self, data: bytes) -> str: ...
    def open(self, key: str) -> BinaryIO: ...
    def delete(self, key: str) -> None: ...


class LocalStorage:
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not key.replace("-", "").isalnum():
            raise StorageError(f"not a storage key: {key!r}")
        return self.root / key[:2] / key

    def save(self, data: bytes) -> str:
        """Write the bytes whole or not at all (a temporary file, then a rename)."""
        key = uuid.uuid4().hex
        target = self._path(key)
        partial: str | None = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
                partial = handle.name
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, target)
        except OSError as exc:
            if partial is not None:
                with contextlib.suppress(OSError):
                    os.unlink(partial)
            raise StorageError(str(exc)) from exc
        return key

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except OSError as exc:
            raise StorageError(str(exc)) from exc

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(str(exc)) from exc


def evidence_storage() -> Storage:
    root = current_app.config.get("EVIDENCE_DIR") or os.path.join(
        current_app.instance_path, "evidence")
    return LocalStorage(root)


def page_storage() -> Storage:
    """Page images of uploaded plans (portal.frameworks.page_images): ``PAGE_IMAGE_DIR``,
    else a ``pages`` folder beside the evidence files."""
    root = current_app.config.get("PAGE_IMAGE_DIR") or os.path.join(
        current_app.config.get("EVIDENCE_DIR") or os.path.join(
            current_app.instance_path, "evidence"), "pages")
    return LocalStorage(root)
