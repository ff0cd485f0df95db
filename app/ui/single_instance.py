"""One Hearth per data dir: a second start asks the running one (over QLocalSocket) to show its window.

The first start takes a lock file in the data dir (QLockFile: a crashed holder's lock is taken over,
checked by its process id). A start that finds the lock held asks the holder's server to raise its window,
waiting while the holder is still starting up (its server listens only after its first paint), so a
double-click that launches Hearth twice opens one window. A start that gets the lock never loads
QtNetwork before its window is up (~20 ms of the launch).
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QLockFile, QObject, QThread, Signal

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalSocket

log = logging.getLogger(__name__)

RAISE = b"raise\n"
LOCK_NAME = ".hearth-window.lock"
STARTING_S = 5.0  # how long a second start waits for a starting first one's server
RETRY_S = 0.05


def server_name(data_dir: Path) -> str:
    digest = hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:16]
    return f"hearth-{digest}"


class InstanceLock:
    """The data dir's window lock: `acquire` is True for the one Hearth that may open the window."""

    def __init__(self, data_dir: Path) -> None:
        self._lock = QLockFile(str(Path(data_dir) / LOCK_NAME))
        self._lock.setStaleLockTime(0)  # stale only when its process is gone, however long it ran

    def acquire(self) -> bool:
        return self._lock.tryLock(0)

    def release(self) -> None:
        self._lock.unlock()


def raise_running_instance(data_dir: Path, lock: InstanceLock, wait_s: float = STARTING_S) -> bool:
    """Another Hearth holds `lock`: True once it answered (and was asked to raise its window). False if
    the holder went away (then `lock` is ours) or did not answer within `wait_s` (a hung holder, or one on
    another machine sharing the folder): this start goes on as if alone."""
    deadline = time.monotonic() + wait_s
    while True:
        if ask_running_instance(data_dir):
            return True
        if lock.acquire():
            return False
        if time.monotonic() >= deadline:
            log.warning("another Hearth holds %s but does not answer; starting anyway", data_dir / LOCK_NAME)
            return False
        QThread.msleep(int(RETRY_S * 1000))


def ask_running_instance(data_dir: Path, timeout_ms: int = 500) -> bool:
    """True if another Hearth for this data dir answered (and was asked to raise its window)."""
    from PySide6.QtNetwork import QLocalSocket

    socket = QLocalSocket()
    socket.connectToServer(server_name(data_dir))
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(RAISE)
    socket.flush()
    socket.waitForBytesWritten(timeout_ms)
    socket.waitForReadyRead(timeout_ms)  # the server acknowledges, so the message is never lost
    socket.disconnectFromServer()
    return True


class InstanceServer(QObject):
    """Listens for later starts; emits `raise_requested` when one arrives."""

    raise_requested = Signal()

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        from PySide6.QtNetwork import QLocalServer

        super().__init__(parent)
        self.name = server_name(data_dir)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_new_connection)
        self._sockets: list[QLocalSocket] = []

    def listen(self) -> bool:
        if self._server.listen(self.name):
            return True
        # a crashed Hearth can leave a stale socket file behind; nobody answered, so take it over
        self._server.removeServer(self.name)
        ok = self._server.listen(self.name)
        if not ok:
            log.warning("single-instance server could not listen: %s", self._server.errorString())
        return ok

    def close(self) -> None:
        for socket in list(self._sockets):
            socket.abort()
        self._sockets.clear()
        self._server.close()

    def _on_new_connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._sockets.append(socket)
            socket.readyRead.connect(self._on_ready_read)
            socket.disconnected.connect(self._on_disconnected)
            if socket.bytesAvailable():
                self._answer(socket)

    def _on_ready_read(self) -> None:
        from PySide6.QtNetwork import QLocalSocket

        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            self._answer(socket)

    def _on_disconnected(self) -> None:
        from PySide6.QtNetwork import QLocalSocket

        socket = self.sender()
        if isinstance(socket, QLocalSocket) and socket in self._sockets:
            self._sockets.remove(socket)
            socket.deleteLater()

    def _answer(self, socket: QLocalSocket) -> None:
        data = bytes(socket.readAll().data())
        if RAISE.strip() in data:
            socket.write(b"ok\n")
            socket.flush()
            self.raise_requested.emit()
