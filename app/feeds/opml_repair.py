"""Mend the markup faults real OPML files carry (a raw `&` in a URL, quotes or `<` inside an attribute
value) into well-formed XML, the way other readers tolerate them; used only after a strict parse failed.

`repair_markup` rewrites start tags through a small tolerant attribute tokenizer and escapes stray `&`
and `<` in text; comments, CDATA, processing instructions and end tags pass through unchanged.
"""

from __future__ import annotations

import codecs
import html.entities
import re

_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_REF = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8})|([A-Za-z_][A-Za-z0-9._-]{0,40}));")
_XML_NAMED = frozenset({"amp", "lt", "gt", "quot", "apos"})
_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:.\-]*")
_ATTR_NAME = re.compile(r"[^\s=/>\"'<]+")
_SPACE = re.compile(r"\s*")
# A quote ends a value when what follows looks like the next attribute or the end of the tag.
_VALUE_END = re.compile(r"""(?:\s+[^\s=/>"'<]+\s*=\s*["']|\s*/?>\s*(?:<|$))""")
_UNQUOTED = re.compile(r"[^\s>]+")
_CANDIDATES = 64  # quote characters tried as a value's end before taking the first one


_WIDE = (  # byte order marks, then the first character `<` without one (XML 1.0 appendix F)
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
)


def wide_encoding(data: bytes) -> str | None:
    """The UTF-16/32 encoding `data` is in, if it is in one (those hide `<!ENTITY` from a byte search)."""
    for mark, name in _WIDE:
        if data.startswith(mark):
            return name
    return None


def decode_markup(data: bytes) -> str:
    """The text of an XML document: its BOM or declared encoding, else UTF-8 (undecodable bytes replaced)."""
    wide = wide_encoding(data)
    if wide is not None:
        bom = next((m for m, n in _WIDE[:4] if n == wide and data.startswith(m)), b"")
        return data[len(bom) :].decode(wide, errors="replace")
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    match = _DECLARED.match(data[:200])
    name = match.group(1).decode("ascii") if match else "utf-8"
    try:
        return data.decode(name, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def as_utf8(data: bytes) -> bytes:
    """`data` re-encoded as UTF-8 without its XML declaration when it is UTF-16/32, else unchanged."""
    if wide_encoding(data) is None:
        return data
    return _DECLARATION.sub("", decode_markup(data), count=1).encode("utf-8", errors="replace")


def repair_markup(text: str) -> str:
    """Well-formed XML (when the element structure allows it) for `text`, without its XML declaration."""
    text = _NOT_XML.sub("", _DECLARATION.sub("", text, count=1))
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        lt = text.find("<", i)
        if lt < 0:
            out.append(_escape_text(text[i:]))
            break
        out.append(_escape_text(text[i:lt]))
        i = _markup(text, lt, out)
    return "".join(out)


def _markup(text: str, at: int, out: list[str]) -> int:
    """Copy or mend the construct starting with `<` at `at`; returns where scanning goes on."""
    for opener, closer in (("<!--", "-->"), ("<![CDATA[", "]]>"), ("<?", "?>")):
        if text.startswith(opener, at):
            end = text.find(closer, at + len(opener))
            end = len(text) if end < 0 else end + len(closer)
            out.append(text[at:end])
            return end
    if text.startswith("<!", at):  # a DOCTYPE (entity declarations were refused before this)
        gt = text.find(">", at)
        bracket = text.find("[", at, gt if gt >= 0 else len(text))
        if bracket >= 0:
            close = text.find("]", bracket)
            gt = text.find(">", close) if close >= 0 else -1
        end = len(text) if gt < 0 else gt + 1
        out.append(text[at:end])
        return end
    if text.startswith("</", at):
        name = _NAME.match(text, at + 2)
        if name:
            gt = text.find(">", name.end())
            end = len(text) if gt < 0 else gt + 1
            out.append(f"</{name.group()}>")
            return end
        out.append("&lt;")
        return at + 1
    name = _NAME.match(text, at + 1)
    if name is None:
        out.append("&lt;")
        return at + 1
    return _start_tag(text, name.group(), name.end(), out)


def _start_tag(text: str, tag: str, i: int, out: list[str]) -> int:
    """Rebuild one start tag; every newline it spanned is kept so later line numbers stay true."""
    parts: list[str] = [f"<{tag}"]
    names: set[str] = set()
    n = len(text)
    while i < n:
        begin = i
        i = _SPACE.match(text, i).end()
        breaks = "\n" * text.count("\n", begin, i)
        if text.startswith("/>", i) or text.startswith(">", i) or i >= n:
            parts.append(breaks)
            break
        name = _ATTR_NAME.match(text, i)
        if name is None:  # a stray quote, `/` or `<`: drop the character
            parts.append(breaks)
            i += 1
            continue
        i = _SPACE.match(text, name.end()).end()
        value = ""
        if text.startswith("=", i):
            i = _SPACE.match(text, i + 1).end()
            value, i = _value(text, i)
        key = name.group()
        if key in names or not _NAME.fullmatch(key):  # a repeated attribute keeps its first value
            parts.append(breaks + "\n" * text.count("\n", name.start(), i))
            continue
        names.add(key)
        parts.append(f'{breaks or " "}{key}="{_escape_attr(value)}"')
    closing = "/>" if text.startswith("/>", i) else ">"
    parts.append(closing)
    out.append("".join(parts))
    return min(n, i + len(closing))


def _value(text: str, i: int) -> tuple[str, int]:
    if i < len(text) and text[i] in "\"'":
        quote, start = text[i], i + 1
        end = pos = text.find(quote, start)
        for _ in range(_CANDIDATES):
            if pos < 0:
                break
            if _VALUE_END.match(text, pos + 1):
                end = pos
                break
            pos = text.find(quote, pos + 1)
        if end < 0:
            gt = text.find(">", start)
            end = len(text) if gt < 0 else gt
            return text[start:end], end
        return text[start:end], end + 1
    match = _UNQUOTED.match(text, i)
    if match is None:
        return "", i
    value = match.group()
    if value.endswith("/") and text.startswith(">", match.end()):
        value = value[:-1]
        return value, match.end() - 1
    return value, match.end()


def _fix_refs(raw: str) -> str:
    """`raw` with every `&` that does not start a usable reference escaped; HTML names become numbers."""
    out: list[str] = []
    i = 0
    while True:
        amp = raw.find("&", i)
        if amp < 0:
            out.append(raw[i:])
            return "".join(out)
        out.append(raw[i:amp])
        ref = _REF.match(raw, amp)
        out.append(_reference(ref) if ref else "&amp;")
        i = ref.end() if ref else amp + 1


def _reference(ref: re.Match[str]) -> str:
    decimal, hexa, name = ref.groups()
    if name is not None:
        if name in _XML_NAMED:
            return ref.group()
        char = html.entities.html5.get(name + ";")
        return "".join(f"&#{ord(c)};" for c in char) if char else "&amp;" + ref.group()[1:]
    code = int(decimal) if decimal is not None else int(hexa, 16)
    if code > 0x10FFFF or _NOT_XML.match(chr(code)):
        return "&amp;" + ref.group()[1:]
    return ref.group()


def _escape_text(raw: str) -> str:
    return _fix_refs(raw).replace(">", "&gt;") if "&" in raw or ">" in raw else raw


def _escape_attr(raw: str) -> str:
    return _fix_refs(raw).replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
