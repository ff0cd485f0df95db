"""The translation mechanism: plural forms in English and Chinese, the language choice (setting over
locale), .po compiling, lazy strings, dates, the CLI speaking Chinese, and the extraction check that
every marked string of the converted modules has a current zh_CN entry."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app import i18n
from app.dates import DATE_FIELDS, format_date_tooltip, format_list_date, format_long_date, format_relative
from app.errors import HearthError
from app.i18n import _, lazy_gettext, load_translations, ngettext, resolve_language, use_language
from app.po_catalog import catalogue_messages, compile_po, extract_messages, parse_po, read_po, update_po

ROOT = Path(__file__).resolve().parents[1]
ZH_PO = ROOT / "app" / "locale" / "zh_CN" / "LC_MESSAGES" / "hearth.po"
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([a-z_]+\)[a-z]|%[a-z]")


@pytest.fixture
def language() -> Iterator[None]:
    """Tests switch the process-wide language; put English back after each."""
    yield
    use_language("en")


def key(msgid: str, plural: str = "") -> tuple[str, str]:
    return (msgid, plural)


def test_plural_forms_in_english_and_chinese(language: None) -> None:
    use_language("en")
    forms = [ngettext("{n} article", "{n} articles", n).format(n=n) for n in (0, 1, 2, 21)]
    assert forms == ["0 articles", "1 article", "2 articles", "21 articles"]
    use_language("zh_CN")
    forms = [ngettext("{n} article", "{n} articles", n).format(n=n) for n in (0, 1, 2, 21)]
    assert forms == ["0 篇文章", "1 篇文章", "2 篇文章", "21 篇文章"]  # one form: nplurals=1
    assert ngettext("{n} minute ago", "{n} minutes ago", 5).format(n=5) == "5 分钟前"


def test_the_language_follows_the_setting_then_the_locale() -> None:
    assert resolve_language("system", env={"LANG": "zh_CN.UTF-8"}) == "zh_CN"
    assert resolve_language("system", env={"LC_ALL": "zh_SG.UTF-8"}) == "zh_CN"
    assert resolve_language("system", env={"LANGUAGE": "zh_TW:zh_CN", "LANG": "zh_TW.UTF-8"}) == "zh_CN"
    assert resolve_language("system", env={"LANGUAGE": "zh_TW", "LANG": "de_DE.UTF-8"}) == "en"
    assert resolve_language("system", env={"LANGUAGE": "zh_CN", "LC_ALL": "C"}) == "en"  # as gettext does
    assert resolve_language("system", env={}, preferred=["zh-Hans-CN", "en-US"]) == "zh_CN"  # Qt's names
    assert resolve_language("en", env={"LANG": "zh_CN.UTF-8"}) == "en"
    assert resolve_language("zh_CN", env={"LANG": "C.UTF-8"}) == "zh_CN"
    assert resolve_language("klingon", env={"LANG": "zh_CN.UTF-8"}) == "zh_CN"  # no catalogue: the system's


def test_a_translator_adds_a_language_with_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "hearth.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n'
        'msgid "Retry"\nmsgstr "Réessayer"\n\n'
        'msgid "{n} article"\nmsgid_plural "{n} articles"\nmsgstr[0] "{n} article"\nmsgstr[1] "{n} articles"\n',
        encoding="utf-8",
    )
    assert i18n.available_languages(tmp_path) == ("en", "fr")
    assert resolve_language("system", env={"LANG": "fr_CA.UTF-8"}, locale_dir=tmp_path) == "fr"
    french = load_translations("fr", tmp_path)
    assert french.gettext("Retry") == "Réessayer"
    assert [french.ngettext("{n} article", "{n} articles", n) for n in (0, 1, 2)] == [
        "{n} article",
        "{n} article",
        "{n} articles",
    ]


def test_po_files_compile_like_msgfmt() -> None:
    entries = parse_po(
        '# header\nmsgid ""\nmsgstr "Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
        '#: app/x.py\nmsgid "a long "\n"message"\nmsgstr ""\n"一条"\n"长消息"\n\n'
        '#, fuzzy\nmsgid "guessed"\nmsgstr "猜的"\n\n'
        'msgid "untranslated"\nmsgstr ""\n\n'
        'msgid "say \\"hi\\"\\n"\nmsgstr "说\\"你好\\"\\n"\n'
    )
    assert [e.msgid for e in entries] == ["", "a long message", "guessed", "untranslated", 'say "hi"\n']
    import gettext
    import io

    catalogue = gettext.GNUTranslations(io.BytesIO(compile_po(entries)))
    assert catalogue.gettext("a long message") == "一条长消息"
    assert catalogue.gettext('say "hi"\n') == '说"你好"\n'
    assert catalogue.gettext("guessed") == "guessed"  # fuzzy entries are not used
    assert catalogue.gettext("untranslated") == "untranslated"


def test_a_broken_catalogue_says_where_and_falls_back_to_english(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ValueError, match=r"<po>:2: expected a quoted string"):
        parse_po('msgid "a"\nmsgstr oops\n')
    folder = tmp_path / "xx" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "hearth.po").write_text('msgid "Retry"\nmsgstr [broken\n', encoding="utf-8")
    assert load_translations("xx", tmp_path).gettext("Retry") == "Retry"
    assert "the xx translation is unusable" in caplog.text and "hearth.po:2" in caplog.text


def test_lazy_strings_and_error_hints_translate_when_used(language: None) -> None:
    hint = lazy_gettext("check the path")  # a module-level constant, made before any language is chosen
    use_language("zh_CN")
    assert str(hint) == "请检查路径" and f"{hint}" == "请检查路径"
    err = HearthError(
        _("cannot read {file}: {reason}").format(file="a.opml", reason="No such file"), hint=hint
    )
    assert err.user_message() == "无法读取 a.opml：No such file——请检查路径"
    use_language("en")
    assert str(hint) == "check the path"
    assert (
        HearthError("cannot read a.opml", hint=hint).user_message() == "cannot read a.opml — check the path"
    )


def test_dates_in_both_languages(language: None) -> None:
    now = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)
    this_year = datetime(2026, 5, 3, 12, 0, tzinfo=UTC)
    older = datetime(2021, 1, 9, 12, 0, tzinfo=UTC)
    use_language("en")
    assert format_list_date(this_year, now) == "3 May" and format_list_date(older, now) == "9 Jan 2021"
    assert format_long_date(this_year).startswith("Sunday 03 May 2026, ")
    assert format_relative(now - timedelta(seconds=20), now) == "just now"
    assert format_relative(now - timedelta(minutes=1), now) == "1 minute ago"
    assert format_relative(now - timedelta(hours=5), now) == "5 hours ago"
    assert format_relative(now - timedelta(days=3), now) == "3 days ago"
    use_language("zh_CN")
    assert format_list_date(this_year, now) == "5月3日" and format_list_date(older, now) == "2021年1月9日"
    assert format_long_date(this_year).startswith("2026年5月3日 星期日 ")
    assert format_relative(now - timedelta(minutes=1), now) == "1 分钟前"
    assert format_relative(now - timedelta(days=3), now) == "3 天前"
    assert format_date_tooltip(now - timedelta(days=2), now).endswith("（2 天前）")
    assert "（" not in format_date_tooltip(now - timedelta(days=8), now)  # a week on: the date says enough


def _hearth(*argv: str, lang: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    env.update(LANG=lang, HEARTH_DATA_DIR=str(data_dir), PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "app", *argv], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )


def test_the_cli_speaks_the_locale_or_the_setting(tmp_path: Path) -> None:
    chinese = _hearth("--help", lang="zh_CN.UTF-8", data_dir=tmp_path)
    assert chinese.returncode == 0
    assert chinese.stdout.startswith("用法：hearth")  # argparse's own strings
    assert "列出订阅源及未读数" in chinese.stdout and "位置参数" in chinese.stdout  # Hearth's help texts
    bad = _hearth("list", "--bogus", lang="zh_CN.UTF-8", data_dir=tmp_path)
    assert bad.returncode == 2 and "hearth：错误：无法识别的参数：--bogus" in bad.stderr
    english = _hearth("--help", lang="C.UTF-8", data_dir=tmp_path)
    assert english.stdout.startswith("usage: hearth") and "list feeds with unread counts" in english.stdout
    # the setting wins over the locale, both ways
    assert _hearth("config", "set", "ui.language", "zh_CN", lang="C.UTF-8", data_dir=tmp_path).returncode == 0
    assert json.loads((tmp_path / "settings.json").read_text(encoding="utf-8"))["ui.language"] == "zh_CN"
    assert "用法：" in _hearth("--help", lang="C.UTF-8", data_dir=tmp_path).stdout
    assert (
        _hearth("config", "set", "ui.language", "en", lang="zh_CN.UTF-8", data_dir=tmp_path).returncode == 0
    )
    assert "usage:" in _hearth("--help", lang="zh_CN.UTF-8", data_dir=tmp_path).stdout
    refused = _hearth("config", "set", "ui.language", "fr", lang="C.UTF-8", data_dir=tmp_path)
    assert refused.returncode == 1 and "ui.language must be one of system, en, zh_CN" in refused.stderr


def test_every_marked_string_has_a_current_zh_cn_entry() -> None:
    """Every `_()` / `ngettext()` / `lazy_gettext()` literal anywhere in app/, and argparse's own strings."""
    marked = {key(m.msgid, m.msgid_plural): files for m, files in catalogue_messages(ROOT / "app").items()}
    entries = [e for e in read_po(ZH_PO) if e.msgid]
    in_po = {key(e.msgid, e.msgid_plural): e for e in entries}
    ours = {k for k, files in marked.items() if any(f.startswith("app/") for f in files)}
    # argparse's strings differ between Python versions: one missing falls back to English, and the
    # entries of another version's stay (they are marked as argparse's in the .po)
    argparse_entries = {k for k, e in in_po.items() if any("argparse" in line for line in e.comments)}
    missing = sorted(f"{k[0]!r} ({', '.join(marked[k])})" for k in ours - in_po.keys())
    stale = sorted(repr(k[0]) for k in in_po.keys() - marked.keys() - argparse_entries)
    untranslated = sorted(repr(e.msgid) for e in entries if not e.translated)
    hint = "\n(python -m app.po_catalog update app/locale/zh_CN/LC_MESSAGES/hearth.po, then translate)"
    assert missing == [], "marked strings with no zh_CN entry:\n" + "\n".join(missing) + hint
    assert stale == [], "zh_CN entries no module marks any more:\n" + "\n".join(stale) + hint
    assert untranslated == [], "zh_CN entries without a translation:\n" + "\n".join(untranslated)
    assert len(entries) == len(in_po), "an entry is in the .po twice"
    print(f"zh_CN: {len(ours)} Hearth strings + {len(in_po) - len(ours)} of argparse's, all translated")


def test_update_keeps_translations_adds_new_strings_and_drops_gone_ones(tmp_path: Path) -> None:
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / "mod.py").write_text(
        'from app.i18n import _, ngettext\nA = _("kept")\nB = ngettext("{n} new", "{n} news", 2)\n',
        encoding="utf-8",
    )
    po = tmp_path / "xx" / "LC_MESSAGES" / "hearth.po"
    total, translated = update_po(po, app_dir)  # a new language: every string, none translated
    assert translated == 0 and total == 2 + len(extract_messages(Path(argparse.__file__)))
    po.write_text(
        po.read_text(encoding="utf-8").replace('msgid "kept"\nmsgstr ""', 'msgid "kept"\nmsgstr "gardé"'),
        encoding="utf-8",
    )
    (app_dir / "mod.py").write_text(
        'from app.i18n import _\nA = _("kept")\nC = _("added")\n', encoding="utf-8"
    )
    update_po(po, app_dir)
    entries = {e.msgid: e for e in read_po(po)}
    assert entries["kept"].msgstr == ["gardé"] and entries["added"].msgstr == [""]
    assert "{n} new" not in entries and "#: app/mod.py" in po.read_text(encoding="utf-8")
    assert load_translations("xx", tmp_path).gettext("kept") == "gardé"


def test_translations_keep_every_placeholder() -> None:
    """A translation that drops or renames {n} / %(prog)s would raise (or lie) at run time."""
    broken = []
    for entry in read_po(ZH_PO):
        if not entry.msgid:
            continue
        wanted = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        date_pattern = bool(wanted) and {p.strip("{}") for p in wanted} <= set(DATE_FIELDS)
        for text in entry.msgstr:
            used = sorted(PLACEHOLDER.findall(text))
            if date_pattern:  # a date pattern may order and choose its fields (5月3日 uses the number)
                if not {p.strip("{}") for p in used} <= set(DATE_FIELDS):
                    broken.append(f"{entry.msgid!r} -> {text!r}")
            elif used != wanted:
                broken.append(f"{entry.msgid!r} -> {text!r}")
    assert broken == []


def test_the_ai_writes_in_ai_language_else_the_interface_language(
    language: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.ai.languages import preferred_language
    from app.config import Settings

    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")  # a locale Hearth's interface has no catalogue for
    use_language("en")
    assert preferred_language(Settings(values={"ai.language": "fr"})) == "fr"  # the setting wins
    assert preferred_language(Settings(values={"ai.language": "fr", "ui.language": "zh_CN"})) == "fr"
    assert preferred_language(Settings(values={"ui.language": "zh_CN"})) == "zh"  # unset: the interface's
    assert preferred_language(Settings(values={"ai.language": "auto", "ui.language": "zh_CN"})) == "zh"
    assert preferred_language(Settings(values={"ai.language": "auto", "ui.language": "en"})) == "en"
    # ui.language = system: the language the process chose from the locale, else the locale's own
    assert preferred_language(Settings()) == "ja"
    use_language("zh_CN")
    assert preferred_language(Settings()) == "zh"
    assert preferred_language(Settings(values={"ui.language": "en"})) == "en"


def test_counts_in_feed_tooltips_use_plural_forms(language: None) -> None:
    from app.models import Feed
    from app.ui.feed_status import error_tooltip

    def tooltip(errors: int) -> str:
        return error_tooltip(
            Feed(id=1, url="https://e.org/f", title="E", consecutive_errors=errors, last_error="x")
        )

    use_language("en")
    assert "Failed" not in tooltip(1) and "Failed 3 times in a row." in tooltip(3)
    assert tooltip(3).startswith("E\nLast error: x\n")
    use_language("zh_CN")
    assert "已连续失败 3 次。" in tooltip(3) and tooltip(1).startswith("E\n上次错误：x\n")


def test_hints_and_setting_help_speak_chinese(language: None, tmp_path: Path) -> None:
    from app.fetching.discovery import normalize_url
    from app.vault.cookies import parse_cookie_header

    use_language("zh_CN")
    with pytest.raises(HearthError) as caught:
        parse_cookie_header("bad name=1")
    assert caught.value.hint == "请粘贴 Cookie 请求头的值（name=value; name2=value2）"
    assert "bad name" in caught.value.message  # the message stays English: it is stored and matched
    with pytest.raises(HearthError) as caught:
        normalize_url("")
    assert caught.value.hint == "例如 hearth add https://example.org/"
    listing = _hearth("config", "list", lang="zh_CN.UTF-8", data_dir=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "ui.language = system    # 界面语言" in listing.stdout
    assert "refresh.paused = false    # 暂停后台刷新" in listing.stdout


def test_hearth_model_info_in_chinese_lines_up_by_terminal_columns(
    language: None, data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("torch")
    import unicodedata

    from app.cli import run
    from tests.support.ai_fixtures import tiny_checkpoint

    checkpoint = tiny_checkpoint(tmp_path, n_layer=1, n_embd=64, vocab=1024)
    (data_dir / "settings.json").write_text(json.dumps({"ui.language": "zh_CN"}), encoding="utf-8")
    assert run(["model", "info", str(checkpoint)]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line and not line.startswith(" ")]
    labels = [row.split(" ", 1)[0] for row in rows]
    assert labels[:5] == ["文件", "代数", "层数", "宽度", "注意力头"] and "调优状态" in labels
    assert "RWKV-7" in rows[1] and "1024（world 分词器）" in out

    def value_column(row: str) -> int:
        label, rest = row.split(" ", 1)
        pad = len(rest) - len(rest.lstrip(" "))
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in label) + 1 + pad

    assert len({value_column(row) for row in rows}) == 1, rows


def test_a_build_compiles_each_catalogue_to_a_mo_that_gettext_reads(tmp_path: Path) -> None:
    """What packaging/hearth.spec ships beside the .po files: `python -m app.po_catalog compile LOCALE OUT`."""
    import gettext

    from app.po_catalog import compile_catalogues

    locale = Path(__file__).resolve().parents[1] / "app" / "locale"
    written = compile_catalogues(locale, tmp_path)
    mo = tmp_path / "zh_CN" / "LC_MESSAGES" / "hearth.mo"
    assert mo in written
    with mo.open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    assert catalogue.ngettext("{n} article", "{n} articles", 2) != "{n} articles"
    assert "文章" in catalogue.ngettext("{n} article", "{n} articles", 2)
