"""Prompts for translating, asking the library and daily briefings, as chat messages in the RWKV World/G1 format
(`User: ..\\n\\nAssistant:`, see app.ai.prompts.chat_prompt); any backend sends the same messages.

Each feature has its own prompt version (a hash of its templates), so changing one template only invalidates
that feature's cache.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.ai.languages import language_name
from app.ai.prompts import ChatMessage, chat_prompt, clean_article, clean_message

# --- translation -----------------------------------------------------------------------------------------
TRANSLATE_TEMPLATES = {
    "zh": "请把下面的{what}翻译成{language}。只输出译文，不要解释。\n{text}",
    "zh-Hant": "請把下面的{what}翻譯成{language}。只輸出譯文，不要解釋。\n{text}",
    "en": "Translate the following {what} into {language}. Reply with the translation only, nothing else.\n{text}",
}
TRANSLATE_WHAT = {
    "zh": {"paragraph": "段落", "heading": "标题", "item": "列表项", "caption": "图注", "title": "文章标题"},
    "zh-Hant": {"paragraph": "段落", "heading": "標題", "item": "列表項", "caption": "圖註", "title": "文章標題"},
    "en": {"paragraph": "paragraph", "heading": "heading", "item": "list item", "caption": "caption",
           "title": "article title"},
}  # fmt: skip
TARGET_NAMES = {"zh": "简体中文", "zh-Hant": "繁體中文"}
TRANSLATE_PROMPT_VERSION = (
    "t1-"
    + hashlib.sha256(repr((TRANSLATE_TEMPLATES, TRANSLATE_WHAT, TARGET_NAMES)).encode("utf-8")).hexdigest()[
        :10
    ]
)


def translate_messages(text: str, language: str, *, kind: str = "paragraph") -> list[ChatMessage]:
    """Ask for `text` (one paragraph, heading, list item, caption or an article title) in `language`."""
    template_key = language if language in TRANSLATE_TEMPLATES else "en"
    what = TRANSLATE_WHAT[template_key].get(kind, TRANSLATE_WHAT[template_key]["paragraph"])
    name = TARGET_NAMES.get(language, language_name(language))
    user = TRANSLATE_TEMPLATES[template_key].format(what=what, language=name, text=clean_article(text))
    return [ChatMessage("user", clean_message(user))]


def translate_head(language: str, kind: str = "paragraph") -> str:
    """The chat prompt of `translate_messages` up to the end of its instruction line: the same for every text of
    that kind and language, so its state is read once and kept (app.ai.translate); the text is fed after it."""
    prompt = chat_prompt(translate_messages("x", language, kind=kind))
    return prompt[: prompt.index("\n") + 1]


def clean_translation(raw: str) -> str:
    """The model's reply as a translation: no think block, no quotes or label it may wrap it in."""
    text = raw.strip()
    if "</think>" in text:
        text = text.rsplit("</think>", 1)[1].strip()
    text = re.sub(r"^(?:Translation|译文|譯文)\s*[:：]\s*", "", text)
    if len(text) >= 2 and text[0] + text[-1] in ('""', "“”", "「」"):
        text = text[1:-1].strip()
    return text


# --- ask your library ------------------------------------------------------------------------------------
ASK_TEMPLATES = {
    "en": (
        "Answer the question using only the numbered sources below, which are articles from my feeds. After each "
        "fact, cite its source by number in square brackets, like [1] or [2]. If the sources do not answer the "
        "question, say that they do not.\n{sources}\nMy question: {question}"
    ),
    "zh": (
        "请只根据下面编号的资料（来自我订阅的文章）回答问题。每个事实后用方括号注明资料编号，例如 [1] 或 [2]。"
        "如果资料无法回答这个问题，请直接说明。\n{sources}\n问题：{question}"
    ),
}
ASK_SOURCE = "[{number}] {title} ({date})\n{text}"
ASK_PROMPT_VERSION = (
    "a1-" + hashlib.sha256(repr((ASK_TEMPLATES, ASK_SOURCE)).encode("utf-8")).hexdigest()[:10]
)


@dataclass(frozen=True)
class Source:
    number: int
    title: str
    date: str  # "2026-11-30", or "" when unknown
    text: str


def ask_messages(question: str, sources: Sequence[Source], *, language: str = "en") -> list[ChatMessage]:
    """The question over numbered sources (each text already fitted to its share of the budget)."""
    blocks = "\n".join(
        ASK_SOURCE.format(
            number=s.number, title=clean_message(s.title) or "(untitled)", date=s.date or "undated",
            text=clean_article(s.text),
        )
        for s in sources
    )  # fmt: skip
    template = ASK_TEMPLATES[language if language in ASK_TEMPLATES else "en"]
    user = template.format(sources=blocks, question=clean_message(question))
    return [ChatMessage("user", clean_message(user))]


def cited_numbers(answer: str, count: int) -> list[int]:
    """The source numbers an answer cites ([1], [2, 3]), in order of first citation, within 1..count."""
    seen: list[int] = []
    for match in re.finditer(r"\[([\d\s,，]+)\]", answer):
        for part in re.split(r"[,，\s]+", match.group(1)):
            if part.isdigit() and 1 <= int(part) <= count and int(part) not in seen:
                seen.append(int(part))
    return seen


# --- briefings -------------------------------------------------------------------------------------------
BRIEFING_TEMPLATES = {
    "en": (
        "Here are {count} articles from my feeds since {since}. Write my briefing in English: first one line "
        'starting with "Today:" on the most important news, then one bullet per article starting with "- " and '
        "its number in square brackets, like [1], saying its key point in one sentence.\n{articles}"
    ),
    "zh": (
        "下面是我订阅的自 {since} 以来的 {count} 篇文章。请用中文写一份简报：第一行以“今日：”开头，说明最重要的消息；"
        "然后每篇文章一个要点，以“- ”和方括号中的编号（例如 [1]）开头，用一句话说明其要点。\n{articles}"
    ),
}
BRIEFING_PROMPT_VERSION = "b1-" + hashlib.sha256(repr(BRIEFING_TEMPLATES).encode("utf-8")).hexdigest()[:10]


def briefing_messages(
    articles: Sequence[tuple[str, str]], *, since: str, language: str = "en"
) -> list[ChatMessage]:
    """A daily briefing over numbered (title, text) pairs (texts fitted to their share first)."""
    items = "\n".join(
        f"[{i}] {clean_message(title) or '(untitled)'}: {clean_article(text)}"
        for i, (title, text) in enumerate(articles, 1)
    )
    template = BRIEFING_TEMPLATES[language if language in BRIEFING_TEMPLATES else "en"]
    user = template.format(count=len(articles), since=since, articles=items)
    return [ChatMessage("user", clean_message(user))]
