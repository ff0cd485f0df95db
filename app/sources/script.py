"""Script sources: a command whose standard output is a feed (the newsboat / Liferea / RSS Guard contract).

`exec:~/bin/make-feed --since 1d` (newsboat's form) or `script:...`. The command line is split with
shlex and run without a shell, in the data directory, with a time limit; a non-zero exit status or a
timeout becomes a ScriptError carrying (the end of) stderr. The output may be any format
`parse_feed` reads: RSS, Atom, RDF or JSON Feed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shlex
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from app.config import Key
from app.errors import FeedError, ScriptError, SourceError
from app.i18n import _
from app.models import FeedKind, ParsedFeed
from app.sources.base import Param, RouteSource, SourceContext

log = logging.getLogger(__name__)

PREFIXES = ("exec:", "script:")
STDERR_SHOWN = 500  # characters of stderr in the one-line message; the whole tail is on the error
STDERR_KEPT = 8000


def split_command(command: str) -> list[str]:
    """The argv of a command line (POSIX shell quoting, no expansion beyond `~` in the program)."""
    try:
        argv = shlex.split(command, posix=os.name != "nt")
    except ValueError as exc:
        raise ScriptError(f"cannot read the command line: {exc}", hint=_("check its quotes")) from None
    if not argv:
        raise ScriptError("the script command is empty", hint=_("write it as exec:COMMAND ARGS"))
    argv[0] = os.path.expanduser(argv[0])
    return argv


def tail(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else "…" + text[-limit:]


@dataclass(frozen=True)
class ScriptSource(RouteSource):
    id: str = FeedKind.SCRIPT
    name: str = "Script output"
    site: str | None = None
    params: tuple[Param, ...] = (Param("command", "a command line whose output is a feed"),)
    # No RSSHub route, on purpose: a path on the feed server must never be able to run a command.
    routes: tuple[str, ...] = ()

    def match(self, url: str) -> dict[str, str] | None:
        text = url.strip()
        for prefix in PREFIXES:
            if text.lower().startswith(prefix) and text[len(prefix) :].strip():
                return {"command": text[len(prefix) :].strip()}
        return None

    def feed_url(self, params: Mapping[str, str]) -> str:
        return f"exec:{params['command']}"

    def rsshub_path(self, params: Mapping[str, str]) -> str:
        raise SourceError(
            "script feeds have no feed-server path", hint=_("the feed server serves them by feed id")
        )

    def title(self, params: Mapping[str, str]) -> str:
        argv = split_command(params["command"])
        return os.path.basename(argv[0]) or params["command"]

    async def fetch(self, params: Mapping[str, str], ctx: SourceContext) -> ParsedFeed:
        command = self.check_params(params)["command"]
        argv = split_command(command)
        timeout = ctx.settings.get(Key.SCRIPT_TIMEOUT)
        limit = ctx.settings.get(Key.FETCH_MAX_BODY_MB) * 1024 * 1024
        cwd = ctx.data_dir if ctx.data_dir is not None and ctx.data_dir.is_dir() else None
        out, err = await run_command(argv, timeout=timeout, cwd=str(cwd) if cwd else None)
        if len(out) > limit:
            raise ScriptError(
                f"the script wrote more than {limit // (1024 * 1024)} MB", hint=_("raise fetch.max_body_mb")
            )
        try:
            from app.feeds.parse import parse_feed  # feedparser: loaded by the first script run

            return parse_feed(out, url=self.feed_url({"command": command}))
        except FeedError as exc:
            stderr = tail(err.decode("utf-8", "replace"), STDERR_KEPT)
            raise ScriptError(
                f"the script's output is not a feed ({exc.message})",
                stderr=stderr,
                hint=_("it must print RSS, Atom or JSON Feed on stdout")
                + (f"; stderr: {tail(stderr, STDERR_SHOWN)}" if stderr else ""),
            ) from None


async def run_command(argv: list[str], *, timeout: float, cwd: str | None) -> tuple[bytes, bytes]:
    """Run argv without a shell; (stdout, stderr) on exit status 0, else ScriptError. Kills the whole group on timeout."""
    posix = sys.platform != "win32"
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=posix,
        )
    except FileNotFoundError:
        raise ScriptError(
            f"no such program: {argv[0]}", hint=_("give the full path, or install it")
        ) from None
    except PermissionError:
        raise ScriptError(f"cannot run {argv[0]}: permission denied", hint=f"chmod +x {argv[0]}") from None
    except OSError as exc:
        raise ScriptError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
    out, err = bytearray(), bytearray()
    assert proc.stdout is not None and proc.stderr is not None
    tasks = {
        asyncio.ensure_future(_pump(proc.stdout, out)),
        asyncio.ensure_future(_pump(proc.stderr, err)),
        asyncio.ensure_future(proc.wait()),
    }
    try:
        _done, pending = await asyncio.wait(tasks, timeout=timeout)
        if pending:
            _kill(proc, posix)
            _done, pending = await asyncio.wait(pending, timeout=5.0)  # what it wrote before dying
            for task in pending:  # a grandchild in its own session still holds a pipe
                task.cancel()
            stderr = tail(err.decode("utf-8", "replace"), STDERR_KEPT)
            raise ScriptError(
                f"the script ran longer than {timeout:g} s and was stopped",
                stderr=stderr,
                hint=_("raise script.timeout, or make it faster")
                + (f"; stderr: {tail(stderr, STDERR_SHOWN)}" if stderr else ""),
            )
    except asyncio.CancelledError:
        _kill(proc, posix)
        for task in tasks:
            task.cancel()
        raise
    if proc.returncode != 0:
        stderr = tail(err.decode("utf-8", "replace"), STDERR_KEPT)
        shown = tail(stderr, STDERR_SHOWN) or "(nothing on stderr)"
        raise ScriptError(f"the script exited with status {proc.returncode}: {shown}", stderr=stderr)
    if err.strip():
        log.info("script %s wrote to stderr: %s", argv[0], tail(err.decode("utf-8", "replace"), STDERR_SHOWN))
    return bytes(out), bytes(err)


async def _pump(stream: asyncio.StreamReader, into: bytearray) -> None:
    while chunk := await stream.read(65536):
        into.extend(chunk)


def _kill(proc: asyncio.subprocess.Process, posix: bool) -> None:
    if proc.returncode is not None:
        return
    try:
        if posix:
            os.killpg(proc.pid, signal.SIGKILL)  # the script's children too
        else:
            proc.kill()
    except ProcessLookupError:
        pass
