"""Wording and helpers shared by the console's dashboard and policy pages (``/console/dashboard``,
``/console/policy``): their own message catalogue, falling back to the console's and the site's."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cartax.core.i18n import Catalogue, load_catalogue
from cartax.registry.synth.districts import load_districts
from cartax.web.console.deps import ConsoleText


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    return load_catalogue("cartax.web.console.processing")


@lru_cache(maxsize=1)
def district_names() -> dict[str, tuple[str, str]]:
    """District code → (province, district) names, for headings."""
    return {district.code: (district.province, district.name) for district in load_districts()}


@dataclass(frozen=True, slots=True)
class ProcessingText(ConsoleText):
    """The console's translator with the dashboard's and policy's own wording first.

    >>> t = ProcessingText("ko")
    >>> t("dashboard.title"), t("queue.needs_review"), t.percent(0.4567), t.percent(None)
    ('처리 현황', '검토 필요', '45.7%', '—')
    """

    def __call__(self, key: str, **params: Any) -> str:
        if key in catalogue():
            return catalogue().render(key, self.lang, **params)
        return ConsoleText.__call__(self, key, **params)

    def percent(self, value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.1f}%"

    def number(self, value: int) -> str:
        return f"{value:,}"

    def days(self, value: int | None) -> str:
        return "—" if value is None else self("dashboard.days", days=value)

    def district_name(self, code: str) -> str:
        names = district_names().get(code)
        return f"{names[0]} {names[1]} ({code})" if names else code

    def province_name(self, prefix: str) -> str:
        for code, (province, _) in district_names().items():
            if code.startswith(prefix):
                return f"{province} ({prefix})"
        return prefix
