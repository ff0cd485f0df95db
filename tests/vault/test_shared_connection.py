"""The vault talks to the Secret Service over one kept D-Bus connection, not one per read: keyring's
connect-read-disconnect per call is the pattern that makes gnome-keyring-daemon abort (a race upstream),
and a refresh reads the vault once per cookie site. Measured on the real private bus: every new connection
gets the next unique name (":1.N"), so the numbers show how many connections the reads opened."""

from __future__ import annotations

from contextlib import closing

from app.vault import CookieVault
from app.vault import secret_service as shared


def _next_unique_number() -> int:
    """The number in the unique name the bus gives a brand-new connection (one more than the last)."""
    from jeepney.io.blocking import open_dbus_connection

    with closing(open_dbus_connection(bus="SESSION")) as probe:
        return int(probe.unique_name.rsplit(".", 1)[1])


def test_many_reads_and_writes_share_one_connection(secret_service: object) -> None:
    vault = CookieVault()
    vault.set("zhihu.com", {"z_c0": "2|secret"})
    before = _next_unique_number()
    for _ in range(40):
        assert vault.get("zhihu.com") is not None
        assert vault.sites() == ["zhihu.com"]
    vault.merge("zhihu.com", {"d_c0": "d"})
    after = _next_unique_number()
    assert after - before == 1  # only the probe itself: 81 keyring calls opened no connection


def test_a_broken_connection_is_opened_again(secret_service: object) -> None:
    vault = CookieVault()
    vault.set("bilibili.com", {"SESSDATA": "s"})
    connection, _session = shared.shared_connection()
    connection._connection.close()  # as if the daemon had restarted under us
    got = vault.get("bilibili.com")
    assert got is not None and got.cookies == {"SESSDATA": "s"}
    again, _ = shared.shared_connection()
    assert again._connection is not connection._connection
