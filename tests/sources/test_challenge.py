"""The `__zse_ck` challenge: solved once through the injected solver, cookie saved, request retried once."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from app.errors import ChallengeError
from app.fetching.site_gate import SiteGate
from app.storage import open_store
from tests.sources.conftest import TEST_UA, fetch_source, site_cookies
from tests.sources.fake_zhihu import FakeZhihu, challenge_cookie_from_page


class PageSolver:
    """Stands in for the UI's webview: loads the page with the given UA and cookies, runs the 'script'."""

    def __init__(self, user_agent: str | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.user_agent = user_agent

    async def __call__(self, url: str, user_agent: str, cookies: dict[str, str]) -> dict[str, str]:
        self.calls.append((url, user_agent))
        ua = self.user_agent or user_agent
        async with httpx.AsyncClient() as client:
            cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
            page = await client.get(url, headers={"User-Agent": ua, "Cookie": cookie})
        value = challenge_cookie_from_page(page.text)
        return {"__zse_ck": value} if value else {}


def test_challenge_page_is_solved_saved_and_retried_once(zhihu: FakeZhihu) -> None:
    zhihu.challenge_mode = True
    solver = PageSolver()
    saved: list[dict[str, str]] = []
    feed = fetch_source(
        zhihu, "zhihu.people.activities", {"id": "diygod"}, solve_challenge=solver, save_cookies=saved.append
    )
    assert feed.title == "DIYgod的知乎动态" and len(feed.items) == 10
    assert len(solver.calls) == 1
    url, ua = solver.calls[0]
    assert url.endswith("/api/v3/moments/diygod/activities?limit=5&desktop=true&ws_qiangzhisafe=0")
    assert ua == TEST_UA  # the challenge cookie is bound to the UA the fetches use
    assert len(saved) == 1 and saved[0]["__zse_ck"].startswith("005_") and saved[0]["d_c0"]
    # the retry carried the new cookie
    last = zhihu.api_requests()[-1]
    assert f"__zse_ck={saved[0]['__zse_ck']}" in last.headers["cookie"]
    assert zhihu.signature_failures == []
    # next time the saved cookie is enough: no challenge
    served = zhihu.challenges_served
    fetch_source(zhihu, "zhihu.people.answers", {"id": "diygod"}, cookies=site_cookies(saved[0]))
    assert zhihu.challenges_served == served


def test_async_save_callback_is_awaited(zhihu: FakeZhihu) -> None:
    zhihu.challenge_mode = True
    saved: list[dict[str, str]] = []

    async def save(cookies: dict[str, str]) -> None:
        saved.append(cookies)

    fetch_source(zhihu, "zhihu.hot", {}, solve_challenge=PageSolver(), save_cookies=save)
    assert saved and "__zse_ck" in saved[0]


def test_without_a_solver_the_user_is_told_to_verify(zhihu: FakeZhihu) -> None:
    zhihu.challenge_mode = True
    with pytest.raises(ChallengeError) as err:
        fetch_source(zhihu, "zhihu.people.activities", {"id": "diygod"})
    assert err.value.user_message().startswith("Zhihu wants you to verify — open the sign-in window")


def test_a_failed_solve_is_not_retried_forever(zhihu: FakeZhihu) -> None:
    zhihu.challenge_mode = True
    wrong_ua = PageSolver(user_agent="SomeOtherBrowser/1.0")  # cookie bound to the wrong UA: still challenged
    with pytest.raises(ChallengeError):
        fetch_source(zhihu, "zhihu.people.activities", {"id": "diygod"}, solve_challenge=wrong_ua)
    assert len(wrong_ua.calls) == 1
    assert len(zhihu.api_requests()) == 3  # first try, the solver's page load, one retry

    async def broken(url: str, ua: str, cookies: dict[str, str]) -> dict[str, str]:
        raise RuntimeError("webview crashed")

    with pytest.raises(ChallengeError):
        fetch_source(zhihu, "zhihu.people.activities", {"id": "diygod"}, solve_challenge=broken)


def test_a_challenge_is_not_a_ban(tmp_path: Path, zhihu: FakeZhihu) -> None:
    zhihu.challenge_mode = True
    store = open_store(tmp_path / "h.sqlite3")
    gate = SiteGate("zhihu.com", store, min_spacing=0, max_per_hour=100)
    with pytest.raises(ChallengeError):
        fetch_source(zhihu, "zhihu.people.activities", {"id": "diygod"}, gate=gate)
    assert gate.cooling_down() is None
    store.close()
