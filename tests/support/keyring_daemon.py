"""A real, private Secret Service for tests: its own D-Bus session bus plus gnome-keyring-daemon.

The `secret_service` fixture points DBUS_SESSION_BUS_ADDRESS at the private bus and installs
keyring's SecretService backend explicitly, so the vault is exercised through the real daemon
and nothing touches the developer's own keyring. Without gnome-keyring the fixture skips locally
and FAILS in CI (CI=true), so a missing package can never silently skip the vault tests.

The bus runs from its own config with no service directories, so nothing on it is ever D-Bus
activated. With the stock session config a Secret Service call that reached the bus while our
daemon did not own the name (before it claimed it, or after it went away) started a *second*
gnome-keyring from /usr/share/dbus-1/services with the developer's real HOME, and the call hung for
the bus's 120 s service_start_timeout. Now such a call fails at once with ServiceUnknown, and each
test first checks that our daemon is still alive and owns the name, failing with its log if not.
(The flaky keyring InitError itself came from Hearth: concurrent vault reads and writes, fixed by
the lock in app/vault/store.py.)
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
SECRETS_NAME = "org.freedesktop.secrets"
# a session bus that activates nothing: only the daemon we start can ever own org.freedesktop.secrets
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={socket_dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


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

    @property
    def log_path(self) -> Path:
        return self.home / "gnome-keyring.log"

    def problem(self) -> str | None:
        """Why the daemon cannot serve the next test (None when it can): exited, or lost the name."""
        if self.keyring.poll() is not None:
            return f"gnome-keyring-daemon exited with status {self.keyring.returncode}"
        if not _owns_secrets_name(self.bus_address):
            return f"nobody owns {SECRETS_NAME} on the private bus"
        return None

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

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
    (home / "bus").mkdir(mode=0o700)
    config = home / "bus.conf"
    config.write_text(BUS_CONFIG.format(socket_dir=home / "bus"), encoding="utf-8")
    out = subprocess.run(
        [dbus_daemon, f"--config-file={config}", "--fork", "--print-address=1", "--print-pid=1"],
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
    with open(home / "gnome-keyring.log", "wb") as log:
        proc = subprocess.Popen(
            [gkd, "--foreground", "--unlock", "--components=secrets", f"--control-directory={home / 'run'}"],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # a Ctrl-C or a signal to the test's process group never reaches it
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


def _owns_secrets_name(bus_address: str) -> bool:
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import Proxy, open_dbus_connection

    try:
        with open_dbus_connection(bus=bus_address) as conn:
            return bool(Proxy(message_bus, conn).NameHasOwner(SECRETS_NAME)[0])
    except (OSError, ConnectionError):
        return False


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
                # Only once our daemon owns the name (the bus activates nothing, so it is ours).
                if Proxy(message_bus, conn).NameHasOwner(SECRETS_NAME)[0] == 1:
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

    problem = _secret_service_daemon.problem()
    if problem:
        pytest.fail(
            f"the private Secret Service is gone ({problem}); its log:\n{_secret_service_daemon.log_tail()}",
            pytrace=False,
        )
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
    # through Hearth's shared connection: a connect-read-disconnect per test is the pattern that makes
    # gnome-keyring-daemon abort (app/vault/secret_service.py)
    import secretstorage

    from app.vault.secret_service import shared_connection

    conn, session = shared_connection()
    collection = secretstorage.get_default_collection(conn, session)
    for item in collection.search_items({"service": SERVICE}):
        item.delete()
