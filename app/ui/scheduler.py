"""The background scheduler: a QTimer that asks for a refresh of due feeds, asleep while offline or paused."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

log = logging.getLogger(__name__)

TICK_MS = 60_000


class RefreshScheduler(QObject):
    """Every tick, if not paused and online, calls `refresh_due()` (the controller starts a worker)."""

    paused_changed = Signal(bool)
    online_changed = Signal(bool)

    def __init__(
        self,
        refresh_due: Callable[[], None],
        *,
        paused: bool = False,
        tick_ms: int = TICK_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._refresh_due = refresh_due
        self._paused = paused
        self._online = True
        self._timer = QTimer(self, interval=tick_ms)
        self._timer.timeout.connect(self.tick)
        self._network = None

    def start(self, first_delay_ms: int = 3000) -> None:
        self._watch_network()
        self._timer.start()
        QTimer.singleShot(first_delay_ms, self.tick)

    def stop(self) -> None:
        self._timer.stop()

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def online(self) -> bool:
        return self._online

    def set_paused(self, paused: bool) -> None:
        if paused != self._paused:
            self._paused = paused
            self.paused_changed.emit(paused)

    def tick(self) -> None:
        if self._paused or not self._online:
            log.debug("scheduler asleep (paused=%s online=%s)", self._paused, self._online)
            return
        self._refresh_due()

    # reachability: sleep while the machine is offline -----------------------------------------------
    def _watch_network(self) -> None:
        try:
            from PySide6.QtNetwork import QNetworkInformation
        except ImportError:
            return
        feature = QNetworkInformation.Feature.Reachability
        if not QNetworkInformation.loadBackendByFeatures(feature):
            log.info("no network-reachability backend; assuming online")
            return
        info = QNetworkInformation.instance()
        if info is None:
            return
        self._network = info
        info.reachabilityChanged.connect(self._on_reachability)
        self._on_reachability(info.reachability())

    def _on_reachability(self, reachability: object) -> None:
        from PySide6.QtNetwork import QNetworkInformation

        unknown = QNetworkInformation.Reachability.Unknown
        online = reachability in (QNetworkInformation.Reachability.Online, unknown)
        self.set_online(online)

    def set_online(self, online: bool) -> None:
        if online != self._online:
            self._online = online
            self.online_changed.emit(online)
            if online:
                QTimer.singleShot(2000, self.tick)  # back online: catch up soon
