"""app.text.html_to_text: the one plain-text form of HTML (search, the AI, export and the CLI all use it)."""

from __future__ import annotations

from app.text import html_to_text


def test_html_to_text() -> None:
    html = "<h1>Head</h1><p>One &amp; <b>two</b></p><script>var x</script><style>p{}</style><ul><li>a</li><li>b</li></ul>tail"
    assert html_to_text(html) == "Head\n\nOne & two\n\na\n\nb\n\ntail"
    assert html_to_text("plain   text\n with  spaces") == "plain text\nwith spaces"
    assert html_to_text('<img alt="pic"> caption') == "pic caption"
    assert html_to_text("") == ""
    assert html_to_text("<p>unclosed <b>tags") == "unclosed tags"


def test_paragraphs_stay_a_blank_line_apart_and_lines_inside_them_join() -> None:
    html = "<p>First   line\nstill the first paragraph.</p>\n\n\n<p>Second</p><div><p>Third</p></div>"
    assert html_to_text(html) == "First line\nstill the first paragraph.\n\nSecond\n\nThird"
    # however many empty blocks stand between two paragraphs, one blank line separates them
    assert html_to_text("<p>a</p><p></p><div> </div><br><p>b</p>") == "a\n\nb"


def test_cells_images_and_entities() -> None:
    assert html_to_text("<table><tr><td>cell</td><td>mate</td></tr></table>") == "cell mate"
    assert html_to_text('<p>an <img src="x.png" alt="heron"> here</p>') == "an heron here"
    assert html_to_text("<p>caf&eacute; &#x4e2d;&#25991; &lt;tag&gt;</p>") == "café 中文 <tag>"
    assert html_to_text("&amp; plain") == "& plain"


def test_what_is_never_text() -> None:
    html = "<head><title>T</title></head><p>kept<!-- a comment --></p><noscript>n</noscript><template>t</template>"
    assert html_to_text(html) == "kept"
    assert html_to_text("   \n\t ") == ""
