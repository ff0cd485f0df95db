"""A real, private Secret Service for tests: its own D-Bus session bus plus gnome-keyring-daemon.

The `secret_service` fixture points DBUS_SESSION_BUS_ADDRESS at the private bus and installs
keyring's SecretService backend explicitly, so the vault is exercised through the real daemon
and nothing touches the developer's own keyring. Without gnome-keyring the fixture skips locally
and FAILS in CI (CI=true), so a missing package can never silently skip the vault tests.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

KEYRING_PASSWORD = "hearth-test-password"
SERVICE = "hearth"


@dataclass
class SecretServiceDaemon:
    """A running private bus + gnome-keyring-daemon; `stop()` ends both (by their own pids)."""

    bus_address: str
    bus_pid: int
    keyring: subprocess.Popen[bytes]
    home: Path

    def env(self) -> dict[str, str]:
        return {
            "DBUS_SESSION_BUS_ADDRESS": self.bus_address,
            "XDG_DATA_HOME": str(self.home / "data"),
            "XDG_RUNTIME_DIR": str(self.home / "run"),
        }

    def stop(self) -> None:
        if self.keyring.poll() is None:
            self.keyring.terminate()
            try:
                self.keyring.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.keyring.kill()
                self.keyring.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.bus_pid, 15)
        shutil.rmtree(self.home, ignore_errors=True)


def _missing(what: str) -> None:
    message = f"{what} is not installed: the vault tests need a real Secret Service (apt-get install -y gnome-keyring dbus-x11)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def start_secret_service(timeout: float = 30.0) -> SecretServiceDaemon:
    """Start a private session bus and an unlocked gnome-keyring (its "login" collection is created)."""
    dbus_daemon = shutil.which("dbus-daemon")
    gkd = shutil.which("gnome-keyring-daemon")
    if not dbus_daemon:
        _missing("dbus-daemon")
    if not gkd:
        _missing("gnome-keyring-daemon")
    home = Path(tempfile.mkdtemp(prefix="hearth-keyring-"))
    (home / "data").mkdir()
    (home / "run").mkdir(mode=0o700)
    out = subprocess.run(
        [dbus_daemon, "--session", "--fork", "--print-address=1", "--print-pid=1"],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    ).stdout.split()
    bus_address, bus_pid = out[0], int(out[1])
    env = dict(os.environ)
    env.update(
        DBUS_SESSION_BUS_ADDRESS=bus_address,
        XDG_DATA_HOME=str(home / "data"),
        XDG_RUNTIME_DIR=str(home / "run"),
        HOME=str(home),
    )
    proc = subprocess.Popen(
        [gkd, "--foreground", "--unlock", "--components=secrets", f"--control-directory={home / 'run'}"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert proc.stdin is not None
    proc.stdin.write(KEYRING_PASSWORD.encode())
    proc.stdin.close()
    daemon = SecretServiceDaemon(bus_address, bus_pid, proc, home)
    try:
        _wait_ready(daemon, timeout)
    except BaseException:
        daemon.stop()
        raise
    return daemon


def _wait_ready(daemon: SecretServiceDaemon, timeout: float) -> None:
    """Poll (bounded) until the daemon owns org.freedesktop.secrets and the login collection is unlocked."""
    import secretstorage
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import Proxy, open_dbus_connection

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if daemon.keyring.poll() is not None:
            raise RuntimeError(f"gnome-keyring-daemon exited with status {daemon.keyring.returncode}")
        try:
            with open_dbus_connection(bus=daemon.bus_address) as conn:
                # Only once *our* daemon owns the name: any call before that would make the bus
                # D-Bus-activate a second gnome-keyring (no password, no login keyring) that wins.
                if Proxy(message_bus, conn).NameHasOwner("org.freedesktop.secrets")[0] == 1:
                    # by alias only: get_default_collection would *create* one (a prompt nobody answers)
                    # if we asked before the daemon has made the login keyring from the password
                    collection = secretstorage.get_collection_by_alias(conn, "default")
                    if not collection.is_locked():
                        return
        except Exception as exc:  # the daemon is still coming up; keep polling until the deadline
            last = exc
        time.sleep(0.05)
    raise RuntimeError(f"the private Secret Service did not come up in {timeout:.0f} s ({last!r})")


@pytest.fixture(scope="session")
def _secret_service_daemon() -> Iterator[SecretServiceDaemon]:
    daemon = start_secret_service()
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture
def secret_service(
    _secret_service_daemon: SecretServiceDaemon, monkeypatch: pytest.MonkeyPatch
) -> Iterator[object]:
    """keyring's SecretService backend on the private daemon; Hearth's entries are wiped after each test."""
    import keyring
    from keyring.backends.SecretService import Keyring as SecretServiceKeyring

    for name, value in _secret_service_daemon.env().items():
        monkeypatch.setenv(name, value)
    previous = keyring.get_keyring()
    backend = SecretServiceKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        _wipe(backend)
        keyring.set_keyring(previous)


def _wipe(backend: object) -> None:
    import secretstorage

    with secretstorage.dbus_init() as conn:
        collection = secretstorage.get_default_collection(conn)
        for item in collection.search_items({"service": SERVICE}):
            item.delete()
