"""`Library`, the Qt-free composition root: a real SQLite file, a real feed server on 127.0.0.1, the private
Secret Service where cookies matter, and subprocesses for what importing and refreshing may load."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import Paths, Settings
from app.errors import NotFoundError, StorageError
from app.library import Library
from app.vault import CookieVault
from tests.support.http import LocalServer, Reply

ROOT = Path(__file__).resolve().parents[1]
XML = {"Content-Type": "application/rss+xml"}
D_C0 = "AGDfVWk4ZBePTqvPzn2TbIMWOvL7Fn2MkKk=|1690000000"


def rss(title: str, *guids: str) -> str:
    items = "".join(
        f"<item><title>{title} {g}</title><link>https://e.example/{g}</link><guid>{g}</guid></item>"
        for g in guids
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title><link>https://e.example/</link>{items}</channel></rss>'


def page(feed_url: str) -> str:
    return (
        '<html><head><link rel="alternate" type="application/rss+xml" title="Posts" '
        f'href="{feed_url}"></head><body>hello</body></html>'
    )


@pytest.fixture
def library(data_dir: Path) -> Iterator[Library]:
    lib = Library(Paths(data_dir), Settings(None, {}), vault=None)  # no cookies: never the real keyring
    yield lib
    lib.close()


def test_open_uses_the_data_dir_and_close_lets_it_open_again(data_dir: Path) -> None:
    lib = Library.open()  # HEARTH_DATA_DIR (the data_dir fixture sets it)
    assert lib.paths.data_dir == data_dir
    feed = lib.store.add_feed("https://e.example/feed.xml", title="Kept")
    lib.close()
    assert (data_dir / "hearth.sqlite3").is_file()
    with Library.open(data_dir) as again:
        assert [f.title for f in again.store.list_feeds()] == ["Kept"]
        assert again.store.get_feed(feed.id).url == "https://e.example/feed.xml"


def test_a_data_dir_that_cannot_be_made_is_a_storage_error_with_a_hint(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    lib = Library(Paths(blocker / "data"), Settings(None, {}), vault=None)
    with pytest.raises(StorageError, match="cannot use Hearth's data folder") as caught:
        lib.open_store()
    assert caught.value.hint and "--data-dir" in caught.value.hint


def test_find_subscribe_and_refresh_a_page_s_feed(library: Library, server: LocalServer) -> None:
    server.route("/", Reply(200, page(server.url("/feed.xml")), {"Content-Type": "text/html"}))
    server.route("/feed.xml", Reply(200, rss("Posts", "a", "b"), XML))
    links = library.find_feeds(server.url("/"))
    assert [link.url for link in links] == [server.url("/feed.xml")]
    feed = library.subscribe(links[0].url, folder="News", full_text="off")
    report = library.refresh([feed.id])
    assert report.new_articles == 2 and report.errors == []
    stored = library.store.get_feed(feed.id)
    assert stored.title == "Posts"
    assert library.store.get_folder(stored.folder_id).name == "News"
    assert library.store.full_text_setting(feed.id).mode == "off"
    # a second feed in "news" lands in the same folder: names match without regard to case
    other = library.subscribe(server.url("/feed.xml") + "?2", folder="news")
    assert other.folder_id == stored.folder_id and len(library.store.list_folders()) == 1


def test_refresh_takes_named_feeds_even_disabled_else_enabled_ones_else_due_ones(
    library: Library, server: LocalServer
) -> None:
    server.route("/a.xml", Reply(200, rss("A", "1"), XML))
    server.route("/b.xml", Reply(200, rss("B", "2"), XML))
    a = library.subscribe(server.url("/a.xml"))
    b = library.subscribe(server.url("/b.xml"))
    library.store.update_feed(b.id, enabled=False)
    assert [o.feed_id for o in library.refresh(all=True).outcomes] == [a.id]
    assert server.requests_to("/b.xml") == []
    assert [o.feed_id for o in library.refresh([b.id]).outcomes] == [b.id]  # asked for by name
    assert library.refresh().done == 0  # a was just fetched: nothing is due
    with pytest.raises(NotFoundError):
        library.refresh([9999])
    assert len(server.requests_to("/a.xml")) == 1


def test_refresh_on_another_thread_uses_that_thread_s_store(library: Library, server: LocalServer) -> None:
    server.route("/feed.xml", Reply(200, rss("T", "x", "y", "z"), XML))
    feed = library.subscribe(server.url("/feed.xml"))
    results: list[object] = []

    def work() -> None:
        store = library.open_store()
        try:
            results.append(library.refresh([feed.id], store=store).new_articles)
        except BaseException as exc:  # reported to the test thread
            results.append(exc)
        finally:
            store.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(60)
    assert not thread.is_alive() and results == [3]
    assert library.store.get_feed(feed.id).title == "T"  # committed where this thread's store sees it


def test_a_script_source_is_subscribed_without_discovery_and_named_by_its_first_fetch(
    library: Library, tmp_path: Path
) -> None:
    script = tmp_path / "feed.py"
    script.write_text(f"print({rss('Scripted', '1')!r})\n", encoding="utf-8")
    found = library.match_source(f"exec:{sys.executable} {script}")
    assert found is not None and found.source.id.startswith("script")
    assert library.match_source("https://e.example/feed.xml") is None
    feed = library.subscribe_source(found, folder="Local")
    assert feed.title == "" and feed.kind == found.source.id
    report = library.refresh([feed.id])
    assert report.errors == [] and report.new_articles == 1
    assert library.store.get_feed(feed.id).title == "Scripted"


def test_the_keyring_vault_sends_a_site_s_cookie_to_its_host_only(
    secret_service: object, data_dir: Path
) -> None:
    with LocalServer("127.0.0.1") as site, LocalServer("127.0.0.2") as other:
        site.route("/feed.xml", Reply(200, rss("Site", "s"), XML))
        other.route("/feed.xml", Reply(200, rss("Other", "o"), XML))
        settings = Settings(None, {"zhihu.www_base": site.url("")})  # that host counts as zhihu.com
        with Library(Paths(data_dir), settings) as lib:  # the default vault: the (private) OS keyring
            assert isinstance(lib.vault, CookieVault)
            lib.vault.set("zhihu.com", {"d_c0": D_C0, "z_c0": "login"})
            ids = [lib.subscribe(site.url("/feed.xml")).id, lib.subscribe(other.url("/feed.xml")).id]
            report = lib.refresh(ids)
        assert report.errors == []
        assert site.requests_to("/feed.xml")[0].headers["cookie"] == f"d_c0={D_C0}; z_c0=login"
        assert "cookie" not in other.requests_to("/feed.xml")[0].headers


def test_a_zhihu_feed_refreshes_through_the_vault_and_a_solver_handed_in_later(
    secret_service: object, data_dir: Path
) -> None:
    from tests.sources.conftest import TEST_UA
    from tests.sources.fake_zhihu import FakeZhihu
    from tests.sources.test_challenge import PageSolver

    with FakeZhihu() as zhihu:
        vault = CookieVault()
        vault.set("zhihu.com", FakeZhihu.cookies(), TEST_UA)
        with Library(Paths(data_dir), zhihu.settings(), vault=vault) as lib:
            found = lib.match_source("https://www.zhihu.com/people/diygod")
            assert found is not None
            feed = lib.subscribe_source(found)
            solver = PageSolver()
            lib.solve_challenge = solver  # as the window does once its hidden browser exists
            zhihu.challenge_mode = True  # the first request meets the challenge
            report = lib.refresh([feed.id])
            assert [o.error for o in report.outcomes] == [None] and report.new_articles == 10
            assert solver.calls and lib.store.get_feed(feed.id).title == "DIYgod的知乎动态"
            saved = vault.get("zhihu.com")
            assert saved is not None and "__zse_ck" in saved.cookies  # the solved cookie went to the vault
            assert any("zhihu.com" in note for note in lib.budget_notes("zhihu.com"))
        assert zhihu.signature_failures == []


def test_the_vault_follows_a_changed_site_address(secret_service: object, data_dir: Path) -> None:
    settings = Settings(None, {})
    lib = Library(Paths(data_dir), settings)
    first = lib.vault
    assert first is not None and lib.vault is first  # the same vault while nothing changes
    first.set("zhihu.com", {"d_c0": D_C0})
    assert first.site_for_url("http://127.0.0.1:9/x") is None
    settings.set("zhihu.www_base", "http://127.0.0.1:9/")  # a test server standing in for the site
    moved = lib.vault
    assert moved is not first and moved is not None
    assert moved.site_for_url("http://127.0.0.1:9/x") == "zhihu.com"


def test_a_library_without_a_vault_sends_no_cookies_and_never_opens_the_keyring(
    library: Library, server: LocalServer
) -> None:
    server.route("/feed.xml", Reply(200, rss("Plain", "p"), XML))
    assert library.vault is None and library.cookie_lookup() is None
    library.refresh([library.subscribe(server.url("/feed.xml")).id])
    assert "cookie" not in server.requests_to("/feed.xml")[0].headers


def test_one_refresh_reads_an_empty_vault_s_site_list_once(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.vault.plaintext_backend import PlaintextKeyring

    reads: list[str] = []

    class CountingKeyring(PlaintextKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            reads.append(username)
            return super().get_password(service, username)

    monkeypatch.setenv("HEARTH_TEST_PLAINTEXT_KEYRING", str(tmp_path / "keyring.json"))
    with LocalServer("127.0.0.1") as one, LocalServer("127.0.0.2") as two:
        for srv in (one, two):
            srv.route("/feed.xml", Reply(200, rss("F", "1"), XML))
        with Library(Paths(data_dir), Settings(None, {}), vault=CookieVault(CountingKeyring())) as lib:
            ids = [lib.subscribe(one.url("/feed.xml")).id, lib.subscribe(two.url("/feed.xml")).id]
            assert lib.refresh(ids).errors == []
            assert reads == [".sites"]  # two hosts, one look at the (empty) index
            lib.refresh(ids)
            assert reads == [".sites", ".sites"]  # a new refresh looks again: a sign-in in between counts


OPML = """<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>
<outline text="News"><outline text="A" type="rss" xmlUrl="https://a.example/feed.xml"/>
<outline text="A again" type="rss" xmlUrl="https://a.example/feed.xml"/></outline>
<outline text="B" type="rss" xmlUrl="https://b.example/feed.xml"/>
<outline text="Local" type="rss" xmlUrl="exec:echo hi"/>
</body></opml>"""


def test_import_opml_keeps_folders_merges_duplicates_and_leaves_commands_out_unless_allowed(
    library: Library,
) -> None:
    from app.feeds.opml import read_opml

    done = library.import_opml(read_opml(OPML.encode()))
    assert (done.added, done.duplicates, done.folders, done.skipped) == (2, 1, 1, 1)
    feeds = {f.url: f for f in library.store.list_feeds()}
    assert sorted(feeds) == ["https://a.example/feed.xml", "https://b.example/feed.xml"]
    assert library.store.get_folder(feeds["https://a.example/feed.xml"].folder_id).name == "News"
    again = library.import_opml(read_opml(OPML.encode()), allow_scripts=True)
    assert (again.added, again.duplicates, again.skipped) == (1, 3, 0)  # only the command is new
    assert any(f.url.startswith("exec:") for f in library.store.list_feeds())
    exported = library.export_opml()
    assert (exported.feeds, exported.folders) == (3, 1)
    assert b"https://b.example/feed.xml" in exported.data and b"News" in exported.data


def _run(code: str, *args: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, cwd=ROOT, timeout=120
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


HEAVY = ("torch", "PySide6", "keyring", "httpx", "app.ai", "app.sources", "app.fetching", "app.storage")


def test_importing_the_library_loads_nothing_heavy() -> None:
    code = f"import json, sys, app.library; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    assert _run(code) == []


def test_a_refresh_of_plain_feeds_imports_no_source_and_no_torch(data_dir: Path, server: LocalServer) -> None:
    server.route("/feed.xml", Reply(200, rss("P", "1"), XML))
    code = (
        "import json, sys\n"
        "from app.config import Paths, Settings\n"
        "from app.library import Library\n"
        "lib = Library(Paths(sys.argv[1]), Settings(None, {}), vault=None)\n"
        "report = lib.refresh([lib.subscribe(sys.argv[2]).id])\n"
        "assert report.new_articles == 1, report\n"
        "print(json.dumps([m for m in ('torch', 'PySide6', 'app.sources.registry', 'app.ai') if m in sys.modules]))\n"
    )
    assert _run(code, str(data_dir), server.url("/feed.xml")) == []


def test_the_assistant_is_built_on_the_library_s_store_without_loading_a_model(library: Library) -> None:
    assistant = library.assistant()
    assert assistant is library.assistant()
    assert assistant.store is library.store and assistant.model is None
    store = library.open_store()
    try:
        own = library.assistant(store)  # a worker thread's: over its own connection
        assert own is not assistant and own.store is store
    finally:
        store.close()
