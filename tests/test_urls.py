"""app.urls: the one host_of/netloc_of that the fetcher, the cookie vault and the UI share."""

from __future__ import annotations

from app.urls import host_of, netloc_of, runs_command


def test_host_of() -> None:
    assert host_of("https://WWW.Zhihu.COM:8443/people/x?y=1") == "www.zhihu.com"
    assert host_of("http://[::1]:8080/feed") == "::1"
    assert host_of("/relative/path") == ""
    assert host_of("http://[::1/feed") == ""  # unsplittable: no host, not a ValueError


def test_netloc_of_keeps_the_port() -> None:
    assert netloc_of("http://127.0.0.1:51234/x") == "127.0.0.1:51234"
    assert netloc_of("https://Example.org/x") == "example.org"
    assert netloc_of("http://[::1/feed") == ""


def test_runs_command_sees_through_invisible_prefixes() -> None:
    assert runs_command("exec:/usr/bin/id", "feed") and runs_command("https://a.example/", "script")
    assert runs_command("\u200b\u2060 Script:make-feed", "feed")  # zero-width and format characters first
    assert runs_command("\x01\tfilter:cmd:https://a.example/", "feed")
    # a bidi override (a format character) that the store's old regex let through
    assert runs_command("\u202eexec:id", "feed")
    assert not runs_command("https://a.example/exec:x", "feed") and not runs_command(None, "script")
