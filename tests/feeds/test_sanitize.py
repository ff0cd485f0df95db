"""sanitize_html against hostile markup."""

from __future__ import annotations

import pytest

from app.feeds.sanitize import sanitize_html

BASE = "https://blog.example.com/posts/one.html"


@pytest.mark.parametrize(
    "hostile",
    [
        '<img src="x.png" onerror="alert(1)">',
        "<script>alert(1)</script>",
        '<a href="javascript:alert(1)">x</a>',
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
        '<a href=" JaVaScRiPt:alert(1)">x</a>',
        "<style>body{display:none}</style>",
        '<p style="background:url(javascript:alert(1))">x</p>',
        '<form action="https://evil.example/"><input name="pw"><button>go</button></form>',
        '<svg onload="alert(1)"><circle r="1"/></svg>',
        '<iframe src="https://evil.example/"></iframe>',
        '<object data="evil.swf"></object><embed src="evil.swf">',
        '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
        '<img src="data:text/html,<script>alert(1)</script>">',
        '<div onclick="alert(1)" onmouseover="alert(2)">x</div>',
        '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
        '<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=https://evil.example/">',
    ],
)
def test_hostile_markup_is_defused(hostile: str) -> None:
    clean = sanitize_html(hostile, base_url=BASE).lower()
    for bad in ("<script", "javascript:", "onerror", "onload", "onclick", "onmouseover", "<style", "style=",
                "<form", "<input", "<iframe", "<svg", "<object", "<embed", "data:text", "<base", "<meta"):  # fmt: skip
        assert bad not in clean, (bad, clean)


def test_safe_markup_is_kept_and_urls_resolved() -> None:
    html = (
        '<h2>Title</h2><p><a href="../two.html" title="t">two</a> <img src="/i.png" alt="A" title="T" width="10"'
        ' height="20" class="x"></p><figure><img src="f.jpg"><figcaption>cap</figcaption></figure>'
        '<table><tr><th>h</th><td colspan="2">d</td></tr></table><pre><code>x &lt; y</code></pre>'
        "<blockquote>q</blockquote><ul><li>one</li></ul>"
    )
    clean = sanitize_html(html, base_url=BASE)
    assert '<a href="https://blog.example.com/two.html" title="t" rel="noopener noreferrer">two</a>' in clean
    assert '<img src="https://blog.example.com/i.png" alt="A" title="T" width="10" height="20">' in clean
    assert '<img src="https://blog.example.com/posts/f.jpg">' in clean
    for kept in ("<h2>", "<figcaption>cap</figcaption>", "<th>h</th>", 'colspan="2"', "<pre><code>x &lt; y</code></pre>",
                 "<blockquote>q</blockquote>", "<li>one</li>"):  # fmt: skip
        assert kept in clean


def test_data_urls_only_for_images() -> None:
    img = '<img src="data:image/png;base64,iVBORw0KGgo=">'
    assert sanitize_html(img) == img
    assert "data:" not in sanitize_html('<a href="data:image/png;base64,iVBORw0KGgo=">x</a>')


def test_without_base_relative_urls_stay_relative() -> None:
    assert sanitize_html('<a href="x.html">x</a>') == '<a href="x.html" rel="noopener noreferrer">x</a>'
    assert sanitize_html("") == ""
