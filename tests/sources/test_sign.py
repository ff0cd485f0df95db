"""x-zse-96 against every published vector and an independent reference (tests/sources/zse96_reference.py),
fuzzed with hypothesis; and the headers a signed request carries."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.sources.zhihu import sign as hearth_sign
from app.sources.zhihu.sign import (
    parse_cookie_header,
    sign_headers,
    signature_source,
    x_zse_96,
)
from tests.sources import zse96_reference as reference
from tests.sources.conftest import TEST_UA
from tests.sources.fake_zhihu import FakeZhihu, signature_ok

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


@pytest.mark.parametrize(
    ("path", "r", "expected"),
    [
        (COLUMN, 0, "2.0_sLCyA2xrYsKHhDDb3vZmrQwOnDV6QLvnrGtQuYTr+wH82FoBwC41JlPpyVJ0dVlP"),
        (COLUMN, 63, "2.0_F8PtJxedi=9vIhHKo6SJe06tC+/QdOQNk1uz+Vbq73cjeOUinIj=4D7uHcuYDFrL"),
        (MOMENTS, 0, "2.0_vFNr5IsocsQU+RBYC+JTBLtBwDYoywJJkZX7nR0C2NtDJ9/WroaBN=4UIHbq38si"),
    ],
)
def test_the_reference_reproduces_the_published_vectors_both_ways(path: str, r: int, expected: str) -> None:
    assert reference.reference_sign(path, D_C0, r) == expected
    assert reference.verify(path, D_C0, expected)
    assert reference.decrypt(expected) == reference.plaintext(path, D_C0, r)


PATHS = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E) | st.sampled_from("知乎 é"), max_size=120
).map(lambda s: "/api/v4/" + s)
D_C0S = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(path=PATHS, d_c0=D_C0S, r=st.integers(0, 126))
def test_hearths_signer_equals_the_reference_on_any_path_cookie_and_pad(path: str, d_c0: str, r: int) -> None:
    header = x_zse_96(path, d_c0, r=r)
    assert header == reference.reference_sign(path, d_c0, r)
    assert reference.verify(path, d_c0, header)


@settings(max_examples=150, deadline=None)
@given(path=PATHS, d_c0=D_C0S, r=st.integers(0, 126), at=st.integers(4, 67), data=st.data())
def test_the_reference_refuses_any_changed_character(path: str, d_c0: str, r: int, at: int, data) -> None:
    header = x_zse_96(path, d_c0, r=r)
    other = data.draw(st.sampled_from(reference.ALPHABET).filter(lambda c: c != header[at]))
    assert not reference.verify(path, d_c0, header[:at] + other + header[at + 1 :])


@settings(max_examples=100, deadline=None)
@given(path=PATHS, d_c0=D_C0S, other=PATHS, r=st.integers(0, 126))
def test_a_signature_is_bound_to_its_path(path: str, d_c0: str, other: str, r: int) -> None:
    if other != path:
        assert not reference.verify(other, d_c0, x_zse_96(path, d_c0, r=r))


def test_a_wrong_signer_is_refused_by_the_fake_zhihu(monkeypatch: pytest.MonkeyPatch) -> None:
    # a subtly wrong S-box (each entry off by one bit): every other step is right, and the server
    # must still say 10003; with the fake checking against Hearth's own signer this would pass
    monkeypatch.setattr(hearth_sign, "_ZB", bytes(b ^ 1 for b in hearth_sign._ZB))
    with FakeZhihu() as zhihu:
        headers = {
            **sign_headers(COLUMN, FakeZhihu.cookies()["d_c0"], referer=zhihu.base),
            "Cookie": "; ".join(f"{k}={v}" for k, v in FakeZhihu.cookies().items()),
            "User-Agent": TEST_UA,
        }
        reply = httpx.get(zhihu.url(COLUMN), headers=headers, timeout=30)
        assert reply.status_code == 403 and reply.json()["error"]["code"] == 10003
        assert len(zhihu.signature_failures) == 1
        monkeypatch.undo()
        headers["x-zse-96"] = x_zse_96(COLUMN, FakeZhihu.cookies()["d_c0"])
        assert httpx.get(zhihu.url(COLUMN), headers=headers, timeout=30).status_code == 200


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
