"""Byte counts as people read them: one formatter for the CLI, the model manager and the AI's memory plan."""

from __future__ import annotations

from typing import Literal

Unit = Literal["B", "KiB", "MiB", "GiB"]
_UNITS: tuple[Unit, ...] = ("B", "KiB", "MiB", "GiB")


def format_size(n: float, unit: Unit | None = None) -> str:
    """`n` bytes as "812 B", "3.4 KiB", "12.0 MiB" or "1.5 GiB" (binary units, one decimal).

    Without `unit`, the largest unit that keeps the number at least 1 (GiB at most); with one, always
    that unit, so sizes listed together compare at a glance ("0.2 GiB" beside "7.5 GiB").
    """
    if unit is None:
        step = 0
        while step < len(_UNITS) - 1 and abs(n) >= 1024 ** (step + 1):
            step += 1
        unit = _UNITS[step]
    step = _UNITS.index(unit)
    if step == 0:
        return f"{n:.0f} B"
    return f"{n / 1024**step:.1f} {unit}"
