"""The `hearth:` addresses the web reader's page uses instead of remote ones (no Qt, no imports to speak
of: the scheme is registered before the QApplication exists, on the way to the first paint)."""

from __future__ import annotations

import base64

SCHEME = "hearth"
RESOURCE_HOST = "res"


def resource_url(url: str, *, media: bool = False) -> str:
    """`hearth://res/<base64url of the address>`: what the page asks for instead of `url` (media: a
    large file, e.g. a podcast episode, allowed past the image size limit)."""
    token = base64.urlsafe_b64encode(url.encode("utf-8")).decode("ascii").rstrip("=")
    return f"{SCHEME}://{RESOURCE_HOST}/{token}" + ("?media=1" if media else "")


def original_url(path: str) -> str | None:
    """The inverse of `resource_url` for the path part ("/<token>"); None if it is not one of ours."""
    token = path.lstrip("/")
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return text if text.startswith(("http://", "https://")) else None
