"""The 시·군·구 that levy 자동차세, with their 5-digit codes and relative fleet sizes.

The table ships as ``cartax/registry/data/districts.csv`` (see ``docs/synthetic-data.md`` for where its
figures come from). ``apportion`` splits a number of vehicles over a selection of districts in
proportion to their fleets, exactly (largest remainder), so ``--vehicles N`` always yields N rows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from cartax.registry.synth.errors import SynthError

DEFAULT_DISTRICT = "11680"  # 서울특별시 강남구
NATION = "all"


@dataclass(frozen=True, slots=True)
class District:
    code: str  # 5-digit 시군구 code
    province: str  # 시·도
    name: str  # 시·군·구
    vehicles: int  # approximate registered vehicles

    @property
    def full_name(self) -> str:
        return self.name if self.name == self.province else f"{self.province} {self.name}"


@lru_cache(maxsize=1)
def load_districts() -> tuple[District, ...]:
    """Every district of the shipped table, in table order (by 시·도, then code)."""
    text = files("cartax.registry").joinpath("data/districts.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(io.StringIO(text))
    return tuple(District(r["code"], r["province"], r["name"], int(r["vehicles"])) for r in rows)


def select_districts(codes: list[str] | None, *, nation_by_default: bool) -> tuple[District, ...]:
    """The districts named by ``codes`` (``["all"]`` for every one), in the order given.

    Without codes: every district when ``nation_by_default``, else the demo district (강남구).
    """
    table = load_districts()
    if not codes:
        return table if nation_by_default else tuple(d for d in table if d.code == DEFAULT_DISTRICT)
    if [c.strip().lower() for c in codes] == [NATION]:
        return table
    by_code = {d.code: d for d in table}
    chosen: list[District] = []
    for raw in codes:
        code = raw.strip()
        if code not in by_code:
            raise SynthError(
                f"district {code!r} is not a 5-digit 시군구 code of the district table; "
                f"give codes such as {DEFAULT_DISTRICT} (강남구) or 26350 (해운대구), or 'all' for the nation"
            )
        if by_code[code] in chosen:
            raise SynthError(f"district {code} is given twice; name each district once")
        chosen.append(by_code[code])
    return tuple(chosen)


def apportion(total: int, districts: tuple[District, ...]) -> tuple[int, ...]:
    """Split ``total`` vehicles over ``districts`` in proportion to their fleets (largest remainder).

    >>> d = (District("1", "a", "x", 3), District("2", "a", "y", 1))
    >>> apportion(10, d)
    (8, 2)
    >>> sum(apportion(26_400_000, load_districts()))
    26400000
    """
    weights = [d.vehicles for d in districts]
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for index in remainders[: total - sum(shares)]:
        shares[index] += 1
    return tuple(shares)
