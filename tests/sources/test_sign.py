"""x-zse-96 against every published vector, and the headers a signed request carries."""

from __future__ import annotations

import hashlib

import pytest

from app.sources.zhihu.sign import (
    parse_cookie_header,
    sign_headers,
    signature_source,
    x_zse_96,
)
from tests.sources.fake_zhihu import signature_ok

D_C0 = "AGDfVWk4ZBePTqvPzn2TbIMWOvL7Fn2MkKk=|1690000000"
COLUMN = "/api/v4/columns/googledevelopers/items"
MOMENTS = "/api/v3/moments/diygod/activities?limit=5&desktop=true&ws_qiangzhisafe=0"


@pytest.mark.parametrize(
    ("path", "md5"),
    [(COLUMN, "627bad6c6fcf499ddc6665054ae0d5cb"), (MOMENTS, "f3597e3c9d555cc32bff6dc6d90ee7b8")],
)
def test_signature_source_md5_matches_published(path: str, md5: str) -> None:
    assert hashlib.md5(signature_source(path, D_C0).encode()).hexdigest() == md5


@pytest.mark.parametrize(
    ("path", "r", "expected"),
    [
        (COLUMN, 0, "2.0_sLCyA2xrYsKHhDDb3vZmrQwOnDV6QLvnrGtQuYTr+wH82FoBwC41JlPpyVJ0dVlP"),
        (COLUMN, 63, "2.0_F8PtJxedi=9vIhHKo6SJe06tC+/QdOQNk1uz+Vbq73cjeOUinIj=4D7uHcuYDFrL"),
        (MOMENTS, 0, "2.0_vFNr5IsocsQU+RBYC+JTBLtBwDYoywJJkZX7nR0C2NtDJ9/WroaBN=4UIHbq38si"),
    ],
)
def test_x_zse_96_published_vectors(path: str, r: int, expected: str) -> None:
    assert x_zse_96(path, D_C0, r=r) == expected


def test_random_pad_byte_still_verifies_and_varies() -> None:
    values = {x_zse_96(COLUMN, D_C0) for _ in range(8)}
    assert all(v.startswith("2.0_") and len(v) == 68 for v in values)
    assert len(values) > 1  # r is random
    assert all(signature_ok(COLUMN, D_C0, v) for v in values)
    assert not signature_ok(COLUMN + "?x=1", D_C0, next(iter(values)))
    assert not signature_ok(COLUMN, D_C0 + "0", next(iter(values)))


def test_pad_byte_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError):
        x_zse_96(COLUMN, D_C0, r=127)


def test_sign_headers() -> None:
    h = sign_headers(COLUMN, D_C0, referer="https://zhuanlan.zhihu.com/googledevelopers", r=0)
    assert h["x-zse-93"] == "101_3_3.0"
    assert h["x-zse-96"] == "2.0_sLCyA2xrYsKHhDDb3vZmrQwOnDV6QLvnrGtQuYTr+wH82FoBwC41JlPpyVJ0dVlP"
    assert h["x-api-version"] == "3.0.91"
    assert h["x-app-za"] == "OS=Web"
    assert h["Referer"] == "https://zhuanlan.zhihu.com/googledevelopers"


def test_parse_cookie_header_keeps_values_verbatim() -> None:
    assert parse_cookie_header('d_c0="AB=|1"; z_c0=2|1:0; bad; __zse_ck=005_x') == {
        "d_c0": '"AB=|1"',
        "z_c0": "2|1:0",
        "__zse_ck": "005_x",
    }
