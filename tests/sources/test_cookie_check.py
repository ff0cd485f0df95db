"""The cookie check (`hearth cookies check`) goes through the source client and the site gate: during a
cooldown nothing is sent, and each check counts against the site's hourly budget like a fetch does."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.config import Settings
from app.errors import BlockedError, SourceError
from app.models import SiteState
from app.sources.cookie_check import check_site
from app.storage import open_store
from app.vault import CookieVault
from tests.support.http import LocalServer, Reply

D_C0 = "AGDfVWk4ZBePTqvPzn2TbIMWOvL7Fn2MkKk=|1690000000"


def _settings(base: str) -> Settings:
    return Settings(None, {"zhihu.www_base": base, "sites.min_spacing_seconds": 0})


def test_a_check_during_a_cooldown_sends_nothing(secret_service: object, data_dir: Path) -> None:
    with LocalServer() as site:
        site.route("/api/v4/me", Reply(200, json.dumps({"name": "Ada"})))
        settings = _settings(site.url(""))
        vault = CookieVault.from_settings(settings)
        vault.set("zhihu.com", {"d_c0": D_C0, "z_c0": "login"})
        with open_store(data_dir / "hearth.sqlite3") as store:
            until = datetime.now(UTC) + timedelta(minutes=30)
            store.save_site_state(SiteState(site="zhihu.com", cooldown_until=until, cooldown_level=1))
            with pytest.raises(BlockedError) as caught:
                check_site("zhihu.com", vault, settings, site_states=store, timeout=5)
            assert "zhihu.com" in str(caught.value)
            assert site.requests == []
            store.save_site_state(SiteState(site="zhihu.com"))  # the cooldown is over
            result = check_site("zhihu.com", vault, settings, site_states=store, timeout=5)
            assert result.ok and result.account == "Ada"
            assert (
                len(site.requests) == 1 and site.requests[0].headers["cookie"] == f"d_c0={D_C0}; z_c0=login"
            )
            state = store.get_site_state("zhihu.com")
            assert state is not None and state.requests_this_hour == 1 and state.last_request is not None


def test_the_hourly_cap_applies_to_checks(secret_service: object, data_dir: Path) -> None:
    with LocalServer() as site:
        site.route("/api/v4/me", Reply(200, json.dumps({"name": "Ada"})))
        settings = Settings(None, {"zhihu.www_base": site.url(""), "sites.min_spacing_seconds": 0,
                                   "sites.max_per_hour": 2})  # fmt: skip
        vault = CookieVault.from_settings(settings)
        vault.set("zhihu.com", {"d_c0": D_C0, "z_c0": "login"})
        with open_store(data_dir / "hearth.sqlite3") as store:
            for _ in range(2):
                assert check_site("zhihu.com", vault, settings, site_states=store, timeout=5).ok
            with pytest.raises(BlockedError, match="2 requests this hour"):
                check_site("zhihu.com", vault, settings, site_states=store, timeout=5)
        assert len(site.requests) == 2


def test_no_check_for_an_unknown_site(secret_service: object) -> None:
    settings = Settings(None, {})
    vault = CookieVault.from_settings(settings)
    vault.set("example.com", {"sid": "1"})
    with pytest.raises(SourceError, match=r"no check for example\.com"):
        check_site("example.com", vault, settings)
