"""gettext `.po` files: read them into entries, compile them to `.mo` bytes (what msgfmt writes).

Fuzzy and untranslated entries are left out of the compiled catalogue, so they fall back to English.
"""

from __future__ import annotations

import array
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

MO_MAGIC = 0x950412DE


@dataclass(slots=True)
class POEntry:
    msgid: str
    msgid_plural: str = ""
    msgstr: list[str] = field(default_factory=list)  # one per plural form; one for a plain message
    fuzzy: bool = False
    comments: list[str] = field(default_factory=list)

    @property
    def translated(self) -> bool:
        return not self.fuzzy and bool(self.msgstr) and all(self.msgstr)


def parse_po(text: str, *, source: str = "<po>") -> list[POEntry]:
    """The entries of a .po file, the header (msgid "") first. Raises ValueError naming the line."""
    entries: list[POEntry] = []
    current: POEntry | None = None
    target: tuple[str, int] | None = None  # which field continuation lines extend
    flags_fuzzy = False
    comments: list[str] = []

    def finish() -> None:
        nonlocal current
        if current is not None:
            entries.append(current)
        current = None

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        try:
            if not line:
                continue
            if line.startswith("#"):
                if current is not None and target is not None and target[0] == "msgstr":
                    finish()
                if line.startswith("#,") and "fuzzy" in line:
                    flags_fuzzy = True
                elif not line.startswith("#~"):
                    comments.append(line)
                continue
            keyword, _, rest = line.partition(" ")
            if line.startswith('"'):
                if current is None or target is None:
                    raise ValueError("a string outside an entry")
                _extend(current, target, _unquote(line))
                continue
            if keyword == "msgctxt":
                raise ValueError("msgctxt is not used by Hearth")
            if keyword == "msgid":
                finish()
                current = POEntry(_unquote(rest), fuzzy=flags_fuzzy, comments=comments)
                flags_fuzzy, comments = False, []
                target = ("msgid", 0)
            elif keyword == "msgid_plural" and current is not None:
                current.msgid_plural = _unquote(rest)
                target = ("msgid_plural", 0)
            elif keyword == "msgstr" and current is not None:
                current.msgstr = [_unquote(rest)]
                target = ("msgstr", 0)
            elif keyword.startswith("msgstr[") and keyword.endswith("]") and current is not None:
                index = int(keyword[7:-1])
                if index != len(current.msgstr):
                    raise ValueError(f"{keyword} out of order")
                current.msgstr.append(_unquote(rest))
                target = ("msgstr", index)
            else:
                raise ValueError(f"unexpected {keyword!r}")
        except ValueError as exc:
            raise ValueError(f"{source}:{number}: {exc}") from None
    finish()
    return entries


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_ESCAPE = re.compile(r"\\(.)")


def _unquote(token: str) -> str:
    """A C string literal as msgfmt reads it (\\n, \\t, \\", \\\\ ...); no ast: a catalogue loads in a few ms."""
    token = token.strip()
    if len(token) < 2 or token[0] != '"' or token[-1] != '"':
        raise ValueError(f"expected a quoted string, got {token[:40]!r}")
    body = token[1:-1]
    if re.search(r'(?<!\\)(?:\\\\)*"', body):
        raise ValueError(f"an unescaped quote in {token[:40]!r}")

    def unescape(match: re.Match[str]) -> str:
        char = match.group(1)
        if char not in _ESCAPES:
            raise ValueError(f"unknown escape \\{char}")
        return _ESCAPES[char]

    return _ESCAPE.sub(unescape, body)


def _extend(entry: POEntry, target: tuple[str, int], text: str) -> None:
    name, index = target
    if name == "msgid":
        entry.msgid += text
    elif name == "msgid_plural":
        entry.msgid_plural += text
    else:
        entry.msgstr[index] += text


def read_po(path: Path) -> list[POEntry]:
    return parse_po(path.read_text(encoding="utf-8"), source=str(path))


def header_fields(entries: list[POEntry]) -> dict[str, str]:
    """The header entry's "Name: value" lines (Plural-Forms, Language ...)."""
    header = next((e for e in entries if e.msgid == ""), None)
    fields: dict[str, str] = {}
    for line in (header.msgstr[0] if header and header.msgstr else "").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    return fields


def compile_po(entries: list[POEntry]) -> bytes:
    """A GNU .mo file of the header and the translated entries (the layout msgfmt and Python's gettext read)."""
    messages: dict[bytes, bytes] = {}
    for entry in entries:
        if entry.msgid == "":
            header = entry.msgstr[0] if entry.msgstr else ""
            if "charset=" not in header:  # .po files are read as UTF-8, so the catalogue is UTF-8
                header += "Content-Type: text/plain; charset=UTF-8\n"
            messages[b""] = header.encode("utf-8")
        elif entry.translated:
            key = entry.msgid if not entry.msgid_plural else f"{entry.msgid}\0{entry.msgid_plural}"
            messages[key.encode("utf-8")] = "\0".join(entry.msgstr).encode("utf-8")
    keys = sorted(messages)
    ids = strs = b""
    spans: list[tuple[int, int, int, int]] = []
    for key in keys:
        spans.append((len(ids), len(key), len(strs), len(messages[key])))
        ids += key + b"\0"
        strs += messages[key] + b"\0"
    key_start = 7 * 4 + 16 * len(keys)
    value_start = key_start + len(ids)
    key_table: list[int] = []
    value_table: list[int] = []
    for id_offset, id_length, str_offset, str_length in spans:
        key_table += [id_length, id_offset + key_start]
        value_table += [str_length, str_offset + value_start]
    head = struct.pack("Iiiiiii", MO_MAGIC, 0, len(keys), 7 * 4, 7 * 4 + 8 * len(keys), 0, 0)
    return head + array.array("i", key_table + value_table).tobytes() + ids + strs


ARGPARSE_SOURCE = "argparse (Python's own strings)"
TRANSLATION_CALLS = {"_": 1, "gettext": 1, "lazy_gettext": 1, "ngettext": 2}


@dataclass(frozen=True, slots=True)
class Message:
    msgid: str
    msgid_plural: str = ""


def extract_messages(path: Path, *, calls: dict[str, int] | None = None) -> dict[Message, list[int]]:
    """Every `_("...")`, `gettext`, `lazy_gettext` and `ngettext("...", "...", n)` with literal strings in a
    Python file, with the lines it is on (what xgettext finds, read with `ast`), and the help line of every
    `SettingSpec(key, type, default, "help", ...)` (app/config.py: translated where it is shown)."""
    import ast  # only the extraction check and translators' tools need it

    calls = TRANSLATION_CALLS if calls is None else calls
    found: dict[Message, list[int]] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if (
            name == "SettingSpec" and len(node.args) >= 4
        ):  # a setting's help line, shown by `hearth config list`
            helptext = node.args[3]
            if isinstance(helptext, ast.Constant) and isinstance(helptext.value, str) and helptext.value:
                found.setdefault(Message(helptext.value), []).append(node.lineno)
            continue
        wanted = calls.get(name)
        if not wanted or len(node.args) < wanted:
            continue
        literals = [
            a.value for a in node.args[:wanted] if isinstance(a, ast.Constant) and isinstance(a.value, str)
        ]
        if len(literals) != wanted:
            continue  # a variable passed through (`_(name)`): its literals are marked where they are written
        message = Message(literals[0], literals[1] if wanted == 2 else "")
        found.setdefault(message, []).append(node.lineno)
    return found


def quote_po(text: str) -> str:
    """A .po string literal; long or multi-line strings as msgfmt's continuation lines."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    lines = escaped.split("\n")
    if len(lines) == 1 or (len(lines) == 2 and not lines[1]):  # no newline, or only a final one
        return '"' + escaped.replace("\n", "\\n") + '"'
    parts = [f"{line}\\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    return '""\n' + "\n".join(f'"{part}"' for part in parts)


def catalogue_messages(app_dir: Path) -> dict[Message, list[str]]:
    """What a catalogue translates: every marked string under `app_dir`, then argparse's own (the CLI
    answers argparse's gettext calls from Hearth's catalogue), each with the files it is in."""
    import argparse

    found: dict[Message, list[str]] = {}
    for path in sorted(app_dir.rglob("*.py")):
        for message in extract_messages(path):
            found.setdefault(message, []).append(path.relative_to(app_dir.parent).as_posix())
    for message in extract_messages(Path(argparse.__file__)):
        found.setdefault(message, []).append(ARGPARSE_SOURCE)
    return found


def format_po(header: str, entries: list[tuple[Message, list[str], list[str]]]) -> str:
    """A .po file: the header comment and entry, then (message, source files, translations) in order."""
    blocks = [header.rstrip("\n") + "\n"]
    for message, files, msgstr in entries:
        lines = [f"#: {name}" for name in dict.fromkeys(files)]
        lines.append(f"msgid {quote_po(message.msgid)}")
        if message.msgid_plural:
            lines.append(f"msgid_plural {quote_po(message.msgid_plural)}")
            lines += [f"msgstr[{i}] {quote_po(text)}" for i, text in enumerate(msgstr or [""])]
        else:
            lines.append(f"msgstr {quote_po(msgstr[0] if msgstr else '')}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def update_po(po_path: Path, app_dir: Path) -> tuple[int, int]:
    """Bring a catalogue up to date with the code: new strings added untranslated, gone ones dropped,
    translations kept. A new language starts from an empty file. Returns (entries, translated)."""
    existing = read_po(po_path) if po_path.exists() and po_path.stat().st_size else []
    known = {Message(e.msgid, e.msgid_plural): e for e in existing if e.msgid}
    header_entry = next((e for e in existing if e.msgid == ""), None)
    language = po_path.parent.parent.name
    header_text = (
        header_entry.msgstr[0]
        if header_entry and header_entry.msgstr
        else f"Language: {language}\nContent-Type: text/plain; charset=UTF-8\n"
        "Plural-Forms: nplurals=2; plural=(n != 1);\n"
    )
    comments = "\n".join(
        line for line in (header_entry.comments if header_entry else []) if line.startswith("# ")
    )
    header = (
        (comments + "\n" if comments else "")
        + 'msgid ""\nmsgstr ""\n'
        + "\n".join(quote_po(line + "\n") for line in header_text.splitlines())
    )
    rows: list[tuple[Message, list[str], list[str]]] = []
    translated = 0
    for message, files in catalogue_messages(app_dir).items():
        entry = known.get(message)
        msgstr = entry.msgstr if entry is not None and not entry.fuzzy else []
        translated += bool(entry is not None and entry.translated)
        rows.append((message, files, msgstr))
    found = {row[0] for row in rows}
    for message, entry in known.items():  # another Python's argparse strings: kept for that Python
        if message not in found and any("argparse" in line for line in entry.comments):
            rows.append((message, [ARGPARSE_SOURCE], entry.msgstr))
            translated += entry.translated
    po_path.parent.mkdir(parents=True, exist_ok=True)
    po_path.write_text(format_po(header, rows), encoding="utf-8")
    return len(rows), translated


def compile_catalogues(locale_dir: Path, out_dir: Path) -> list[Path]:
    """Every `<lang>/LC_MESSAGES/*.po` under `locale_dir` compiled to the same path under `out_dir` as `.mo`
    (what a build ships beside the sources; app/i18n.py prefers a `.mo` that is not older than its `.po`)."""
    written: list[Path] = []
    for po in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo = out_dir / po.relative_to(locale_dir).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        mo.write_bytes(compile_po(read_po(po)))
        written.append(mo)
    return written


def main(argv: list[str] | None = None) -> int:
    """`python -m app.po_catalog update app/locale/<lang>/LC_MESSAGES/hearth.po` (for translators), or
    `python -m app.po_catalog compile LOCALE_DIR OUT_DIR` (for builds: each .po to its .mo)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m app.po_catalog", description=main.__doc__)
    parser.add_argument("command", choices=("update", "compile"))
    parser.add_argument(
        "po", type=Path, nargs="+", help="update: the catalogues; compile: LOCALE_DIR OUT_DIR"
    )
    args = parser.parse_args(argv)
    if args.command == "compile":
        if len(args.po) != 2:
            parser.error("compile takes LOCALE_DIR OUT_DIR")
        for mo in compile_catalogues(args.po[0], args.po[1]):
            print(mo)
        return 0
    for po in args.po:
        total, done = update_po(po, Path(__file__).resolve().parent)
        print(f"{po}: {total} strings, {done} translated ({100 * done // max(total, 1)}%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
