"""A client for the user's own model server (Ollama, llama.cpp, LM Studio...) over the OpenAI-compatible chat API:
`POST {endpoint}/chat/completions` with `stream: true` (server-sent events), cancelled by closing the stream.

Only http(s) endpoints the user typed are used; no cookies, no proxies from the environment, no redirects.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from app.ai.prompts import ChatMessage
from app.ai.results import FinishReason
from app.errors import ConfigError, ModelError, ModelLoadError

if TYPE_CHECKING:  # imported by the client, the first time one is made: not when the AI panel is built
    import httpx

log = logging.getLogger(__name__)

OnText = Callable[[str], None]
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 300.0  # a server may load a big model before its first token
MAX_ERROR_BODY = 4096


@dataclass
class Completion:
    """What one streamed answer produced; `text` equals everything passed to on_text."""

    text: str
    finish_reason: FinishReason  # STOP, LENGTH or CANCELLED
    model: str
    first_text_s: float | None = None  # from the request to the first text


def normalise_endpoint(endpoint: str) -> str:
    """The API base URL (`http://host:port/v1`) from what the user typed; ConfigError for anything but http(s)."""
    text = endpoint.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"the model server address {text!r} is not an http(s) URL",
            hint="set ai.endpoint to the server's base URL, e.g. http://127.0.0.1:11434/v1",
        )
    if parts.username or parts.password:
        raise ConfigError("the model server address must not hold a user name or password")
    path = parts.path.rstrip("/") or "/v1"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class OpenAIClient:
    """One model server. Thread-safe for one request at a time per call; `model` "" means the server's first."""

    def __init__(self, endpoint: str, model: str = "", *, api_key: str = "") -> None:
        self.base = normalise_endpoint(endpoint)
        self.model = model.strip()
        headers = {"Accept": "text/event-stream, application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        import httpx

        self._http = httpx.Client(
            timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
            trust_env=False,
            follow_redirects=False,
            headers=headers,
        )
        self._resolved: str | None = self.model or None

    def close(self) -> None:
        self._http.close()

    # models ---------------------------------------------------------------------------------------
    def list_models(self) -> list[str]:
        """The ids the server offers (`GET /models`)."""
        import httpx

        url = f"{self.base}/models"
        try:
            response = self._http.get(url)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        if response.status_code != 200:
            raise self._http_error(response.status_code, response.text[:MAX_ERROR_BODY])
        try:
            data = response.json().get("data", [])
            return [str(item["id"]) for item in data if isinstance(item, dict) and "id" in item]
        except (ValueError, AttributeError, TypeError, KeyError):
            raise ModelError(
                f"{url} did not answer with a model list", hint="is ai.endpoint the /v1 base URL?"
            ) from None

    def resolved_model(self) -> str:
        """The configured model, else the server's first (asked once)."""
        if self._resolved is None:
            models = self.list_models()
            if not models:
                raise ModelLoadError(
                    f"the model server at {self.base} offers no models",
                    hint="pull or load a model there, or set ai.endpoint_model",
                )
            self._resolved = models[0]
        return self._resolved

    # chat -----------------------------------------------------------------------------------------
    def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        temperature: float = 1.0,
        top_p: float = 1.0,
        max_tokens: int = 400,
        stop: Sequence[str] = (),
        on_text: OnText | None = None,
        cancel: threading.Event | None = None,
    ) -> Completion:
        """Stream one answer to `on_text`. A set `cancel` closes the connection at once (finish "cancelled")."""
        import httpx

        model = self.resolved_model()
        body: dict[str, Any] = {
            "model": model,
            "messages": [{"role": m.role, "content": m.text} for m in messages],
            "stream": True,
            "temperature": temperature,
            "top_p": top_p,
            "max_tokens": max_tokens,
        }
        if stop:
            body["stop"] = list(stop)[:4]  # the API takes at most four
        started = time.perf_counter()
        pieces: list[str] = []
        first: list[float] = []
        finish = FinishReason.STOP
        if cancel is not None and cancel.is_set():
            return Completion("", FinishReason.CANCELLED, model)
        url = f"{self.base}/chat/completions"
        try:
            with self._http.stream("POST", url, json=body) as response:
                if response.status_code != 200:
                    raise self._http_error(response.status_code, _read_some(response), model=model)
                done = threading.Event()
                watcher = _start_watcher(response, cancel, done)
                try:
                    for delta, reason in _events(response):
                        if cancel is not None and cancel.is_set():
                            break
                        if delta:
                            if not first:
                                first.append(time.perf_counter() - started)
                            pieces.append(delta)
                            if on_text is not None:
                                on_text(delta)
                        if reason:
                            finish = FinishReason.LENGTH if reason == "length" else FinishReason.STOP
                finally:
                    done.set()
                    if watcher is not None:
                        watcher.join()
        except httpx.HTTPError as exc:
            if cancel is not None and cancel.is_set():
                return Completion("".join(pieces), FinishReason.CANCELLED, model, first[0] if first else None)
            raise self._unreachable(exc) from exc
        except OSError as exc:  # the watcher shut the socket while httpcore was reading
            if cancel is not None and cancel.is_set():
                return Completion("".join(pieces), FinishReason.CANCELLED, model, first[0] if first else None)
            raise self._unreachable(exc) from exc
        if cancel is not None and cancel.is_set():
            finish = FinishReason.CANCELLED
        return Completion("".join(pieces), finish, model, first[0] if first else None)

    # errors ---------------------------------------------------------------------------------------
    def _unreachable(self, exc: Exception) -> ModelError:
        import httpx

        if isinstance(exc, httpx.TimeoutException):
            return ModelLoadError(
                f"the model server at {self.base} did not answer in time",
                hint="is it running and not overloaded? check ai.endpoint",
            )
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
            return ModelError(f"the model server at {self.base} broke off its answer ({exc})")
        return ModelLoadError(
            f"cannot reach the model server at {self.base} ({exc.__class__.__name__})",
            hint="start the server (e.g. `ollama serve`) or fix ai.endpoint",
        )

    def _http_error(self, status: int, text: str, *, model: str = "") -> ModelError:
        message = _error_message(text) or text.strip()[:200] or f"HTTP {status}"
        if model and status in (400, 404) and "model" in message.lower():
            hint = "set ai.endpoint_model to one the server has"
            try:
                names = self.list_models()
                if names:
                    hint += ": " + ", ".join(names[:8])
            except ModelError:
                pass
            return ModelLoadError(f"the model server has no model {model!r} ({message})", hint=hint)
        if status in (401, 403):
            return ModelLoadError(f"the model server refused access (HTTP {status}: {message})")
        if status == 404:
            return ModelLoadError(
                f"{self.base} has no OpenAI-compatible chat API (HTTP 404)",
                hint="ai.endpoint should be the API base, e.g. http://127.0.0.1:11434/v1",
            )
        return ModelError(f"the model server answered HTTP {status}: {message}")


def _events(response: httpx.Response) -> Iterator[tuple[str, str | None]]:
    """(text delta, finish reason) from each `data:` line of the event stream, until `[DONE]`."""
    for line in response.iter_lines():
        if not line.startswith("data:"):
            continue  # comments, event names, keep-alives
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            event = json.loads(data)
        except ValueError:
            raise ModelError(f"the model server sent a malformed event: {data[:80]!r}") from None
        if not isinstance(event, dict):
            continue
        if "error" in event:
            raise ModelError(
                f"the model server failed: {_error_message(json.dumps(event)) or event['error']}"
            )
        for choice in event.get("choices") or ():
            delta = (choice.get("delta") or {}).get("content") or ""
            yield str(delta), choice.get("finish_reason")


def _start_watcher(
    response: httpx.Response, cancel: threading.Event | None, done: threading.Event
) -> threading.Thread | None:
    """A thread that shuts the socket when `cancel` is set, so a read blocked on a slow server returns now."""
    if cancel is None:
        return None
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None

    def watch() -> None:
        while not done.is_set():
            if cancel.wait(0.05):
                try:
                    if sock is not None:
                        sock.shutdown(socket.SHUT_RDWR)
                    else:
                        response.close()
                except OSError:
                    pass
                return

    thread = threading.Thread(target=watch, name="openai-cancel", daemon=True)
    thread.start()
    return thread


def _read_some(response: httpx.Response) -> str:
    data = b""
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) >= MAX_ERROR_BODY:
            break
    return data[:MAX_ERROR_BODY].decode("utf-8", errors="replace")


def _error_message(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or "")
    return str(error or "")
