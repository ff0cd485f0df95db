"""Zhihu sources that are not one person's: a column (专栏), a collection (收藏夹), a question's answers, the hot list.

A feed that already has a title (passed as `ctx.extra["known_title"]`) skips the metadata request,
so a column or collection costs Zhihu one request per refresh, not two.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.models import ParsedFeed, ParsedItem
from app.sources.base import Param, SourceContext
from app.sources.zhihu.client import ZhihuClient
from app.sources.zhihu.html import clean_zhihu_html, esc
from app.sources.zhihu.people import ZhihuSource, q, www_url
from app.sources.zhihu.render import WWW, ZHUANLAN, Rendered, answer_url, name_of, render_target, to_item, ts

# RSSHub's question include, pre-encoded exactly as the web client sends it
QUESTION_INCLUDE = (
    "data%5B*%5D.is_normal%2Cadmin_closed_comment%2Creward_info%2Cis_collapsed%2Cannotation_action%2C"
    "annotation_detail%2Ccollapse_reason%2Cis_sticky%2Ccollapsed_by%2Csuggest_edit%2Ccomment_count%2C"
    "can_comment%2Ccontent%2Ceditable_content%2Cattachment%2Cvoteup_count%2Creshipment_settings%2C"
    "comment_permission%2Ccreated_time%2Cupdated_time%2Creview_info%2Crelevant_info%2Cquestion%2Cexcerpt%2C"
    "is_labeled%2Cpaid_info%2Cpaid_info_content%2Crelationship.is_authorized%2Cis_author%2Cvoting%2Cis_thanked%2C"
    "is_nothelp%2Cis_recognized%3Bdata%5B*%5D.mark_infos%5B*%5D.url%3Bdata%5B*%5D.author.follower_count%2C"
    "badge%5B*%5D.topics%3Bdata%5B*%5D.settings.table_of_content.enabled&offset=0"
)
COLLECTION_PAGE = 20
COLLECTION_MAX_PAGES = 10  # "all" still stops at 200 items: one refresh must not crawl a huge collection


def _known_title(ctx: SourceContext) -> str | None:
    title = ctx.extra.get("known_title")
    return str(title) if title else None


@dataclass(frozen=True)
class ColumnSource(ZhihuSource):
    id: str = "zhihu.zhuanlan"
    name: str = "Zhihu column (专栏)"
    params: tuple[Param, ...] = (
        Param("id", "the column id: zhuanlan.zhihu.com/<id> or www.zhihu.com/column/<c_id>"),
    )
    url_patterns: tuple[str, ...] = (
        r"^https?://zhuanlan\.zhihu\.com/(?!p/)(?P<id>[^/?#]+)/?(?:\?.*)?$",
        www_url(r"/column/(?P<id>[^/?#]+)"),
    )
    routes: tuple[str, ...] = ("/zhihu/zhuanlan/:id",)

    def feed_url(self, params: Mapping[str, str]) -> str:
        cid = params["id"]
        return f"{WWW}/column/{cid}" if cid.startswith("c_") else f"{ZHUANLAN}/{cid}"

    def title(self, params: Mapping[str, str]) -> str:
        return f"知乎专栏-{params['id']}"

    async def fetch(self, params: Mapping[str, str], ctx: SourceContext) -> ParsedFeed:
        params = self.check_params(params)
        client = ZhihuClient(ctx)
        cid = params["id"]
        referer = f"{ZHUANLAN}/{cid}"
        listing = await client.www_json(
            f"/api/v4/columns/{q(cid)}/items", referer=referer, what=f"column {cid}"
        )
        pinned = await client.www_json(
            f"/api/v4/columns/{q(cid)}/pinned-items/v2", referer=referer, what=f"column {cid}"
        )
        title, intro = _known_title(ctx), ""
        if title is None:
            meta = await client.www_json(f"/api/v4/columns/{q(cid)}", referer=referer, what=f"column {cid}")
            title, intro = (
                f"知乎专栏-{meta.get('title') or cid}",
                meta.get("intro") or meta.get("description") or "",
            )
        items: dict[str, ParsedItem] = {}
        for entry in [*(listing.get("data") or []), *(pinned.get("data") or [])]:
            if not isinstance(entry, dict):
                continue
            rendered = render_target(entry)
            if entry.get("type") == "answer":
                # a column's answer lists the question's asker as author; the answerer is in `author`
                rendered = dataclasses.replace(
                    rendered, author=name_of(entry.get("author")) or rendered.author
                )
            items.setdefault(rendered.url, to_item(rendered))
        return ParsedFeed(
            title=title,
            site_url=self.feed_url(params),
            description=intro,
            items=tuple(items.values()),
            format="zhihu",
        )


@dataclass(frozen=True)
class CollectionSource(ZhihuSource):
    id: str = "zhihu.collection"
    name: str = "Zhihu collection (收藏夹)"
    params: tuple[Param, ...] = (
        Param("id", "the collection id: www.zhihu.com/collection/<id>"),
        Param("getAll", "non-empty to page through the whole collection (at most 200 items)", ""),
    )
    url_patterns: tuple[str, ...] = (www_url(r"/collection/(?P<id>\d+)"),)
    routes: tuple[str, ...] = ("/zhihu/collection/:id/:getAll?",)

    def feed_url(self, params: Mapping[str, str]) -> str:
        base = f"{WWW}/collection/{params['id']}"
        return base + ("?all=1" if params.get("getAll") else "")

    def title(self, params: Mapping[str, str]) -> str:
        return f"知乎收藏夹 {params['id']}"

    async def fetch(self, params: Mapping[str, str], ctx: SourceContext) -> ParsedFeed:
        params = self.check_params(params)
        client = ZhihuClient(ctx)
        cid = params["id"]
        referer = f"{WWW}/collection/{cid}"
        entries: list[dict[str, Any]] = []
        offset = 0
        for _ in range(COLLECTION_MAX_PAGES if params.get("getAll") else 1):
            page = await client.www_json(
                f"/api/v4/collections/{q(cid)}/items?offset={offset}&limit={COLLECTION_PAGE}",
                referer=referer,
                what=f"collection {cid}",
            )
            batch = [e for e in page.get("data") or [] if isinstance(e, dict)]
            entries.extend(batch)
            offset += COLLECTION_PAGE
            paging = page.get("paging") or {}
            if not batch or paging.get("is_end") or offset >= int(paging.get("totals") or 0):
                break
        title, description = _known_title(ctx), ""
        if title is None:
            meta = await client.www_json(
                f"/api/v4/collections/{q(cid)}", referer=referer, what=f"collection {cid}"
            )
            info = meta.get("collection") if isinstance(meta.get("collection"), dict) else meta
            title = f"{info.get('title') or cid} - 知乎收藏夹"
            description = info.get("description") or ""
        items: dict[str, ParsedItem] = {}
        for entry in entries:
            content = entry.get("content") or {}
            rendered = render_target(content)
            when = ts(
                content.get("updated") if content.get("type") == "article" else content.get("updated_time")
            )
            item = to_item(rendered, published=when or rendered.published or ts(entry.get("created")))
            items.setdefault(item.guid, item)
        return ParsedFeed(
            title=title,
            site_url=referer,
            description=description,
            items=tuple(items.values()),
            format="zhihu",
        )


@dataclass(frozen=True)
class QuestionSource(ZhihuSource):
    id: str = "zhihu.question"
    name: str = "Zhihu question answers"
    params: tuple[Param, ...] = (
        Param("questionId", "the question id: www.zhihu.com/question/<id>"),
        Param("sortBy", "default, created or updated", "default", ("default", "created", "updated")),
    )
    url_patterns: tuple[str, ...] = (
        r"^https?://(?:www\.)?zhihu\.com/question/(?P<questionId>\d+)(?:/answer/\d+)?/?"
        r"(?:\?(?:[^#]*&)?sort=(?P<sortBy>default|created|updated)(?:&[^#]*)?|\?[^#]*)?$",
    )
    routes: tuple[str, ...] = ("/zhihu/question/:questionId/:sortBy?",)

    def feed_url(self, params: Mapping[str, str]) -> str:
        sort = params.get("sortBy") or "default"
        return f"{WWW}/question/{params['questionId']}" + ("" if sort == "default" else f"?sort={sort}")

    def title(self, params: Mapping[str, str]) -> str:
        return f"知乎-问题 {params['questionId']}"

    async def fetch_with(self, client: ZhihuClient, params: dict[str, str]) -> ParsedFeed:
        qid = params["questionId"]
        page = f"{WWW}/question/{qid}"
        query = f"include={QUESTION_INCLUDE}&limit=20&sort_by={params['sortBy']}&platform=desktop"
        data = await client.www_json(
            f"/api/v4/questions/{q(qid)}/answers?{query}", referer=page, what=f"question {qid}"
        )
        answers = [a for a in data.get("data") or [] if isinstance(a, dict)]
        question = next((a["question"] for a in answers if isinstance(a.get("question"), dict)), {})
        items = []
        for answer in answers:
            author = name_of(answer.get("author")) or "匿名用户"
            excerpt = re.sub(r"\s+", " ", str(answer.get("excerpt") or "")).strip()
            body = clean_zhihu_html(answer.get("content") or "")
            url = answer_url({**answer, "question": {"id": qid}})
            items.append(
                ParsedItem(
                    guid=url,
                    url=url,
                    title=f"{author}的回答：{excerpt}",
                    author=author,
                    published=ts(answer.get("updated_time")) or ts(answer.get("created_time")),
                    updated=ts(answer.get("updated_time")),
                    content_html=f"<p>{esc(author)}的回答</p>{body}",
                )
            )
        return ParsedFeed(
            title=f"知乎-{question.get('title') or qid}",
            site_url=self.feed_url(params),
            items=tuple(items),
            format="zhihu",
        )


@dataclass(frozen=True)
class HotSource(ZhihuSource):
    id: str = "zhihu.hot"
    name: str = "Zhihu hot list (热榜)"
    params: tuple[Param, ...] = ()
    url_patterns: tuple[str, ...] = (www_url(r"/(?:hot|billboard)"),)
    routes: tuple[str, ...] = ("/zhihu/hot",)

    def feed_url(self, params: Mapping[str, str]) -> str:
        return f"{WWW}/hot"

    def title(self, params: Mapping[str, str]) -> str:
        return "知乎热榜"

    async def fetch_with(self, client: ZhihuClient, params: dict[str, str]) -> ParsedFeed:
        data = await client.api_json(
            "/topstory/hot-lists/total?limit=10&reverse_order=0",
            referer=f"{WWW}/hot",
            need_cookie=True,
            what="hot list",
        )
        items = []
        for entry in data.get("data") or []:
            target = (entry or {}).get("target") or {}
            if not target.get("id"):
                continue
            kind = target.get("type") or "question"
            url = f"{WWW}/question/{target['id']}" if kind == "question" else render_target(target).url
            heat = entry.get("detail_text")
            thumb = next(
                (c.get("thumbnail") for c in entry.get("children") or [] if c.get("thumbnail")), None
            )
            html = "".join(
                part
                for part in (
                    f'<p><img src="{esc(thumb)}" alt=""></p>' if thumb else "",
                    f"<p>{esc(target.get('excerpt'))}</p>" if target.get("excerpt") else "",
                    f"<p>{esc(heat)}</p>" if heat else "",
                )
            )
            rendered = Rendered(
                target.get("title") or "", url, html, name_of(target.get("author")), ts(target.get("created"))
            )
            items.append(to_item(rendered))
        return ParsedFeed(title="知乎热榜", site_url=f"{WWW}/hot", items=tuple(items), format="zhihu")
