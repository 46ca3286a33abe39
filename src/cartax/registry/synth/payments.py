"""What each holder paid for the tax year, in the amounts the rules engine finds due.

연납: about 35% of private cars prepay in January, fewer in March, June and September (rules.md §4).
The others pay the June bill (제1기분) if they held the car on 1 June and the December bill (제2기분) if
they held it on 1 December, prorated by the engine when their holding began inside the half-year. Cars
taxed at most 100,000원 a year mostly get the June lump sum. A seller may hand the prepayment to the buyer
(``prepayment_passed_on``). Some people pay twice, some sellers pay a bill after the sale, a few bills are
over-assessed, and some owners in arrears leave a bill unpaid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cartax.registry.synth.calendar import I32, NEVER, days, window
from cartax.registry.synth.exemptions import Exemptions
from cartax.registry.synth.fleet import PASSENGER, PASSENGER_OTHER, PRIVATE, Fleet
from cartax.registry.synth.taxes import I64, TaxTable, WholeYear, day
from cartax.registry.synth.timeline import Timeline
from cartax.rules.law import YearLaw
from cartax.rules.model import StartEvent

Flags = npt.NDArray[np.bool_]
KINDS = ("bill_h1", "bill_h2", "prepay_jan", "prepay_mar", "prepay_jun", "prepay_sep", "june_lump")
BILL_H1, BILL_H2, JAN, MAR, JUN, SEP, LUMP = range(7)
# Propensity to prepay in each window (jan, mar, jun, sep): private cars, private EVs, business, other.
PREPAY = np.array(
    [[0.355, 0.04, 0.03, 0.02], [0.30, 0.03, 0.02, 0.02], [0.03, 0.01, 0.01, 0.01], [0.12, 0.02, 0.02, 0.01]]
)
LUMP_TAKEN = 0.75
PASSED_ON = 0.25
DUPLICATE = 0.003
OVER_ASSESSED = 0.001
SELLER_PAYS = (0.03, 0.01)  # a seller pays the June bill / the December bill after the sale


@dataclass(frozen=True, slots=True)
class Payments:
    vehicle: I64
    owner: I64
    kind: npt.NDArray[np.int8]
    paid: I32
    car: I64
    edu: I64
    grievance: Flags


@dataclass
class _Rows:
    parts: list[tuple[I64, I64, npt.NDArray[np.int8], I32, I64, I64]]

    def add(self, mask: Flags, owner: I64, kind: int, paid: I32, car: I64, edu: I64) -> None:
        rows = np.flatnonzero(mask & (car + edu > 0))
        k = np.full(len(rows), kind, dtype=np.int8)
        self.parts.append((rows.astype(np.int64), owner[rows], k, paid[rows], car[rows], edu[rows]))


@dataclass(frozen=True, slots=True)
class _Context:
    rng: np.random.Generator
    fleet: Fleet
    tl: Timeline
    whole: WholeYear
    table: TaxTable
    law: YearLaw
    exempt: Exemptions
    tax_year: int

    def day(self, month: int, dom: int) -> int:
        return days(self.tax_year, month, dom)

    def window(self, month: int, first: int, last: int) -> I32:
        return window(self.rng, self.day(month, first), self.day(month, last), len(self.fleet))


def make_payments(
    rng: np.random.Generator,
    fleet: Fleet,
    tl: Timeline,
    whole: WholeYear,
    table: TaxTable,
    law: YearLaw,
    exempt: Exemptions,
    in_arrears: Flags,
) -> tuple[Payments, Flags]:
    """Every payment of the year, and for each vehicle whether its first sale passed the prepayment on."""
    ctx = _Context(rng, fleet, tl, whole, table, law, exempt, law.tax_year.year)
    rows = _Rows([])
    prepaid, passed_on = _prepayments(ctx, rows)
    sep_rank = _september(ctx, rows, prepaid, passed_on)
    _bills(ctx, rows, prepaid, passed_on, sep_rank, in_arrears)
    _sellers(ctx, rows, prepaid)
    return _irregular(ctx, rows), passed_on


def _propensity(fleet: Fleet) -> npt.NDArray[np.float64]:
    group = np.where(
        fleet.use != PRIVATE,
        2,
        np.where(fleet.category == PASSENGER, 0, np.where(fleet.category == PASSENGER_OTHER, 1, 3)),
    )
    return PREPAY[group]


def _prepayments(ctx: _Context, rows: _Rows) -> tuple[Flags, Flags]:
    """Whole-year prepayments by the 1 January holder: jan, mar, jun windows and the June lump sum."""
    fleet, tl, rng, n = ctx.fleet, ctx.tl, ctx.rng, len(ctx.fleet)
    p = _propensity(fleet)
    standing = ctx.exempt.standing(tl.year_start)
    taken = np.zeros(n, dtype=np.bool_)
    prepaid_on = np.full(n, NEVER, dtype=np.int32)
    june_first = ctx.day(6, 1)
    lump_ok = (ctx.whole.base <= ctx.law.june_lump_threshold) & ctx.law.june_lump_enabled
    plans = (
        (JAN, "jan", (1, 16, 31), p[:, 0], np.ones(n, dtype=np.bool_)),
        (MAR, "mar", (3, 16, 31), p[:, 1], np.ones(n, dtype=np.bool_)),
        (LUMP, "jun", (6, 16, 30), np.full(n, LUMP_TAKEN), lump_ok & tl.registered(june_first)),
        (JUN, "jun", (6, 16, 30), p[:, 2], ~lump_ok),
    )
    for kind, option, (month, first, last), chance, allowed in plans:
        paid = ctx.window(month, first, last)
        holder_day = np.minimum(paid, june_first) if kind == LUMP else paid
        eligible = (
            allowed
            & ~fleet.is_new
            & ~taken
            & ~standing
            & tl.registered(holder_day)
            & (tl.rank(holder_day) == 0)
            & (paid < ctx.exempt.decided)
        )
        chosen = eligible & (rng.random(n) < chance)
        rows.add(chosen, tl.o0, kind, paid, ctx.whole.due_car[option], ctx.whole.due_edu[option])
        taken |= chosen
        prepaid_on = np.where(chosen, paid, prepaid_on)
    passed_on = taken & (prepaid_on < tl.t1) & (tl.t1 != NEVER) & (rng.random(n) < PASSED_ON)
    return taken, passed_on


def _covered(rank: I64, prepaid: Flags, passed_on: Flags) -> Flags:
    """The holder's halves are paid already: his own prepayment, or the seller's passed on to him."""
    covered: Flags = ((rank == 0) & prepaid) | ((rank == 1) & passed_on)
    return covered


def _september(ctx: _Context, rows: _Rows, prepaid: Flags, passed_on: Flags) -> I64:
    """연납 in September for the second half, by whoever holds then since 1 July at the latest."""
    tl, n = ctx.tl, len(ctx.fleet)
    paid = ctx.window(9, 16, 30)
    rank = tl.rank(paid)
    eligible = (
        tl.registered(paid)
        & ~_covered(rank, prepaid, passed_on)
        & (tl.holder_start(paid) <= ctx.day(7, 1))
        & ~ctx.exempt.standing(tl.year_start)
        & (paid < ctx.exempt.decided)
    )
    chosen = eligible & (ctx.rng.random(n) < _propensity(ctx.fleet)[:, 3])
    rows.add(chosen, tl.holder(paid), SEP, paid, ctx.whole.due_car["sep"], ctx.whole.due_edu["sep"])
    return np.where(chosen, rank, -1)


def _bills(
    ctx: _Context, rows: _Rows, prepaid: Flags, passed_on: Flags, sep_rank: I64, in_arrears: Flags
) -> None:
    """제1기분 to the holder on 1 June, 제2기분 to the holder on 1 December, unless already prepaid."""
    tl, rng, n = ctx.tl, ctx.rng, len(ctx.fleet)
    for half, kind, bill_day, (month, first, last), half_start in (
        (1, BILL_H1, ctx.day(6, 1), (6, 16, 30), ctx.day(1, 1)),
        (2, BILL_H2, ctx.day(12, 1), (12, 16, 31), ctx.day(7, 1)),
    ):
        rank = tl.rank(bill_day)
        covered = _covered(rank, prepaid, passed_on) | ((half == 2) & (sep_rank == rank))
        holder = tl.holder(bill_day)
        paid = ctx.window(month, first, last)
        pays = rng.random(n) < np.where(in_arrears[holder], 0.6, 0.975)
        billed = tl.registered(bill_day) & ~covered & pays
        car, edu = _bill_amounts(ctx, billed, half, tl.holder_start(bill_day), rank, half_start, paid)
        rows.add(billed, holder, kind, paid, car, edu)


def _bill_amounts(
    ctx: _Context, billed: Flags, half: int, start: I32, rank: I64, half_start: int, paid: I32
) -> tuple[I64, I64]:
    """The full bill for a holder since the half-year began, else the engine's prorated amount."""
    car, edu = ctx.whole.bills[half - 1].copy(), ctx.whole.edu[half - 1].copy()
    exempt = billed & ctx.exempt.any & (ctx.exempt.decided <= paid)
    partial = billed & (start > half_start) & ~exempt
    combo = ctx.whole.cls * 4096 + (start - ctx.tl.year_start) * 2 + (rank > 0)
    combos, first = np.unique(combo[partial], return_index=True)
    rows_partial = np.flatnonzero(partial)
    amounts = np.zeros((len(combos), 2), dtype=np.int64)
    for j, row in enumerate(rows_partial[first].tolist()):
        event = StartEvent.TRANSFER if rank[row] > 0 else StartEvent.NEW_REGISTRATION
        key = int(ctx.whole.keys[ctx.whole.cls[row]])
        amounts[j] = ctx.table.bill(ctx.law, key, half, (event, day(int(start[row]))))
    where = np.searchsorted(combos, combo[partial])
    car[partial], edu[partial] = amounts[where, 0], amounts[where, 1]
    for row in np.flatnonzero(exempt).tolist():
        ex = ctx.exempt
        terms = (int(ex.rate_pct[row]), day(int(ex.effective[row])), day(int(ex.decided[row])))
        key = int(ctx.whole.keys[ctx.whole.cls[row]])
        car[row], edu[row] = ctx.table.bill(ctx.law, key, half, None, terms)
    return car, edu


def _sellers(ctx: _Context, rows: _Rows, prepaid: Flags) -> None:
    """Sellers who pay a bill for a half-year they sold in (R2) or did not hold at all (R4)."""
    tl, rng, n = ctx.tl, ctx.rng, len(ctx.fleet)
    sold_h1 = ~ctx.fleet.is_new & ~prepaid & (tl.t1 > tl.year_start) & (tl.t1 < ctx.day(6, 1))
    for half, kind, (month, first, last), chance in (
        (1, BILL_H1, (6, 16, 30), SELLER_PAYS[0]),
        (2, BILL_H2, (12, 16, 31), SELLER_PAYS[1]),
    ):
        chosen = sold_h1 & (rng.random(n) < chance)
        paid = ctx.window(month, first, last)
        rows.add(chosen, tl.o0, kind, paid, ctx.whole.bills[half - 1], ctx.whole.edu[half - 1])


WINDOW_END = ((6, 30), (12, 31), (1, 31), (3, 31), (6, 30), (9, 30), (6, 30))


def _irregular(ctx: _Context, rows: _Rows) -> Payments:
    """Join the rows, add double payments and over-assessed bills."""
    rng = ctx.rng
    vehicle, owner, kind, paid, car, edu = (
        np.concatenate(column) for column in zip(*rows.parts, strict=True)
    )
    over = (kind <= BILL_H2) & (rng.random(len(kind)) < OVER_ASSESSED)
    car = np.where(over, car + car // 100 * 10, car)  # about 10% too much
    edu = np.where(over, edu + edu // 100 * 10, edu)
    grievance = over & (rng.random(len(kind)) < 0.1)  # refunded through a 고충민원: no interest
    twice = rng.random(len(kind)) < DUPLICATE
    ends = np.array([ctx.day(m, d) for m, d in WINDOW_END], dtype=np.int32)
    again = np.minimum(paid + rng.integers(0, 9, size=len(kind)), ends[kind]).astype(np.int32)
    pick = np.flatnonzero(twice)
    return Payments(
        vehicle=np.concatenate([vehicle, vehicle[pick]]),
        owner=np.concatenate([owner, owner[pick]]),
        kind=np.concatenate([kind, kind[pick]]),
        paid=np.concatenate([paid, again[pick]]),
        car=np.concatenate([car, car[pick]]),
        edu=np.concatenate([edu, edu[pick]]),
        grievance=np.concatenate([grievance, grievance[pick]]),
    )
