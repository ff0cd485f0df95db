"""Fixtures for source tests: a running fake Zhihu and a one-call way to run a source against it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pytest

from app.models import ParsedFeed
from app.sources.base import SourceContext
from app.sources.registry import get_source
from app.vault.cookies import SiteCookies
from tests.sources.fake_zhihu import FakeZhihu

TEST_UA = "Mozilla/5.0 (X11; Linux x86_64) HearthTest/1.0"


@pytest.fixture
def zhihu() -> Iterator[FakeZhihu]:
    with FakeZhihu() as fake:
        yield fake


def site_cookies(cookies: Mapping[str, str] | None = None, ua: str | None = TEST_UA) -> SiteCookies:
    return SiteCookies("zhihu.com", dict(cookies if cookies is not None else FakeZhihu.cookies()), ua)


def fetch_source(
    zhihu: FakeZhihu, source_id: str, params: Mapping[str, str], *, cookies: Any = "default", **ctx_kw: Any
) -> ParsedFeed:
    """Run one source fetch against the fake server with a fresh client; returns the ParsedFeed."""
    settings = ctx_kw.pop("settings", None) or zhihu.settings()
    jar = site_cookies() if cookies == "default" else cookies

    async def go() -> ParsedFeed:
        async with httpx.AsyncClient(timeout=10) as client:
            ctx = SourceContext(client=client, settings=settings, cookies=jar, **ctx_kw)
            return await get_source(source_id).fetch(params, ctx)

    return asyncio.run(go())
