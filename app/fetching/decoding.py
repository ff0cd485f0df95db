"""Content-Encoding undone in bounded steps: every decoder hands out at most `STEP` bytes at a time and
stops as soon as the decoded total passes the body cap, so a few KB of brotli can never become
gigabytes in memory (httpx's own decoders expand a whole network chunk in one call).

    body = BoundedBody("gzip", cap)
    for raw in chunks: body.feed(raw)     # raises BodyOverCap past `cap` decoded bytes
    data = body.finish()
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Protocol

import brotli

try:  # optional: without it Hearth simply does not offer zstd
    import zstandard
except ImportError:  # pragma: no cover - zstandard is a declared dependency
    zstandard = None

STEP = 64 * 1024  # what one decode call may produce (brotli: its buffer stops growing past this)


class BodyOverCap(Exception):
    """More decoded bytes than the cap (internal: `app.fetching.http` turns it into BodyTooLargeError)."""


class UnreadableEncoding(Exception):
    """The body is not valid for its Content-Encoding, or the encoding is one Hearth does not read."""


class _Decoder(Protocol):
    def decode(self, data: bytes) -> Iterable[bytes]: ...
    def flush(self) -> Iterable[bytes]: ...


class _Zlib:
    """gzip (all members of a multi-member file) or deflate (zlib-wrapped, or raw as some servers send)."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._wbits = zlib.MAX_WBITS | 16 if gzip else zlib.MAX_WBITS
        self._d = zlib.decompressobj(self._wbits)
        self._started = False  # some input went in without error (deflate's raw fallback is over)
        self._done = False

    def decode(self, data: bytes) -> Iterable[bytes]:
        while not self._done:
            try:
                piece = self._d.decompress(data, STEP)
            except zlib.error as exc:
                if self._gzip or self._started:
                    raise UnreadableEncoding(str(exc)) from None
                self._wbits = -zlib.MAX_WBITS  # "deflate" that is really raw deflate
                self._d = zlib.decompressobj(self._wbits)
                continue
            self._started = self._started or bool(data)
            if piece:
                yield piece
            data = self._d.unconsumed_tail
            if self._d.eof:
                data = self._d.unused_data
                if self._gzip and data[:2] == b"\x1f\x8b":  # another gzip member follows
                    self._d = zlib.decompressobj(self._wbits)
                    continue
                self._done = True  # padding or junk after the stream: ignored, as browsers do
            elif not data and len(piece) < STEP:
                return  # all input taken and no output pending (a full STEP may have more behind it)

    def flush(self) -> Iterable[bytes]:
        return ()  # decode() drains all pending output; a truncated stream keeps what arrived


class _Brotli:
    def __init__(self) -> None:
        self._d = brotli.Decompressor()

    def decode(self, data: bytes) -> Iterable[bytes]:
        try:
            piece = self._d.process(data, output_buffer_limit=STEP)
            # each call returns about STEP bytes (the buffer stops growing there); output is still
            # pending while calls with no new input return some
            while piece:
                yield piece
                piece = self._d.process(b"", output_buffer_limit=STEP)
        except brotli.error as exc:
            raise UnreadableEncoding(str(exc) or "invalid brotli data") from None

    def flush(self) -> Iterable[bytes]:
        return ()


class _Pieces:
    """The sink zstandard's stream writer writes to: one list, with the cap checked on every write."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.pieces.append(bytes(data))
        return len(data)


class _Zstd:
    def __init__(self) -> None:
        assert zstandard is not None
        self._sink = _Pieces()
        self._w = zstandard.ZstdDecompressor().stream_writer(self._sink, write_size=STEP)

    def decode(self, data: bytes) -> Iterable[bytes]:
        # the writer produces STEP bytes per write to the sink; feeding it small slices keeps what
        # one call can produce bounded (a zstd block is at most 128 KB, so 32 KB per input byte)
        for start in range(0, len(data), 32):
            try:
                self._w.write(data[start : start + 32])
            except zstandard.ZstdError as exc:
                raise UnreadableEncoding(str(exc)) from None
            if self._sink.pieces:
                pieces, self._sink.pieces = self._sink.pieces, []
                yield from pieces

    def flush(self) -> Iterable[bytes]:
        return ()


def _brotli_is_bounded() -> bool:
    try:
        brotli.Decompressor().process(b"", output_buffer_limit=1)
        return hasattr(brotli.Decompressor, "can_accept_more_data")
    except (TypeError, AttributeError, brotli.error):
        return False


def supported_encodings() -> tuple[str, ...]:
    """What Hearth can decode in bounded steps, best first (the Accept-Encoding it sends)."""
    names = []
    if zstandard is not None:
        names.append("zstd")
    if _brotli_is_bounded():
        names.append("br")
    return (*names, "gzip", "deflate")


ACCEPT_ENCODING = ", ".join(supported_encodings())


def _decoder_for(name: str) -> _Decoder | None:
    if name in ("gzip", "x-gzip"):
        return _Zlib(gzip=True)
    if name == "deflate":
        return _Zlib(gzip=False)
    if name == "br" and "br" in supported_encodings():
        return _Brotli()
    if name == "zstd" and zstandard is not None:
        return _Zstd()
    if name in ("identity", ""):
        return None
    raise UnreadableEncoding(f"the body is in the {name!r} encoding, which Hearth does not read")


class BoundedBody:
    """Collects a body, undoing `content_encoding` (e.g. "gzip" or "gzip, br"), at most `cap` bytes
    decoded. Raw bytes count against the cap too."""

    def __init__(self, content_encoding: str | None, cap: int) -> None:
        names = [n.strip().lower() for n in (content_encoding or "").split(",")]
        # encodings are listed in the order they were applied: undo them last-first
        self._stages = [d for d in (_decoder_for(n) for n in reversed(names)) if d is not None]
        self._cap = cap
        self._sizes = [0] * (len(self._stages) + 1)  # [raw, after stage 1, ...]: each at most `cap`
        self._chunks: list[bytes] = []

    def feed(self, raw: bytes) -> None:
        self._push(0, (raw,))

    def finish(self) -> bytes:
        for i, stage in enumerate(self._stages):
            self._push(i + 1, stage.flush())
        return b"".join(self._chunks)

    def _push(self, stage: int, pieces: Iterable[bytes]) -> None:
        last = stage == len(self._stages)
        for piece in pieces:
            # every stage's output counts against the cap, and each piece (at most STEP) moves on at once
            if self._sizes[stage] + len(piece) > self._cap:
                raise BodyOverCap
            self._sizes[stage] += len(piece)
            if last:
                self._chunks.append(piece)
            else:
                self._push(stage + 1, self._stages[stage].decode(piece))

    @property
    def size(self) -> int:
        """Decoded bytes so far."""
        return self._sizes[-1]
