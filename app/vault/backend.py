"""Which keyring backend holds the cookies, and whether the user chose it: never plain text by accident.

keyring picks the best backend it can find. With no OS keyring that is either none at all (`fail`,
`null`) or, where keyrings.alt is installed (it is by default on some Linux distributions), a file:
`PlaintextKeyring` writes secrets readable by anything that can read the user's files. Hearth keeps
cookies there only when the user chose it themselves (PYTHON_KEYRING_BACKEND or keyring's own config
file); otherwise writing a cookie stops with a `VaultError` that says so and lists the choices.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from app.errors import VaultError
from app.i18n import lazy_gettext

CHOICES = lazy_gettext(
    "choose one: (1) install and unlock a keyring service (gnome-keyring or KWallet) and run Hearth in "
    "your desktop session; (2) keep cookies in an encrypted file: `pip install keyrings.alt` and set "
    "PYTHON_KEYRING_BACKEND=keyrings.alt.file.EncryptedKeyring (it asks for a password); (3) keep them in "
    "a plain-text file, readable by anything that can read your files: set "
    "PYTHON_KEYRING_BACKEND=keyrings.alt.file.PlaintextKeyring; or (4) skip sites that need cookies"
)
_NO_KEYRING = ("keyring.backends.fail", "keyring.backends.null")


@dataclass(frozen=True, slots=True)
class BackendInfo:
    name: str  # module.Class
    kind: str  # "keyring" (an OS service or an encrypted store), "plaintext", or "none"
    chosen: bool  # named by the user (PYTHON_KEYRING_BACKEND / keyring's config), not picked by keyring
    location: str = ""  # the file, for file backends

    def describe(self) -> str:
        if self.kind == "plaintext":
            where = f" at {self.location}" if self.location else ""
            how = "your choice" if self.chosen else "picked automatically"
            return f"a plain-text file{where} ({self.name}, {how})"
        if self.kind == "none":
            return "no keyring"
        return f"the keyring {self.name}"


def _name(backend: Any) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _leaves(backend: Any) -> list[Any]:
    """The backends behind a ChainerBackend (keyring's "try each" wrapper), else the backend itself."""
    inner = getattr(backend, "backends", None)
    if isinstance(inner, list | tuple):
        return [leaf for b in inner for leaf in _leaves(b)]
    return [backend]


def _kind(backend: Any) -> str:
    name = _name(backend)
    if name.startswith(_NO_KEYRING):
        return "none"
    if "plaintext" in type(backend).__name__.lower():
        return "plaintext"
    return "keyring"


def _user_chose() -> bool:
    if os.environ.get("PYTHON_KEYRING_BACKEND", "").strip():
        return True
    try:
        from keyring.core import load_config

        return load_config() is not None
    except Exception:  # a broken keyringrc is keyring's to report; it is still not a choice we can read
        return False


def inspect_backend(backend: Any) -> BackendInfo:
    """What `backend` is; a chain counts as its first non-empty member (the one keyring writes to)."""
    leaves = [b for b in _leaves(backend) if _kind(b) != "none"] or _leaves(backend)
    first = leaves[0]
    kind = _kind(first) if leaves else "none"
    location = str(getattr(first, "file_path", "") or "")
    return BackendInfo(_name(first), kind, _user_chose(), location)


def require_safe_for_writing(backend: Any) -> BackendInfo:
    """The backend's info, or a VaultError when it cannot keep a cookie or would put it in plain text
    without the user having chosen that."""
    info = inspect_backend(backend)
    if info.kind == "none":
        raise VaultError("there is no OS keyring to keep the cookie in", hint=CHOICES)
    if info.kind == "plaintext" and not info.chosen:
        raise VaultError(
            f"the only keyring found is {info.describe()}: Hearth will not put cookies in plain text "
            "unless you choose that",
            hint=CHOICES,
        )
    return info
