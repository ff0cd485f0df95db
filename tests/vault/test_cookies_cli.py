"""`hearth cookies ...` end to end through app.cli.run, the real private Secret Service and a local who-am-I."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from app.cli import run
from app.sources.zhihu.sign import x_zse_96
from app.vault import CookieVault
from tests.support.http import LocalServer, Reply, Request

D_C0 = "AGDfVWk4ZBePTqvPzn2TbIMWOvL7Fn2MkKk=|1690000000"
Z_C0 = "2|1:0|10:1700000000|4:z_c0|92:c2VjcmV0LXotYzA=|f00d"
ZSE_CK = "005_secret-zse-ck-value"
UA = "Mozilla/5.0 (X11; Linux x86_64) HearthTest/1.0"


def _cli(argv: list[str], stdin: str = "", monkeypatch: pytest.MonkeyPatch | None = None) -> int:
    assert monkeypatch is not None
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return run(argv)


def test_set_show_clear(
    secret_service: object,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    header = f"d_c0={D_C0}; z_c0={Z_C0}; __zse_ck={ZSE_CK}; _xsrf=x1"
    assert _cli(["cookies", "set", "zhihu", "--user-agent", UA], header, monkeypatch) == 0
    out = capsys.readouterr().out
    assert "stored 4 cookies for zhihu.com: d_c0, z_c0, __zse_ck, _xsrf" in out and "warning" not in out
    stored = CookieVault().get("zhihu.com")
    assert stored is not None and stored.cookies["z_c0"] == Z_C0 and stored.user_agent == UA

    assert _cli(["cookies", "show", "zhihu.com"], "", monkeypatch) == 0
    out = capsys.readouterr().out
    assert "z_c0" in out and UA in out
    assert Z_C0 not in out and D_C0 not in out and ZSE_CK not in out

    assert _cli(["cookies", "show"], "", monkeypatch) == 0
    assert "zhihu.com: 4 cookies" in capsys.readouterr().out

    assert _cli(["cookies", "clear", "zhihu.com"], "", monkeypatch) == 0
    assert "cleared" in capsys.readouterr().out
    assert CookieVault().get("zhihu.com") is None
    assert _cli(["cookies", "show", "zhihu.com"], "", monkeypatch) == 1


def test_set_validates_and_warns(
    secret_service: object,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _cli(["cookies", "set", "zhihu.com"], f"z_c0={Z_C0}", monkeypatch) == 1
    err = capsys.readouterr().err
    assert "no d_c0" in err and Z_C0 not in err
    assert CookieVault().get("zhihu.com") is None

    assert _cli(["cookies", "set", "zhihu.com"], f"Cookie: d_c0={D_C0}\n", monkeypatch) == 0
    out = capsys.readouterr().out
    assert "warning: no z_c0" in out and "full text" in out
    assert "warning: no __zse_ck" in out and "verification page" in out
    assert "--user-agent" in out


def test_no_cookie_value_in_the_database_settings_or_logs(
    secret_service: object,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    header = f"d_c0={D_C0}; z_c0={Z_C0}; __zse_ck={ZSE_CK}"
    assert _cli(["-vv", "cookies", "set", "zhihu.com", "--user-agent", UA], header, monkeypatch) == 0
    assert _cli(["-vv", "cookies", "show"], "", monkeypatch) == 0
    assert _cli(["config", "set", "server.port", "1201"], "", monkeypatch) == 0
    # the store opens its database in the same data dir: nothing of the cookie may land there
    from app.storage import open_store

    store = open_store(data_dir / "hearth.sqlite3")
    store.close()
    captured = capsys.readouterr()
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.name.startswith("hearth.sqlite3") for p in files)
    for secret in (Z_C0, D_C0, ZSE_CK):
        assert secret not in caplog.text
        assert secret not in captured.out and secret not in captured.err
        for path in files:
            assert secret.encode() not in path.read_bytes(), path


def _who_am_i(valid_z_c0: str) -> object:
    def handler(req: Request) -> Reply:
        cookies = dict(
            part.strip().split("=", 1) for part in req.headers.get("cookie", "").split(";") if "=" in part
        )
        path = req.path
        signed = req.headers.get("x-zse-96", "")
        if not signed.startswith("2.0_") or req.headers.get("x-zse-93") != "101_3_3.0" or len(signed) != 68:
            return Reply(403, json.dumps({"error": {"code": 10003, "message": "请求参数异常"}}))
        assert x_zse_96(path, cookies["d_c0"], r=0)  # signable with the cookie that was sent
        if cookies.get("__zse_ck") == "stale":
            return Reply(403, '<html><meta id="zh-zse-ck" content="x"></html>', {"Content-Type": "text/html"})
        if cookies.get("z_c0") == valid_z_c0 and req.headers.get("user-agent") == UA:
            return Reply(200, json.dumps({"name": "Hearth 测试", "is_realname": True}))
        return Reply(401, json.dumps({"error": {"code": 100, "message": "请先登录"}}))

    return handler


def test_check_reports_the_account_or_that_the_cookie_is_dead(
    secret_service: object,
    data_dir: Path,
    server: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server.route("/api/v4/me", _who_am_i(Z_C0))
    assert _cli(["config", "set", "zhihu.www_base", server.url("")], "", monkeypatch) == 0
    # checks pass the site gate; three in a row need no 5 s spacing here
    assert _cli(["config", "set", "sites.min_spacing_seconds", "0"], "", monkeypatch) == 0
    base = f"d_c0={D_C0}; __zse_ck={ZSE_CK}"
    assert _cli(["cookies", "set", "zhihu.com", "--user-agent", UA], f"{base}; z_c0={Z_C0}", monkeypatch) == 0
    capsys.readouterr()
    assert _cli(["cookies", "check", "zhihu.com"], "", monkeypatch) == 0
    assert "signed in as Hearth 测试" in capsys.readouterr().out
    assert server.requests[-1].path == "/api/v4/me?include=is_realname"

    assert _cli(["cookies", "set", "zhihu.com", "--user-agent", UA], f"{base}; z_c0=old", monkeypatch) == 0
    assert _cli(["cookies", "check", "zhihu.com"], "", monkeypatch) == 1
    assert "no longer valid (Zhihu answered 401)" in capsys.readouterr().out

    assert (
        _cli(["cookies", "set", "zhihu.com", "--user-agent", UA], f"d_c0={D_C0}; __zse_ck=stale", monkeypatch)
        == 0
    )
    assert _cli(["cookies", "check", "zhihu.com"], "", monkeypatch) == 1
    assert "verification page" in capsys.readouterr().out


def test_check_without_cookies_and_without_a_keyring(
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    secret_service: object,
) -> None:
    assert _cli(["cookies", "check", "zhihu.com"], "", monkeypatch) == 1
    assert "no cookies stored for zhihu.com" in capsys.readouterr().err
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    assert _cli(["cookies", "show"], "", monkeypatch) == 1
    assert "no OS keyring: install/unlock gnome-keyring or KWallet" in capsys.readouterr().err
