"""app.sizes.format_size: the one byte-count formatter."""

from __future__ import annotations

from app.sizes import format_size


def test_a_fixed_unit_is_what_the_memory_plan_and_model_manager_print() -> None:
    assert format_size(3 * 2**30, "GiB") == "3.0 GiB"
    assert format_size(int(1.55 * 2**30), "GiB") == "1.5 GiB"
    assert format_size(200 * 2**20, "GiB") == "0.2 GiB"  # a small model next to big ones
    assert format_size(5 * 2**20, "MiB") == "5.0 MiB"


def test_the_largest_unit_that_keeps_the_number_at_least_one() -> None:
    assert format_size(0) == "0 B"
    assert format_size(1023) == "1023 B"
    assert format_size(1024) == "1.0 KiB"
    assert format_size(3.5 * 2**20) == "3.5 MiB"
    assert format_size(7 * 2**30) == "7.0 GiB"
    assert format_size(5 * 2**40) == "5120.0 GiB"  # GiB is the largest unit
