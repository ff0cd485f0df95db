"""Prompts for RWKV World/G1 models: chat turns (`User:` / `Assistant:`, optional `System:`), article summaries,
chat about an article, digests, instruction mode, and fitting long articles to a token budget.

`\\n\\n` separates turns, so every message is cleaned to contain none. PROMPT_VERSION changes whenever a template
does (it is a hash of them), and summaries are cached per prompt version.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from app.ai.tokenizer import Tokenizer

Role = Literal["system", "user", "assistant"]
Think = Literal["off", "fake", "on"]

CHAT_STOP = ("\n\n",)  # an assistant turn ends at the first blank line
# Summaries and digests may hold a blank line; they end when the model starts a new turn.
SUMMARY_STOP = ("\n\nUser:", "\n\nAssistant:", "\n\nSystem:", "\n\n\n")

_ROLE_LABEL = {"system": "System", "user": "User", "assistant": "Assistant"}
_THINK_SUFFIX = {"off": "", "fake": " <think>\n</think", "on": " <think"}  # RWKV7-G1x-templates.txt
_MARKER = re.compile(
    r"(?m)^([ \t]*)(User|Assistant|System|Question|Answer|Instruction|Input|Response)([ \t]*):"
)
_BLANKISH = re.compile(r"\n[ \t\u3000\u00a0]*(?=\n)")  # lines holding only spaces


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    text: str


# --- templates (PROMPT_VERSION hashes these) -------------------------------------------------------------
SUMMARY_TEMPLATES = {
    "en": (
        "Summarize the article below in the language it is written in. Write 3 to 5 short bullet points, "
        'each on its own line starting with "- ", for its main points. Then write one last line starting with '
        '"Gist:" that says in one sentence what the article is about.\nTitle: {title}\n{text}\n'
        "(Now the bullet points and the Gist line for the article above, in its language.)"
    ),
    "zh": (
        "请用中文总结下面的文章：用 3 到 5 个简短的要点概括主要内容，每个要点单独一行，以“- ”开头；"
        "最后一行以“概括：”开头，用一句话说明文章讲了什么。\n标题：{title}\n{text}\n"
        "（请给出上面这篇文章的要点和“概括：”一行。）"
    ),
}
ARTICLE_CONTEXT_TEMPLATES = {
    "en": (
        "Read this article; I will ask you about it.\nTitle: {title}\n{text}",
        "I have read the article. What would you like to know about it?",
    ),
    "zh": (
        "请阅读这篇文章，然后回答我关于它的问题。\n标题：{title}\n{text}",
        "我读完了这篇文章。你想了解什么？",
    ),
}
DIGEST_TEMPLATES = {
    "en": (
        "Here are {count} articles from my feeds. Write a short digest in English: one bullet per article, "
        'starting with "- " and its title, saying its key point in one sentence. Then one last line starting '
        'with "Overall:" about what they have in common, if anything.\n{articles}'
    ),
    "zh": (
        "下面是我订阅的 {count} 篇文章。请用中文写一份简短的摘要：每篇文章一个要点，以“- ”和标题开头，"
        "用一句话说明其要点；最后一行以“总体：”开头，说明它们的共同点（如果有）。\n{articles}"
    ),
}
GIST_MARKERS = ("Gist:", "概括：", "概括:", "Overall:", "总体：", "总体:")
_TEMPLATE_TEXT = repr(
    (SUMMARY_TEMPLATES, ARTICLE_CONTEXT_TEMPLATES, DIGEST_TEMPLATES, _THINK_SUFFIX, _ROLE_LABEL)
)
PROMPT_VERSION = "p1-" + hashlib.sha256(_TEMPLATE_TEXT.encode("utf-8")).hexdigest()[:10]


# --- cleaning ---------------------------------------------------------------------------------------------
def clean_message(text: str) -> str:
    """A message that cannot end or fake a turn: no blank lines (`\\n\\n` is the turn separator), and a line
    that starts like a turn ("User:", "Assistant:", ...) gets a full-width colon."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _BLANKISH.sub("", text)
    text = re.sub(r"\n{2,}", "\n", text).strip()
    return _MARKER.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}：", text)


def clean_article(text: str) -> str:
    """Article text for a prompt: lines stripped, empty lines dropped (as pip's refine_context), then cleaned."""
    lines = (
        line.strip().strip("\u3000") for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    )
    return clean_message("\n".join(line for line in lines if line))


def detect_language(text: str, sample: int = 4000) -> str:
    """ "zh", "ja", "ko" when the text is mostly in that script, else "en" (the English templates ask the model
    to answer in the article's own language)."""
    counts = {"han": 0, "kana": 0, "hangul": 0, "letter": 0}
    for ch in text[:sample]:
        code = ord(ch)
        if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF:
            counts["han"] += 1
        elif 0x3040 <= code <= 0x30FF:
            counts["kana"] += 1
        elif 0xAC00 <= code <= 0xD7AF:
            counts["hangul"] += 1
        elif ch.isalpha():
            counts["letter"] += 1
    total = sum(counts.values()) or 1
    if counts["kana"] / total > 0.1:
        return "ja"
    if counts["hangul"] / total > 0.2:
        return "ko"
    if counts["han"] / total > 0.2:
        return "zh"
    return "en"


def _lang(language: str | None, text: str) -> str:
    language = language or detect_language(text)
    return language if language in SUMMARY_TEMPLATES else "en"


# --- chat -------------------------------------------------------------------------------------------------
def chat_prompt(
    messages: Iterable[ChatMessage | tuple[str, str]], *, system: str | None = None, think: Think = "off"
) -> str:
    """`System: ..\\n\\nUser: ..\\n\\nAssistant: ..\\n\\nUser: ..\\n\\nAssistant:` (G1 / World style).

    The last message should be the user's; the prompt ends with "Assistant:" (no trailing space: the model
    writes " ..."). think="fake" / "on" add G1's empty or open think block.
    """
    parts = []
    if system and clean_message(system):
        parts.append(f"System: {clean_message(system)}\n\n")
    for message in messages:
        role, text = (message.role, message.text) if isinstance(message, ChatMessage) else message
        if role not in _ROLE_LABEL:
            raise ValueError(f"unknown role {role!r}")
        parts.append(f"{_ROLE_LABEL[role]}: {clean_message(text)}\n\n")
    parts.append("Assistant:" + _THINK_SUFFIX[think])
    return "".join(parts)


def reply_text(raw: str) -> str:
    """The answer without a think block (G1 `<think>...</think>`) and surrounding whitespace."""
    if "</think>" in raw:
        raw = raw.rsplit("</think>", 1)[1]
    elif raw.startswith(">"):  # the rest of a fake "<think>\n</think" prefix
        raw = raw[1:]
    return raw.strip()


# --- articles ---------------------------------------------------------------------------------------------
def summary_messages(title: str, text: str, *, language: str | None = None) -> list[ChatMessage]:
    """The summary request as chat messages (for any backend)."""
    body = clean_article(text)
    template = SUMMARY_TEMPLATES[_lang(language, title + "\n" + body)]
    return [ChatMessage("user", clean_message(template.format(title=clean_message(title), text=body)))]


def summary_prompt(title: str, text: str, *, language: str | None = None, think: Think = "off") -> str:
    """Ask for 3-5 bullet points and a one-line gist, in the article's language."""
    return chat_prompt(summary_messages(title, text, language=language), think=think)


def article_context(title: str, text: str, *, language: str | None = None) -> str:
    """The opening of a chat about an article, ending in "\\n\\n": prefill it once and cache the state."""
    body = clean_article(text)
    ask, ack = ARTICLE_CONTEXT_TEMPLATES[_lang(language, title + "\n" + body)]
    user = ask.format(title=clean_message(title), text=body)
    return f"User: {clean_message(user)}\n\nAssistant: {ack}\n\n"


def article_chat_prompt(
    title: str, text: str, messages: Sequence[ChatMessage | tuple[str, str]], *, language: str | None = None
) -> str:
    """The article context, then the conversation so far, ending with "Assistant:"."""
    return article_context(title, text, language=language) + chat_prompt(messages)


def digest_messages(articles: Sequence[tuple[str, str]], *, language: str = "en") -> list[ChatMessage]:
    """The digest request as chat messages (for any backend)."""
    items = "\n".join(
        f"{i}. {clean_message(title)}: {clean_article(text)}" for i, (title, text) in enumerate(articles, 1)
    )
    template = DIGEST_TEMPLATES[language if language in DIGEST_TEMPLATES else "en"]
    return [ChatMessage("user", clean_message(template.format(count=len(articles), articles=items)))]


def digest_prompt(articles: Sequence[tuple[str, str]], *, language: str = "en") -> str:
    """One bullet per (title, text) and an "Overall:" line. Fit each text to its share of the budget first."""
    return chat_prompt(digest_messages(articles, language=language))


@dataclass(frozen=True)
class SummaryParts:
    bullets: list[str]
    gist: str


def parse_summary(text: str) -> SummaryParts:
    """Bullet lines and the gist line out of a generated summary (tolerant of "*", "•" and numbered bullets)."""
    bullets: list[str] = []
    gist = ""
    for line in reply_text(text).splitlines():
        line = line.strip()
        marker = next((m for m in GIST_MARKERS if line.startswith(m)), None)
        if marker:
            gist = line[len(marker) :].strip()
            continue
        match = re.match(r"^(?:[-*•·]|\d+[.)、])\s*(.+)$", line)
        if match:
            bullets.append(match.group(1).strip())
    return SummaryParts(bullets, gist)


# --- other modes ------------------------------------------------------------------------------------------
def instruction_prompt(instruction: str, input_text: str = "") -> str:
    """`Instruction: ..\\n\\nInput: ..\\n\\nResponse:` (Input omitted when empty)."""
    prompt = f"Instruction: {clean_message(instruction)}\n\n"
    if input_text.strip():
        prompt += f"Input: {clean_message(input_text)}\n\n"
    return prompt + "Response:"


def free_prompt(text: str) -> str:
    """Plain continuation: newlines normalised, no trailing spaces (they tokenise badly)."""
    return text.replace("\r\n", "\n").rstrip(" \t")


# --- fitting long articles --------------------------------------------------------------------------------
_SENTENCE_END = re.compile(r"[.!?。！？…](?:[\"'”’)\]]*)(?=\s|$)|[。！？]")


def fit_article(text: str, tokenizer: Tokenizer, max_tokens: int) -> tuple[str, bool]:
    """`text` cut to at most `max_tokens` tokens, at a paragraph, sentence or word boundary when one is near
    the end (within the last 30% / 20% / 10%); returns (text, was_cut)."""
    if max_tokens <= 0:
        return "", bool(text)
    ids = tokenizer.encode(text)
    if len(ids) <= max_tokens:
        return text, False
    budget = max_tokens
    while budget > 0:
        # a cut re-tokenises a little differently from the prefix of ids: shrink until it fits
        head = tokenizer.decode_bytes(ids[:budget]).decode(
            "utf-8", errors="ignore"
        )  # drops a split last char
        for candidate in (_cut_at_boundary(head), head.rstrip()):
            if len(tokenizer.encode(candidate)) <= max_tokens:
                return candidate, True
        budget = budget * 9 // 10 if budget > 10 else budget - 1
    return "", True


def _cut_at_boundary(head: str) -> str:
    n = len(head)
    paragraph = head.rfind("\n")
    if paragraph >= n * 0.7:
        return head[:paragraph].rstrip()
    sentence = max((m.end() for m in _SENTENCE_END.finditer(head, int(n * 0.8))), default=-1)
    if sentence > 0:
        return head[:sentence].rstrip()
    space = head.rfind(" ")
    if space >= n * 0.9:
        return head[:space].rstrip()
    return head.rstrip()
