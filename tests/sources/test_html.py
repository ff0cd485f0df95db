"""Zhihu's HTML clean-up (RSSHub's processImage) on its own."""

from __future__ import annotations

from datetime import UTC, datetime

from app.sources.zhihu.html import clean_zhihu_html, real_image_url, unwrap_link
from app.sources.zhihu.render import pin_image_url, render_target, ts


def test_real_image_url() -> None:
    assert (
        real_image_url("https://pic1.zhimg.com/v2-abc_720w.jpg?source=1940ef5c")
        == "https://pic1.zhimg.com/v2-abc.jpg"
    )
    assert real_image_url("https://pic1.zhimg.com/50/v2-abc_b.png") == "https://pic1.zhimg.com/50/v2-abc.png"
    assert real_image_url("https://pic1.zhimg.com/v2-abc_r.webp") == "https://pic1.zhimg.com/v2-abc.webp"
    assert (
        real_image_url("//pic1.zhimg.com/v2-a_hd.jpg") == "https://pic1.zhimg.com/v2-a_hd.jpg"
    )  # only b/r/720w
    assert pin_image_url("https://pic3.zhimg.com/v2-sky_xl.jpg") == "https://pic3.zhimg.com/v2-sky.jpg"


def test_unwrap_link() -> None:
    assert (
        unwrap_link("https://link.zhihu.com/?target=https%3A//example.com/a%3Fb%3D1")
        == "https://example.com/a?b=1"
    )
    assert unwrap_link("https://link.zhihu.com/?target=") == "https://link.zhihu.com/?target="
    assert unwrap_link("https://example.com/?target=x") == "https://example.com/?target=x"


def test_clean_up_then_sanitise() -> None:
    html = (
        'lead <p onclick="x()">a<noscript><img src="n.jpg"></noscript></p>'
        '<img data-original="https://pic4.zhimg.com/v2-o_r.jpg?x=1" src="https://pic4.zhimg.com/v2-o_b.jpg">'
        '<div class="RichText-MCNLinkCardContainer"><a href="https://xg.zhihu.com/x">广告</a></div>'
        '<a href="http://link.zhihu.com/?target=http%3A//a.example/%E4%B8%AD">中</a><iframe src="https://evil"></iframe>'
    )
    out = clean_zhihu_html(html)
    assert out.startswith("lead <p>a</p>")
    assert '<img src="https://pic4.zhimg.com/v2-o.jpg">' in out
    assert "广告" not in out and "noscript" not in out and "n.jpg" not in out
    assert "a.example" in out and "link.zhihu.com" not in out
    assert "iframe" not in out and "onclick" not in out
    assert clean_zhihu_html("") == "" and clean_zhihu_html("  ") == ""


def test_timestamps_are_utc_and_tolerant() -> None:
    assert ts(1690000000) == datetime(2023, 7, 22, 4, 26, 40, tzinfo=UTC)
    assert ts("1690000000") == ts(1690000000000) == ts(1690000000)
    assert ts(None) is None and ts("soon") is None and ts(0) is None


def test_unknown_target_types_still_make_an_item() -> None:
    r = render_target({"type": "ebook", "id": 1, "title": "新书", "url": "https://www.zhihu.com/pub/book/1"})
    assert (r.title, r.url) == ("新书", "https://www.zhihu.com/pub/book/1")
    r = render_target({"type": "thing", "id": 2, "name": "x", "url": "https://api.zhihu.com/things/2"})
    assert r.url == "https://www.zhihu.com"  # never an API URL
