"""Parsing, domain matching and validation of site cookies (no keyring needed)."""

from __future__ import annotations

import pytest

from app.errors import CookieMissingError
from app.vault import SiteCookies, host_matches_site, normalize_site, parse_cookie_header, validate_cookies

D_C0 = "AGDfVWk4ZBePTqvPzn2TbIMWOvL7Fn2MkKk=|1690000000"


def test_parse_keeps_equals_and_pipes_in_values() -> None:
    text = f"Cookie: _xsrf=abc; d_c0={D_C0};\n z_c0=2|1:0|10:1700000000|4:z_c0|92:Mi4x==|deadbeef ; flag"
    cookies = parse_cookie_header(text)
    assert cookies == {"_xsrf": "abc", "d_c0": D_C0, "z_c0": "2|1:0|10:1700000000|4:z_c0|92:Mi4x==|deadbeef"}


def test_parse_rejects_a_non_cookie_and_empty_text_is_empty() -> None:
    assert parse_cookie_header("   ") == {}
    with pytest.raises(CookieMissingError, match="not a cookie name"):
        parse_cookie_header("bad name=1")


@pytest.mark.parametrize(
    ("host", "site", "ok"),
    [
        ("www.zhihu.com", "zhihu.com", True),
        ("api.zhihu.com", "zhihu.com", True),
        ("zhuanlan.zhihu.com", "zhihu.com", True),
        ("zhihu.com", "zhihu.com", True),
        ("ZHIHU.COM.", "zhihu.com", True),
        ("evil-zhihu.com", "zhihu.com", False),
        ("zhihu.com.evil.net", "zhihu.com", False),
        ("bilibili.com", "zhihu.com", False),
    ],
)
def test_host_matches_site(host: str, site: str, ok: bool) -> None:
    assert host_matches_site(host, site) is ok


def test_normalize_site_names() -> None:
    assert normalize_site("Zhihu") == "zhihu.com"
    assert normalize_site("https://www.zhihu.com/signin") == "zhihu.com"
    assert normalize_site(".bilibili.com") == "bilibili.com"
    with pytest.raises(CookieMissingError, match="not a site name"):
        normalize_site("not a site")


def test_zhihu_needs_d_c0_and_explains_what_is_missing() -> None:
    with pytest.raises(CookieMissingError, match="no d_c0") as info:
        validate_cookies("zhihu.com", {"z_c0": "x"})
    assert "signin" in info.value.hint
    warnings = validate_cookies("zhihu.com", {"d_c0": D_C0})
    assert len(warnings) == 2
    assert any("z_c0" in w and "full text" in w for w in warnings)
    assert any("__zse_ck" in w and "verification page" in w for w in warnings)
    assert validate_cookies("zhihu.com", {"d_c0": D_C0, "z_c0": "a", "__zse_ck": "b"}) == []
    with pytest.raises(CookieMissingError, match="no cookies"):
        validate_cookies("zhihu.com", {})
    assert validate_cookies("example.org", {"session": "1"}) == []


def test_site_cookies_header_and_repr_hide_values() -> None:
    found = SiteCookies("zhihu.com", {"d_c0": D_C0, "z_c0": "secret-z"}, "UA/1")
    assert found.header() == f"d_c0={D_C0}; z_c0=secret-z"
    assert "secret-z" not in repr(found) and D_C0 not in str(found)
    assert "z_c0" in repr(found)
