"""What every `hearth` command gets: the data folder's `Library` (opened on first use), where output goes,
and what only the desktop app can do (`Windows`, handed in by app.__main__)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from app.config import Paths, Settings
from app.library import Library

if TYPE_CHECKING:
    from app.storage import Store


@dataclass(frozen=True)
class Windows:
    """What only the desktop app can do, handed in by the entry point (app.__main__)."""

    start: Callable[[Paths, list[str]], int]  # the desktop app; returns its exit code
    sign_in: Callable[[Paths, Settings, str], bool]  # a sign-in window for a site; True once signed in


class Context:
    """What every command gets: where the data lives, and the `Library` over it (opened on first use)."""

    def __init__(
        self, paths: Paths, *, out: Any = None, err: Any = None, windows: Windows | None = None
    ) -> None:
        self.paths = paths
        self.windows = windows
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    @cached_property
    def library(self) -> Library:
        return Library(self.paths)

    @property
    def settings(self) -> Settings:
        return self.library.settings

    @property
    def store(self) -> Store:
        return self.library.store

    def print(self, *parts: object, sep: str = " ", end: str = "\n") -> None:
        print(*parts, sep=sep, end=end, file=self.out, flush=True)

    def close(self) -> None:
        if "library" in self.__dict__:
            self.__dict__["library"].close()
