"""A real file-backed keyring backend named like keyrings.alt's PlaintextKeyring (which is not installed
here): secrets in a JSON file, unencrypted. Used to prove Hearth never picks plain text on its own."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class PlaintextKeyring(KeyringBackend):
    priority = 0.5  # type: ignore[assignment]  # what keyrings.alt gives it: below any OS keyring

    @property
    def file_path(self) -> str:
        return os.environ.get("HEARTH_TEST_PLAINTEXT_KEYRING", str(Path.home() / "keyring_pass.cfg"))

    def _load(self) -> dict[str, str]:
        path = Path(self.file_path)
        return json.loads(path.read_text("utf-8")) if path.exists() else {}

    def _save(self, data: dict[str, str]) -> None:
        Path(self.file_path).write_text(json.dumps(data), encoding="utf-8")

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\0{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\0{username}"] = password
        self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}\0{username}", None) is None:
            raise PasswordDeleteError(username)
        self._save(data)
