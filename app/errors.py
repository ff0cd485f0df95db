"""Hearth's one exception tree. Every error a user can cause is a `HearthError` with a clear message.

HearthError                      message (what happened) + hint (what to do)
├── ConfigError                  unknown setting key, bad value
├── StorageError                 database problems
│   └── NotFoundError            unknown feed / folder / article id
├── FetchError                   anything between us and a server (url, status)
│   ├── NetworkError             DNS, refused, reset, TLS
│   ├── FetchTimeoutError        connect or whole-request timeout
│   ├── BodyTooLargeError        body over the cap
│   └── HTTPStatusError          a non-success status (status)
│       ├── FeedGoneError        410: the feed is gone and has been disabled
│       └── BlockedError         403 / 429 / captcha from a site (until)
├── FeedError                    the bytes are not a usable feed
│   ├── FeedParseError           malformed XML / JSON, not a feed at all
│   └── DiscoveryError           no feed found on a page
├── OPMLError                    a malformed OPML file (line)
├── SourceError                  sites without feeds (zhihu, scripts)
│   ├── CookieMissingError       the site needs a cookie in the vault
│   ├── CookieExpiredError       the stored cookie no longer works
│   ├── ChallengeError           the site wants the user to verify
│   ├── PrivateProfileError      the profile is private
│   └── ScriptError              a script source failed (stderr attached)
├── VaultError                   the OS keyring is unavailable or refused
└── ModelError                   local AI
    ├── ModelFormatError         not an RWKV checkpoint / unsupported variant
    ├── ModelLoadError           out of memory, CUDA unavailable, unreadable file
    ├── DownloadError            a model download failed or did not verify
    │   └── DownloadCancelled    the user cancelled the download (the partial file is kept)
    └── GenerationCancelled      the user pressed Stop (not a failure)
"""

from __future__ import annotations

from datetime import datetime

from app.i18n import LazyString, gettext

# A message or hint: a str already in the user's language (`_("...")` at the raise), or a module-level
# `lazy_gettext("...")` constant, translated when the error is made (the language is chosen by then).
Text = str | LazyString


class HearthError(Exception):
    """Base class: `str(err)` is the one-line message, `err.hint` says what the user can do."""

    def __init__(self, message: Text, *, hint: Text = "") -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.hint = str(hint)

    def user_message(self) -> str:
        """The message and the hint, as one line for the CLI or a tooltip."""
        if not self.hint:
            return self.message
        # TRANSLATORS: what went wrong, then what to do about it
        return gettext("{message} — {hint}").format(message=self.message, hint=self.hint)


class ConfigError(HearthError):
    pass


class StorageError(HearthError):
    pass


class NotFoundError(StorageError):
    pass


class FetchError(HearthError):
    def __init__(self, message: Text, *, url: str = "", status: int | None = None, hint: Text = "") -> None:
        super().__init__(message, hint=hint)
        self.url = url
        self.status = status


class NetworkError(FetchError):
    pass


class FetchTimeoutError(FetchError):
    pass


class BodyTooLargeError(FetchError):
    pass


class HTTPStatusError(FetchError):
    pass


class FeedGoneError(HTTPStatusError):
    pass


class BlockedError(HTTPStatusError):
    def __init__(
        self,
        message: Text,
        *,
        url: str = "",
        status: int | None = None,
        until: datetime | None = None,
        hint: Text = "",
    ) -> None:
        super().__init__(message, url=url, status=status, hint=hint)
        self.until = until


class FeedError(HearthError):
    pass


class FeedParseError(FeedError):
    pass


class DiscoveryError(FeedError):
    pass


class OPMLError(HearthError):
    def __init__(self, message: Text, *, line: int | None = None, hint: Text = "") -> None:
        super().__init__(message, hint=hint)
        self.line = line


class SourceError(HearthError):
    pass


class CookieMissingError(SourceError):
    pass


class CookieExpiredError(SourceError):
    pass


class ChallengeError(SourceError):
    pass


class PrivateProfileError(SourceError):
    pass


class ScriptError(SourceError):
    def __init__(self, message: Text, *, stderr: str = "", hint: Text = "") -> None:
        super().__init__(message, hint=hint)
        self.stderr = stderr


class VaultError(HearthError):
    pass


class ModelError(HearthError):
    pass


class ModelFormatError(ModelError):
    pass


class ModelLoadError(ModelError):
    pass


class GenerationCancelled(ModelError):
    pass


class DownloadError(ModelError):
    pass


class DownloadCancelled(DownloadError):
    pass
