"""Owners with personal data that is plainly fake, and arrears (체납액) for about 3% of them.

Every personal field is recognisably synthetic, so a leak of generated data is never a leak of a person:

- names join a real surname to two syllables of the 가나다 series (김가나, 박다라): placeholders, like
  홍길동;
- resident numbers (주민등록번호) read ``YYMMDD-GNNNNNC`` with the century-and-sex digit G = 9 (man) or
  0 (woman), the codes of people born in the 1800s (none holds a car), and a check digit C that never
  validates under the official weights 2,3,4,5,6,7,8,9,2,3,4,5;
- phone numbers are ``010-0NNN-NNNN`` (persons) or ``070-0NNN-NNNN`` (companies): a middle part
  starting with 0 is never assigned to subscribers;
- e-mail addresses are at example.com, example.net or example.org (reserved by RFC 2606);
- addresses name the real 시·군·구 on a fictional road, 예시로 ("example road");
- refund accounts begin with ``000-``, which no Korean bank issues.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from cartax.registry.synth.districts import District
from cartax.registry.synth.timeline import OwnerPool

I64 = npt.NDArray[np.int64]
SURNAMES = list("김이박최정강조윤장임한오서신권황안송전홍")
SURNAME_SHARES = np.array(
    [21.5, 14.7, 8.4, 4.7, 4.4, 2.4, 2.1, 2.1, 2.0, 1.7, 1.5, 1.5, 1.5, 1.5, 1.4, 1.4, 1.4, 1.3, 1.1, 1.1]
)
SYLLABLES = list("가나다라마바사아자차카타파하")
FIRM_KINDS = ["운수", "물류", "렌터카", "상사", "산업", "건설", "캐피탈", "모터스"]
BANKS = [
    "KB국민은행",
    "신한은행",
    "우리은행",
    "하나은행",
    "NH농협은행",
    "IBK기업은행",
    "카카오뱅크",
    "토스뱅크",
    "우체국",
    "부산은행",
]
DOMAINS = ["example.com", "example.net", "example.org"]
RRN_WEIGHTS = np.array([2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5])
ARREARS_SHARE = 0.03


def owner_ids(codes: I64, pool: OwnerPool, district: str) -> pl.Series:
    """``P11680-0000001`` for persons, ``C11680-000001`` for companies."""
    frame = pl.DataFrame({"code": codes})
    person = pl.lit(f"P{district}-") + (pl.col("code") + 1).cast(pl.String).str.zfill(7)
    company = pl.lit(f"C{district}-") + (pl.col("code") - pool.persons + 1).cast(pl.String).str.zfill(6)
    expr = pl.when(pl.col("code") < pool.persons).then(person).otherwise(company)
    return frame.select(owner_id=expr).to_series()


def _digits(rng: np.random.Generator, n: int, width: int) -> pl.Series:
    return pl.Series(rng.integers(0, 10**width, size=n)).cast(pl.String).str.zfill(width)


def _pick(
    rng: np.random.Generator, values: list[str], n: int, shares: npt.NDArray[np.float64] | None = None
) -> pl.Series:
    index = rng.choice(len(values), size=n, p=None if shares is None else shares / shares.sum())
    return pl.Series(values).gather(index)


def _rrn(rng: np.random.Generator, n: int, tax_year: int) -> pl.Series:
    """``YYMMDD-GNNNNNC`` for people aged 20 to 85, with G of the 1800s and a check digit that fails."""
    birth = np.datetime64(f"{tax_year - 85}-01-01") + rng.integers(0, 65 * 365, size=n).astype(
        "timedelta64[D]"
    )
    month_start = birth.astype("datetime64[M]")
    year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    month = month_start.astype(np.int64) % 12 + 1
    dom = (birth - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    head = year % 100 * 10_000 + month * 100 + dom
    sex = np.where(rng.random(n) < 0.5, 9, 0)
    serial = rng.integers(0, 100_000, size=n)
    parts = (
        [head // 10 ** (5 - i) % 10 for i in range(6)]
        + [sex]
        + [serial // 10 ** (4 - i) % 10 for i in range(5)]
    )
    valid = (11 - (np.stack(parts, axis=1) * RRN_WEIGHTS).sum(axis=1) % 11) % 10
    check = (valid + 1 + rng.integers(0, 9, size=n)) % 10  # any digit but the valid one
    frame = pl.DataFrame({"head": head, "tail": sex * 1_000_000 + serial * 10 + check})
    text = pl.col("head").cast(pl.String).str.zfill(6) + "-" + pl.col("tail").cast(pl.String).str.zfill(7)
    return frame.select(rrn=text).to_series()


def _address(rng: np.random.Generator, n: int, district: District) -> pl.Series:
    road = pl.Series(rng.integers(1, 100, size=n)).cast(pl.String)
    number = pl.Series(rng.integers(1, 400, size=n)).cast(pl.String)
    flat = (
        pl.Series(rng.integers(101, 120, size=n)).cast(pl.String)
        + "동 "
        + pl.Series(rng.integers(101, 2500, size=n)).cast(pl.String)
        + "호"
    )
    base = f"{district.full_name} 예시로" + road + "길 " + number
    return pl.select(
        pl.when(pl.Series(rng.random(n) < 0.5)).then(base + " " + flat).otherwise(base)
    ).to_series()


def _given(rng: np.random.Generator, n: int) -> pl.Series:
    return _pick(rng, SYLLABLES, n) + _pick(rng, SYLLABLES, n)


def _or_null(values: pl.Series, keep: npt.NDArray[np.bool_]) -> pl.Series:
    return pl.select(pl.when(pl.Series(keep)).then(values).otherwise(None)).to_series()


def owners_frame(
    rng: np.random.Generator, codes: I64, ids: pl.Series, pool: OwnerPool, district: District, tax_year: int
) -> pl.DataFrame:
    """One row per owner code (sorted; ``ids`` their owner ids), with the columns of the ``owners`` feed."""
    n = len(codes)
    company = pool.is_company(codes)
    surname = _pick(rng, SURNAMES, n, SURNAME_SHARES)
    person_name = surname + _given(rng, n)
    firm_name = "(주)" + _given(rng, n) + _pick(rng, FIRM_KINDS, n)
    name = pl.select(pl.when(pl.Series(company)).then(firm_name).otherwise(person_name)).to_series()
    mobile = "010-0" + _digits(rng, n, 3) + "-" + _digits(rng, n, 4)
    office = "070-0" + _digits(rng, n, 3) + "-" + _digits(rng, n, 4)
    email = ids.str.to_lowercase() + "@" + _pick(rng, DOMAINS, n)
    has_email = rng.random(n) < np.where(company, 0.8, 0.55)
    has_account = rng.random(n) < np.where(company, 0.4, 0.6)
    other_holder = ~company & (rng.random(n) < 0.04)  # a spouse's or a parent's account
    holder = pl.select(
        pl.when(pl.Series(other_holder)).then(surname + _given(rng, n)).otherwise(name)
    ).to_series()
    account = "000-" + _digits(rng, n, 2) + "-" + _digits(rng, n, 7)
    return pl.DataFrame(
        {
            "owner_id": ids,
            "kind": pl.Series(["person", "company"]).gather(company.astype(np.int64)),
            "name": name,
            "rrn": _or_null(_rrn(rng, n, tax_year), ~company),
            "phone": pl.select(pl.when(pl.Series(company)).then(office).otherwise(mobile)).to_series(),
            "email": _or_null(email, has_email),
            "address": _address(rng, n, district),
            "district": pl.repeat(district.code, n, eager=True),
            "refund_bank": _or_null(_pick(rng, BANKS, n), has_account),
            "refund_account": _or_null(account, has_account),
            "refund_account_holder": _or_null(holder, has_account),
        }
    )


def arrears_frame(
    rng: np.random.Generator, owner_id: pl.Series, in_arrears: npt.NDArray[np.bool_], district: str
) -> pl.DataFrame:
    """체납액 of the owners in arrears: one row each, a second row for one in ten (rows add up)."""
    debtors = owner_id.filter(pl.Series(in_arrears))
    twice = debtors.filter(pl.Series(rng.random(len(debtors)) < 0.1))
    ids = pl.concat([debtors, twice])
    amount = (
        np.maximum(rng.lognormal(np.log(180_000), 1.0, size=len(ids)), 10_000).astype(np.int64) // 10 * 10
    )
    frame = pl.DataFrame(
        {"owner_id": ids, "district": pl.repeat(district, len(ids), eager=True), "amount": amount}
    )
    return frame.sort("owner_id", maintain_order=True)
