"""Model downloads over plain HTTP range requests: resumable, cancellable, size- and checksum-verified.

Plain HTTP rather than huggingface_hub: any mirror works by changing the base URL (hf-mirror,
ModelScope, a LAN server, the tests' loopback server), the partial file sits next to the target
and resumes with `Range`, and progress/cancel are ours to the byte. Hugging Face reports the
LFS file's sha256 in `X-Linked-ETag`; a catalog checksum wins when one is given.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path

import httpx

from app import USER_AGENT
from app.errors import DownloadCancelled, DownloadError

log = logging.getLogger(__name__)
CHUNK = 1 << 20
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

Progress = Callable[[int, int | None], None]  # (bytes done, total or None)


def part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def download_file(
    url: str,
    dest: Path,
    *,
    expected_size: int | None = None,
    sha256: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    client: httpx.Client | None = None,
    timeout: float = 60.0,
) -> Path:
    """Download `url` to `dest`, resuming `dest.part` if present. Returns `dest` once verified."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(dest)
    own_client = client is None
    client = client or httpx.Client(
        follow_redirects=True,
        timeout=httpx.Timeout(timeout, connect=10.0),
        headers={"User-Agent": USER_AGENT},
    )
    try:
        total, server_sha = _fetch_into(client, url, part, progress=progress, cancel=cancel)
    finally:
        if own_client:
            client.close()
    size = part.stat().st_size
    if total is not None and size != total:
        raise DownloadError(
            f"download of {dest.name} stopped at {size} of {total} bytes", hint="try again to resume"
        )
    if expected_size is not None and size != expected_size:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"{dest.name} is {size} bytes but should be {expected_size}",
            hint="the server sent a different file; the partial file was removed, try again",
        )
    want = (sha256 or server_sha or "").lower()
    if want:
        got = _sha256_of(part, cancel)
        if got != want:
            part.unlink(missing_ok=True)
            raise DownloadError(
                f"{dest.name} failed its checksum (sha256 {got[:12]}…, expected {want[:12]}…)",
                hint="the download was corrupted and removed; try again",
            )
    os.replace(part, dest)
    log.info("downloaded %s (%d bytes, sha256 %s)", dest, size, "verified" if want else "not published")
    return dest


def _fetch_into(
    client: httpx.Client, url: str, part: Path, *, progress: Progress | None, cancel: threading.Event | None
) -> tuple[int | None, str | None]:
    offset = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    try:
        with client.stream("GET", url, headers=headers) as resp:
            if resp.status_code == 416 and offset:
                # Nothing left to send: the part file is already whole (verified by the caller).
                return _total_from_range(resp.headers.get("content-range")) or offset, _server_sha(resp)
            if resp.status_code not in (200, 206):
                raise DownloadError(
                    f"the server answered {resp.status_code} for {url}",
                    hint="check the download address in settings (ai.download_base)",
                )
            if resp.status_code == 200 and offset:
                log.info("server ignored the range request; restarting %s from zero", part.name)
                offset = 0
            total = _total_from_range(resp.headers.get("content-range"))
            if total is None and resp.headers.get("content-length"):
                total = offset + int(resp.headers["content-length"])
            done = offset
            with part.open("ab" if offset else "wb") as fh:
                if progress:
                    progress(done, total)
                for chunk in resp.iter_bytes():  # as received, so an interruption keeps every byte
                    if cancel is not None and cancel.is_set():
                        raise DownloadCancelled(
                            f"download of {part.name.removesuffix('.part')} cancelled",
                            hint="start it again to resume where it stopped",
                        )
                    fh.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
            return total, _server_sha(resp)
    except httpx.HTTPError as exc:
        raise DownloadError(
            f"download interrupted: {exc}", hint="try again: it resumes where it stopped"
        ) from exc


def _total_from_range(value: str | None) -> int | None:
    m = re.match(r"bytes (?:\d+-\d+|\*)/(\d+)", value or "")
    return int(m.group(1)) if m else None


def _server_sha(resp: httpx.Response) -> str | None:
    for name in ("x-linked-etag", "x-checksum-sha256"):
        value = resp.headers.get(name, "").strip('"').lower()
        if _SHA256.match(value):
            return value
    return None


def _sha256_of(path: Path, cancel: threading.Event | None) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled("checksum cancelled")
            h.update(block)
    return h.hexdigest()
