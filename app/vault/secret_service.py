"""One D-Bus connection and one Secret Service session for the whole process, where keyring opens a new
connection for every read and closes it after.

gnome-keyring-daemon aborts when a client goes away while the daemon is still answering it (upstream race:
"gkd_secret_service_get_pkcs11_session: assertion 'client' failed", then a GLib abort), and keyring's
connect-read-disconnect per call is exactly the pattern that trips it; a refresh reads the vault for each
cookie site, so Hearth would take the user's keyring down with it. Every call here runs under the vault's
keyring lock (app/vault/store.py), so one connection is never used by two threads at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from typing import Any

log = logging.getLogger(__name__)

_lock = threading.Lock()
_shared: dict[str, Any] = {"address": None, "connection": None, "session": None}


class _KeptOpen:
    """The shared connection as keyring sees it: its `closing(collection.connection)` must not close it."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def close(self) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


def shared_connection() -> tuple[Any, Any]:
    """(connection, session) to the Secret Service of this session bus; opened on first use, and again
    when the bus address changes (another D-Bus session) or after `reset()`."""
    import secretstorage
    from secretstorage.util import open_session

    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    with _lock:
        if _shared["connection"] is None or _shared["address"] != address:
            _close_locked()
            connection = secretstorage.dbus_init()
            _shared.update(address=address, connection=connection, session=open_session(connection))
        return _KeptOpen(_shared["connection"]), _shared["session"]


def reset() -> None:
    """Forget the shared connection (it broke, or the daemon went away); the next call opens a new one."""
    with _lock:
        _close_locked()


def _close_locked() -> None:
    connection = _shared["connection"]
    _shared.update(address=None, connection=None, session=None)
    if connection is not None:
        with contextlib.suppress(OSError):
            connection.close()


def sharing_connection(backend: Any) -> Any:
    """`backend` itself, or, for keyring's Secret Service backend, one that uses the shared connection."""
    from keyring.backends.SecretService import Keyring

    if type(backend) is not Keyring:
        return backend
    return _shared_keyring_class()(getattr(backend, "preferred_collection", None))


_class_cache: dict[str, type] = {}


def _shared_keyring_class() -> type:
    """Built on first use, so importing the vault does not import keyring."""
    if "cls" in _class_cache:
        return _class_cache["cls"]
    import secretstorage
    from keyring.backends.SecretService import Keyring
    from keyring.errors import InitError, KeyringLocked

    class SharedConnectionKeyring(Keyring):
        def __init__(self, preferred_collection: str | None) -> None:
            super().__init__()
            if preferred_collection is not None:
                self.preferred_collection = preferred_collection

        def get_preferred_collection(self) -> Any:
            connection, session = shared_connection()
            try:
                if hasattr(self, "preferred_collection"):
                    collection = secretstorage.Collection(connection, self.preferred_collection, session)
                else:
                    collection = secretstorage.get_default_collection(connection, session)
            except secretstorage.exceptions.SecretStorageException as exc:
                raise InitError(f"Failed to create the collection: {exc}.") from exc
            if collection.is_locked():
                collection.unlock()
                if collection.is_locked():  # the user dismissed the prompt
                    raise KeyringLocked("Failed to unlock the collection!")
            return collection

    _class_cache["cls"] = SharedConnectionKeyring
    return SharedConnectionKeyring
