"""The challenge solver with a real hidden QtWebEngine page against a local verification page."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading

import pytest

from app.errors import ChallengeError
from app.ui import challenge
from app.ui.challenge import ChallengeSolver, is_challenge_page, solve_challenge
from tests.support.http import LocalServer, Reply, Request

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36"
D_C0 = '"AGDfVWk4ZBePTqvPzn2TbIMWOvL7Fn2MkKk=|1690000000"'
# like Zhihu's: a meta#zh-zse-ck and a script that computes the cookie from the browser and writes it
CHALLENGE = """<!doctype html><html><head><meta id="zh-zse-ck" content="001"></head><body>
<script>
  setTimeout(function () {
    var ua = navigator.userAgent.length;
    document.cookie = "__zse_ck=005_solved_" + ua + "; path=/; max-age=3600";
  }, 50);
</script></body></html>"""
SILENT = '<!doctype html><html><head><meta id="zh-zse-ck" content="001"></head><body>stuck</body></html>'


def _challenge_route(req: Request) -> Reply:
    return Reply(403, CHALLENGE, {"Content-Type": "text/html; charset=utf-8"})


def test_is_challenge_page() -> None:
    assert is_challenge_page(CHALLENGE) and is_challenge_page(CHALLENGE.encode())
    assert not is_challenge_page('{"data": []}')


def test_solves_with_the_same_user_agent_and_cookies(server: LocalServer, qtbot) -> None:
    server.route("/api/v4/members/x/answers", _challenge_route)
    solver = ChallengeSolver()
    future = solver.solve(server.url("/api/v4/members/x/answers"), UA, {"d_c0": D_C0, "__zse_ck": "stale"})
    qtbot.waitUntil(future.done, timeout=15000)
    cookies = future.result()
    assert cookies["__zse_ck"] == f"005_solved_{len(UA)}"
    assert cookies["d_c0"] == D_C0
    sent = server.requests_to("/api/v4/members/x/answers")[0]
    assert sent.headers["user-agent"] == UA
    assert f"d_c0={D_C0}" in sent.headers["cookie"] and "__zse_ck=stale" in sent.headers["cookie"]


def test_a_page_that_never_sets_the_cookie_times_out(server: LocalServer, qtbot) -> None:
    server.route("/stuck", Reply(403, SILENT, {"Content-Type": "text/html"}))
    solver = ChallengeSolver(timeout_s=0.8)
    future = solver.solve(server.url("/stuck"), UA, {"d_c0": D_C0})
    qtbot.waitUntil(future.done, timeout=10000)
    with pytest.raises(ChallengeError, match="did not set __zse_ck"):
        future.result()


def test_without_the_app_window_a_source_is_told_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(challenge, "_installed", None)
    with pytest.raises(ChallengeError, match="needs Hearth's window"):
        asyncio.run(solve_challenge("https://www.zhihu.com/api/v4/me", UA, {"d_c0": D_C0}))


def test_a_worker_thread_event_loop_awaits_the_gui_thread(
    server: LocalServer, qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.route("/api/v3/moments/x/activities", _challenge_route)
    monkeypatch.setattr(challenge, "_installed", None)
    challenge.install_challenge_solver()  # by the app, on the GUI thread
    url = server.url("/api/v3/moments/x/activities")
    results: concurrent.futures.Future[dict[str, str]] = concurrent.futures.Future()

    def worker() -> None:  # the refresh worker: its own asyncio loop, no Qt
        try:
            results.set_result(asyncio.run(solve_challenge(url, UA, {"d_c0": D_C0})))
        except BaseException as exc:  # hand any failure to the test thread
            results.set_exception(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    qtbot.waitUntil(results.done, timeout=15000)  # the GUI thread's event loop runs the page meanwhile
    thread.join(timeout=5)
    assert results.result()["__zse_ck"] == f"005_solved_{len(UA)}"


def test_a_zhihu_source_in_a_worker_solves_the_fake_zhihu_challenge(
    qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sources' fake Zhihu in challenge mode: the source (worker thread) hits the page, the GUI-thread
    solver earns __zse_ck with the same user agent, the source retries and gets the feed."""
    from tests.sources.conftest import fetch_source
    from tests.sources.fake_zhihu import FakeZhihu

    monkeypatch.setattr(challenge, "_installed", None)
    solver = challenge.install_challenge_solver()
    saved: list[dict[str, str]] = []
    results: concurrent.futures.Future[object] = concurrent.futures.Future()
    with FakeZhihu() as zhihu:
        zhihu.challenge_mode = True

        def worker() -> None:
            try:
                results.set_result(
                    fetch_source(
                        zhihu,
                        "zhihu.people.answers",
                        {"id": "diygod"},
                        solve_challenge=solve_challenge,
                        save_cookies=saved.append,
                    )
                )
            except BaseException as exc:
                results.set_exception(exc)

        thread = threading.Thread(target=worker)
        thread.start()
        qtbot.waitUntil(results.done, timeout=20000)
        thread.join(timeout=5)
        parsed = results.result()
        assert parsed.items  # type: ignore[attr-defined]
        # one challenge page to the source's request, one to the hidden browser page that solved it
        assert zhihu.challenges_served == 2 and zhihu.signature_failures == []
        assert saved and saved[-1]["__zse_ck"].startswith("005_")
    solver.close()
