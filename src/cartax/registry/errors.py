"""The registry context's exception tree."""

from __future__ import annotations

from cartax.core.errors import CartaxError


class RegistryError(CartaxError):
    """Base of every error of the registry context."""


class FeedError(RegistryError):
    """A feed file is refused as a whole: absent, unreadable, not UTF-8, or missing a column.

    Row-level problems never raise: they become rejects. ``feed`` names the feed at fault (``None`` when
    the directory itself is at fault). The message never quotes a value from the file.
    """

    def __init__(self, feed: str | None, message: str) -> None:
        super().__init__(message)
        self.feed = feed
        self.message = message

    def __reduce__(self) -> tuple[type[FeedError], tuple[str | None, str]]:
        # Raised in a worker process, it is pickled back to the caller whole (feed and message).
        return (type(self), (self.feed, self.message))
