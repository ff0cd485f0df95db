"""The vault through a real gnome-keyring Secret Service on a private D-Bus (tests/support/keyring_daemon.py)."""

from __future__ import annotations

import logging

import pytest
from keyring.backends import fail

from app.errors import VaultError
from app.vault import CookieVault
from app.vault.store import SERVICE

D_C0 = "AGDfVWk4ZBePTqvPzn2TbIMWOvL7Fn2MkKk=|1690000000"
Z_C0 = "2|1:0|10:1700000000|4:z_c0|92:c2VjcmV0LXotYzA=|f00d"


def test_round_trip_through_the_real_daemon(secret_service: object) -> None:
    vault = CookieVault()
    assert vault.get("zhihu.com") is None and vault.sites() == []
    vault.set("zhihu", {"d_c0": D_C0, "z_c0": Z_C0}, "Mozilla/5.0 Test", expires={"z_c0": 1.9e9})
    # a second vault object (another process would do the same) reads what the daemon holds
    got = CookieVault().get("zhihu.com")
    assert got is not None
    assert got.cookies == {"d_c0": D_C0, "z_c0": Z_C0}
    assert got.user_agent == "Mozilla/5.0 Test" and got.expires == {"z_c0": 1.9e9}
    assert secret_service.get_password(SERVICE, "zhihu.com") is not None  # type: ignore[attr-defined]
    assert vault.sites() == ["zhihu.com"]
    merged = vault.merge("zhihu.com", {"__zse_ck": "005_ck"})
    assert merged.cookies["__zse_ck"] == "005_ck" and merged.user_agent == "Mozilla/5.0 Test"
    assert merged.cookies["z_c0"] == Z_C0
    assert vault.clear("zhihu.com") is True
    assert vault.get("zhihu.com") is None and vault.sites() == []
    assert vault.clear("zhihu.com") is False


def test_cookies_go_only_to_hosts_of_their_site(secret_service: object) -> None:
    vault = CookieVault()
    vault.set("zhihu.com", {"d_c0": D_C0, "z_c0": Z_C0})
    vault.set("bilibili.com", {"SESSDATA": "bili-secret"})
    for url in (
        "https://www.zhihu.com/api/v4/me",
        "https://api.zhihu.com/pins/x",
        "https://zhuanlan.zhihu.com/p/1",
    ):
        assert vault.cookie_header_for(url) == f"d_c0={D_C0}; z_c0={Z_C0}"
    assert vault.cookie_header_for("https://evil-zhihu.com/") is None
    assert vault.cookie_header_for("https://zhihu.com.evil.net/") is None
    assert vault.cookie_header_for("https://www.bilibili.com/") == "SESSDATA=bili-secret"
    assert vault.cookie_header_for("http://127.0.0.1:9/") is None
    assert vault.cookie_header_for("not a url") is None


def test_a_configured_base_elsewhere_gets_the_site_cookie(secret_service: object) -> None:
    from app.config import Settings

    settings = Settings(None, {"zhihu.www_base": "http://127.0.0.1:8123"})
    vault = CookieVault.from_settings(settings)
    vault.set("zhihu.com", {"d_c0": D_C0})
    assert vault.cookie_header_for("http://127.0.0.1:8123/api/v4/me") == f"d_c0={D_C0}"
    assert vault.cookie_header_for("http://127.0.0.1:8124/api/v4/me") is None


def test_values_never_reach_logs_or_messages(
    secret_service: object, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    vault = CookieVault()
    vault.set("zhihu.com", {"d_c0": D_C0, "z_c0": Z_C0}, "UA")
    vault.get("zhihu.com")
    vault.clear("zhihu.com")
    assert "z_c0" in caplog.text  # names are logged ...
    assert Z_C0 not in caplog.text and D_C0 not in caplog.text  # ... values never


def test_a_damaged_entry_is_a_clear_error_without_the_secret(secret_service: object) -> None:
    secret_service.set_password(SERVICE, "zhihu.com", "{not json " + Z_C0)  # type: ignore[attr-defined]
    with pytest.raises(VaultError, match="damaged") as info:
        CookieVault().get("zhihu.com")
    assert Z_C0 not in info.value.user_message() and info.value.__cause__ is None


def test_no_keyring_is_a_vault_error_with_a_hint() -> None:
    vault = CookieVault(fail.Keyring())
    with pytest.raises(VaultError) as info:
        vault.set("zhihu.com", {"d_c0": D_C0})
    assert "gnome-keyring or KWallet" in info.value.hint


def test_an_unreachable_secret_service_is_a_vault_error(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from keyring.backends.SecretService import Keyring

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    with pytest.raises(VaultError, match="could not read"):
        CookieVault(Keyring()).get("zhihu.com")


def test_the_private_bus_can_never_start_a_second_keyring(secret_service: object) -> None:
    # With D-Bus activation a call that reached the bus while our daemon did not own the name started
    # a stray gnome-keyring with the real HOME and hung for 120 s (see keyring_daemon.py).
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import Proxy, open_dbus_connection

    with open_dbus_connection(bus="SESSION") as conn:
        bus = Proxy(message_bus, conn)
        assert "org.freedesktop.secrets" not in bus.ListActivatableNames()[0]
        assert bus.NameHasOwner("org.freedesktop.secrets")[0] == 1


def test_reads_and_merges_from_several_threads_at_once_never_fail_or_lose_a_cookie(
    secret_service: object,
) -> None:
    # what a refresh does: feeds read the site's cookies on worker threads while another saves a
    # solved challenge's cookie (a Secret Service replaces an item by deleting and re-creating it)
    import threading

    vault = CookieVault()
    vault.set("zhihu.com", {"z_c0": Z_C0, "d_c0": D_C0}, "UA")
    problems: list[str] = []

    def read() -> None:
        for _ in range(15):
            try:
                found = vault.get("zhihu.com")
                if found is None or found.cookies.get("z_c0") != Z_C0:
                    problems.append(f"read saw {found!r}")
            except VaultError as exc:
                problems.append(exc.user_message())

    def merge(name: str) -> None:
        for n in range(6):
            try:
                vault.merge("zhihu.com", {f"{name}{n}": "v"})
            except VaultError as exc:
                problems.append(exc.user_message())

    threads = [threading.Thread(target=read) for _ in range(2)]
    threads += [threading.Thread(target=merge, args=(name,)) for name in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    assert problems == []
    names = set(vault.get("zhihu.com").cookies)  # type: ignore[union-attr]
    assert names == {"z_c0", "d_c0"} | {f"{x}{n}" for x in "ab" for n in range(6)}  # no merge lost
