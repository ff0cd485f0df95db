"""The article chats the AI worker keeps on its thread (the newest MAX_CHATS, each holding the state of its
article read once), and what each chat request does on its article's chat."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from app.ai.requests import (
    ChatAskRequest,
    ChatContinueRequest,
    ChatFreeRequest,
    ChatInstructRequest,
    ChatOpenRequest,
    ChatRegenerateRequest,
    ChatRequest,
    ChatResetRequest,
)
from app.ai.results import ChatOpened, Reply
from app.ui.ai_stream import Progress, Run

MAX_CHATS = 8  # article chats kept (each holds one state)
ChatStep = Callable[[Any, Any, Run], Reply | None]


class ArticleChats:
    """The open chats by article id, least recently used first; `on_opened` hears of each newly read one."""

    def __init__(self, on_opened: Callable[[int, ChatOpened], object]) -> None:
        self._on_opened = on_opened
        self._chats: OrderedDict[int, Any] = OrderedDict()

    def get(self, assistant: Any, article_id: int, cancel: threading.Event, progress: Progress) -> Any:
        """The article's chat on the current model: the kept one, or a new one that reads the article (None:
        cancelled while reading it)."""
        model = assistant.load(progress)  # reloads when the settings chose another model
        chat = self._chats.get(article_id)
        if chat is not None and chat.model is model:
            self._chats.move_to_end(article_id)
            return chat
        chat = assistant.article_chat(article_id, cancel=cancel, progress=progress)
        if chat is not None:
            self._on_opened(article_id, opened(chat))
            self._chats[article_id] = chat
            while len(self._chats) > MAX_CHATS:
                self._chats.popitem(last=False)
        return chat

    def clear(self) -> None:
        self._chats.clear()


def opened(chat: Any) -> ChatOpened:
    return ChatOpened(chat.article_id, chat.context_tokens, chat.cut_to, chat.from_cache)


def _io(run: Run) -> dict[str, Any]:
    """The streaming and cancel arguments every chat step takes."""
    return {"on_text": run.stream, "cancel": run.job.cancel}


def _sampled(
    r: ChatAskRequest | ChatInstructRequest | ChatFreeRequest | ChatRegenerateRequest,
) -> dict[str, Any]:
    return {"temperature": r.temperature, "top_p": r.top_p}


# what each chat step does on the article's chat (None: finish with what the chat holds)
CHAT_STEPS: dict[type[ChatRequest], ChatStep] = {
    ChatOpenRequest: lambda chat, r, run: None,
    ChatResetRequest: lambda chat, r, run: chat.reset(),
    ChatAskRequest: lambda chat, r, run: chat.ask(r.text, **_sampled(r), **_io(run)),
    ChatInstructRequest: lambda chat, r, run: chat.instruct(r.text, **_sampled(r), **_io(run)),
    ChatFreeRequest: lambda chat, r, run: chat.free(r.text, **_sampled(r), **_io(run)),
    ChatRegenerateRequest: lambda chat, r, run: chat.regenerate(**_sampled(r), **_io(run)),
    ChatContinueRequest: lambda chat, r, run: chat.continue_(**_io(run)),
}
