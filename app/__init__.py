"""Hearth: a desktop feed reader that fetches everything itself and summarises locally."""

__version__ = "0.1.0"
HOMEPAGE = "https://github.com/hearth-reader/hearth"
USER_AGENT = f"Hearth/{__version__} (+{HOMEPAGE})"
