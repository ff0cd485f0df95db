"""Background work (read-ahead, per-feed rules) reads its prompts in small prefill slices, so a user's request
that cancels it waits at most one small slice; the user's own prefill keeps the large ones. Counted through the
model's forward on a tiny random RWKV-7 (a flag set during a slice, the tokens fed before the stop), never timed."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch

from app.ai.assistant import Assistant
from app.ai.cancel import BACKGROUND_SLICE, PREFILL_SLICE, BackgroundCancel, prefill_slice
from app.ai.generate import prefill
from app.ai.model import load_model
from app.ai.results import FinishReason
from app.ai.state_cache import StateCache
from app.config import Paths, Settings
from app.models import ArticleQuery, ParsedItem
from app.storage import open_store
from tests.support.ai_fixtures import ForwardCounter, tiny_checkpoint

PROMPT = [(i * 37) % 60000 + 1 for i in range(1000)]
LONG = "".join(
    f"<p>Otters number {i} float on their backs and crack shells on their chests.</p>" for i in range(40)
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def model(tiny: Path):
    return load_model(tiny, device="cpu", dtype="fp32")


def _cancel_during_slice(model, flag: threading.Event, at_call: int = 1) -> ForwardCounter:
    """Count forward calls and set `flag` inside call `at_call`, as a user's request arriving mid-slice does."""
    counter = ForwardCounter(model)
    counted = model.forward

    def forward(tokens, state=None, **kwargs):
        out = counted(tokens, state, **kwargs)
        if counter.calls == at_call:
            flag.set()
        return out

    model.forward = forward
    return counter


def test_the_slice_follows_the_kind_of_flag() -> None:
    assert prefill_slice(BackgroundCancel()) == BACKGROUND_SLICE < PREFILL_SLICE
    assert prefill_slice(threading.Event()) == PREFILL_SLICE
    assert prefill_slice(None) == PREFILL_SLICE


def test_a_user_request_stops_background_prefill_after_one_small_slice(model) -> None:
    flag = BackgroundCancel()
    counter = _cancel_during_slice(model, flag)
    assert prefill(model, PROMPT, cancel=flag) is None
    assert counter.sizes == [BACKGROUND_SLICE]  # the flag was looked at before the second slice


def test_the_users_own_prefill_keeps_the_large_slices(model) -> None:
    flag = threading.Event()
    counter = _cancel_during_slice(model, flag, at_call=99)  # never set
    result = prefill(model, PROMPT, cancel=flag)
    assert result is not None
    assert counter.sizes == [PREFILL_SLICE, len(PROMPT) - PREFILL_SLICE]
    counter.restore()
    stop = threading.Event()
    counter = _cancel_during_slice(model, stop)
    assert prefill(model, PROMPT, cancel=stop) is None
    assert counter.sizes == [PREFILL_SLICE]


def test_small_slices_read_to_the_same_state(model) -> None:
    counter = ForwardCounter(model)
    big = prefill(model, PROMPT)
    small = prefill(model, PROMPT, cancel=BackgroundCancel())
    assert big is not None and small is not None
    assert counter.sizes[:2] == [PREFILL_SLICE, len(PROMPT) - PREFILL_SLICE]
    assert counter.sizes[2:] == [BACKGROUND_SLICE] * 15 + [len(PROMPT) - 15 * BACKGROUND_SLICE]
    torch.testing.assert_close(big[0], small[0], rtol=1e-4, atol=1e-4)


@pytest.fixture
def env(tmp_path: Path, tiny: Path):
    paths = Paths(tmp_path / "data").ensure()
    store = open_store(paths.db_path)
    feed = store.add_feed("http://127.0.0.1:9/n.xml", title="Nature")
    store.upsert_articles(
        feed.id, [ParsedItem(guid="a", url="http://example.org/a", title="Otters", content_html=LONG)]
    )
    settings = Settings(paths.settings_path)
    settings.set("ai.device", "cpu")
    settings.set("ai.model_path", str(tiny))
    settings.set("ai.max_tokens", 4)
    assistant = Assistant(settings, paths, store, state_cache=StateCache(paths.states_dir))
    yield assistant, store.query_ids(ArticleQuery())[0]
    store.close()


def test_read_ahead_under_a_background_flag_stops_within_one_small_slice(env) -> None:
    assistant, article_id = env
    model = assistant.load()
    flag = BackgroundCancel()
    counter = _cancel_during_slice(model, flag)
    result = assistant.read_ahead(limit=1).run(cancel=flag)
    assert result is not None and result.finish_reason == FinishReason.CANCELLED and result.read == ()
    assert counter.tokens == BACKGROUND_SLICE  # of an article of several hundred tokens
    assert not assistant.article_state_cached(assistant.store.get_article(article_id))


def test_a_background_summary_stops_within_one_small_slice(env) -> None:
    assistant, article_id = env
    model = assistant.load()
    flag = BackgroundCancel()
    counter = _cancel_during_slice(model, flag)
    result = assistant.summarize(article_id, cancel=flag)
    assert result.finish_reason == FinishReason.CANCELLED
    assert counter.sizes == [BACKGROUND_SLICE]
    assert assistant.cached_summary(article_id) is None
