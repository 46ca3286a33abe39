"""One district's six feeds, generated together from the district's own random stream.

Each district draws from its own stream, seeded by the seed, its code and the tax year, so districts can
be generated in any order and by any process, and the same arguments give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from cartax.registry.synth.calendar import NEVER
from cartax.registry.synth.districts import District
from cartax.registry.synth.exemptions import Exemptions, make_exemptions
from cartax.registry.synth.fleet import Fleet, make_fleet, plates
from cartax.registry.synth.payments import KINDS, Payments, make_payments
from cartax.registry.synth.people import arrears_frame, owner_ids, owners_frame
from cartax.registry.synth.schema import FEEDS, empty
from cartax.registry.synth.taxes import CATEGORIES, SPECIAL_CLASSES, USES, VAN_CLASSES, TaxTable, pack_class
from cartax.registry.synth.timeline import REASONS, OwnerPool, Timeline, make_timeline

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class ChunkPlan:
    district: District
    vehicles: int
    group_counts: tuple[int, ...]  # vehicles per plate group
    group_offsets: tuple[int, ...]  # vehicles of each plate group in the districts before this one


def generate(plan: ChunkPlan, tax_year: int, seed: int, table: TaxTable) -> dict[str, pl.DataFrame]:
    """The six feeds of one district, as data frames with the contract's columns and types."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, int(plan.district.code), tax_year, 1]))
    code = plan.district.code
    law = table.year_law(code)
    fleet = make_fleet(rng, plan.group_counts, tax_year)
    pool = OwnerPool.for_fleet(len(fleet))
    tl = make_timeline(rng, fleet, pool, tax_year)
    exempt = make_exemptions(rng, fleet, tl, pool, tax_year)
    packed = pack_class(
        fleet.category, fleet.use, fleet.cc, fleet.van, fleet.special, fleet.load,
        fleet.age_start_year, fleet.age_start_h1,
    )  # fmt: skip
    whole = table.whole_year(law, packed)
    in_arrears = rng.random(pool.size) < 0.03
    payments, passed_on = make_payments(rng, fleet, tl, whole, table, law, exempt, in_arrears)
    vehicle_ids = _vehicle_ids(len(fleet), code)
    referenced = _distinct(np.concatenate([tl.first_owner, tl.prior_owner, tl.o0, tl.o1, tl.o2]))
    referenced = referenced[referenced >= 0]
    names = OwnerNames.of(referenced, owner_ids(referenced, pool, code), pool.size)
    owners = owners_frame(rng, referenced, names.ids, pool, plan.district, tax_year)
    return {
        "vehicles": _vehicles(fleet, plan, vehicle_ids),
        "registrations": _registrations(fleet, tl, passed_on, vehicle_ids, names, code),
        "owners": _cast(owners, "owners"),
        "payments": _payments(payments, vehicle_ids, names, code, tax_year),
        "arrears": _cast(arrears_frame(rng, names.ids, in_arrears[referenced], code), "arrears"),
        "exemptions": _exemptions(exempt, tl, vehicle_ids, names),
    }


@dataclass(frozen=True, slots=True)
class OwnerNames:
    """Owner ids of the district's owner codes, formatted once and looked up by code (-1 gives null)."""

    position: I64  # row in ``ids`` of each owner code of the pool
    ids: pl.Series

    @classmethod
    def of(cls, codes: I64, ids: pl.Series, pool_size: int) -> OwnerNames:
        position = np.zeros(pool_size, dtype=np.int64)
        position[codes] = np.arange(len(codes))
        return cls(position, ids)

    def __call__(self, codes: I64) -> pl.Series:
        named = self.ids.gather(self.position[np.maximum(codes, 0)])
        if (codes >= 0).all():
            return named
        return pl.select(pl.when(pl.Series(codes >= 0)).then(named).otherwise(None)).to_series()


def _distinct(values: I64) -> I64:
    """Sorted distinct values, by sorting: NumPy's hashing ``unique`` is slow on many distinct values."""
    ordered = np.sort(values)
    keep = np.ones(len(ordered), dtype=np.bool_)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def _cast(frame: pl.DataFrame, feed: str) -> pl.DataFrame:
    """The frame with exactly the feed's columns, in order, with the feed's types."""
    schema = pl.Schema(FEEDS[feed])
    return frame.select(schema.names()).cast(schema) if len(frame) else empty(feed)


def _vehicle_ids(n: int, code: str) -> pl.Series:
    return f"V{code}-" + pl.Series(np.arange(1, n + 1)).cast(pl.String).str.zfill(7)


def _label(values: npt.NDArray[np.int8], labels: tuple[str, ...]) -> pl.Series:
    """Codes to their names; a negative code is null."""
    named = pl.Series(list(labels)).gather(np.maximum(values, 0).astype(np.int64))
    return pl.select(pl.when(pl.Series(values >= 0)).then(named).otherwise(None)).to_series()


def _ordinals(fleet: Fleet, plan: ChunkPlan) -> I64:
    """Rank of each vehicle in its plate group across the whole run."""
    ordinals = np.zeros(len(fleet), dtype=np.int64)
    for group, offset in enumerate(plan.group_offsets):
        rows = np.flatnonzero(fleet.group == group)
        ordinals[rows] = offset + np.arange(len(rows))
    return ordinals


def _vehicles(fleet: Fleet, plan: ChunkPlan, ids: pl.Series) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "vehicle_id": ids,
            "plate": plates(fleet, _ordinals(fleet, plan)),
            "category": _label(fleet.category, tuple(c.value for c in CATEGORIES)),
            "use": _label(fleet.use, tuple(u.value for u in USES)),
            "displacement_cc": pl.Series(np.where(fleet.cc > 0, fleet.cc, -1)),
            "van_class": _label(fleet.van, VAN_CLASSES),
            "special_class": _label(fleet.special, SPECIAL_CLASSES),
            "load_kg": pl.Series(np.where(fleet.load > 0, fleet.load, -1)),
            "first_registered_on": pl.Series(fleet.first_reg).cast(pl.Date),
            "manufactured_year": fleet.manufactured,
        }
    )
    frame = frame.with_columns(pl.col("displacement_cc", "load_kg").replace(-1, None))
    return _cast(frame, "vehicles")


@dataclass(frozen=True, slots=True)
class _Events:
    """Registration events of one kind, before sorting: the vehicle row and its order among its events."""

    vehicle: I64
    order: I64
    event: int  # 0 new registration, 1 transfer, 2 deregistration
    day: npt.NDArray[np.int32]
    owner: I64
    passed_on: npt.NDArray[np.bool_] | None = None
    reason: npt.NDArray[np.int8] | None = None


def _events(fleet: Fleet, tl: Timeline, passed_on: npt.NDArray[np.bool_]) -> list[_Events]:
    rows = np.arange(len(fleet), dtype=np.int64)
    sold1, sold2, gone = tl.t1 != NEVER, tl.t2 != NEVER, tl.d != NEVER
    # Orders: the new registration first, then earlier sales by their sequence, then the year's events.
    return [
        _Events(rows, np.zeros(len(rows), dtype=np.int64), 0, fleet.first_reg, tl.first_owner),
        _Events(tl.prior_vehicle, tl.prior_seq, 1, tl.prior_date, tl.prior_owner),
        _Events(rows[sold1], np.full(sold1.sum(), 10), 1, tl.t1[sold1], tl.o1[sold1], passed_on[sold1]),
        _Events(rows[sold2], np.full(sold2.sum(), 11), 1, tl.t2[sold2], tl.o2[sold2]),
        _Events(
            rows[gone],
            np.full(gone.sum(), 12),
            2,
            tl.d[gone],
            np.full(gone.sum(), -1),
            reason=tl.reason[gone],
        ),
    ]


def _registrations(
    fleet: Fleet, tl: Timeline, passed_on: npt.NDArray[np.bool_], ids: pl.Series, names: OwnerNames, code: str
) -> pl.DataFrame:
    parts = _events(fleet, tl, passed_on)
    vehicle = np.concatenate([p.vehicle for p in parts])
    sort = np.lexsort((np.concatenate([p.order for p in parts]), vehicle))
    event = np.concatenate([np.full(len(p.vehicle), p.event, dtype=np.int8) for p in parts])[sort]
    flag = np.concatenate(
        [np.zeros(len(p.vehicle), np.bool_) if p.passed_on is None else p.passed_on for p in parts]
    )
    reason = np.concatenate(
        [np.full(len(p.vehicle), -1, np.int8) if p.reason is None else p.reason for p in parts]
    )
    frame = pl.DataFrame(
        {
            "event_id": f"E{code}-" + pl.Series(np.arange(1, len(sort) + 1)).cast(pl.String).str.zfill(8),
            "vehicle_id": ids.gather(vehicle[sort]),
            "event": _label(event, ("new_registration", "transfer", "deregistration")),
            "date": pl.Series(np.concatenate([p.day for p in parts])[sort]).cast(pl.Date),
            "owner_id": names(np.concatenate([p.owner for p in parts])[sort]),
            "prepayment_passed_on": pl.select(
                pl.when(pl.Series(event == 1)).then(pl.Series(flag[sort])).otherwise(None)
            ).to_series(),
            "reason": _label(reason[sort], REASONS),
        }
    )
    return _cast(frame, "registrations")


def _payments(
    payments: Payments, ids: pl.Series, names: OwnerNames, code: str, tax_year: int
) -> pl.DataFrame:
    sort = np.lexsort((payments.owner, payments.kind, payments.paid, payments.vehicle))
    count = len(sort)
    frame = pl.DataFrame(
        {
            "payment_id": f"N{code}-" + pl.Series(np.arange(1, count + 1)).cast(pl.String).str.zfill(8),
            "vehicle_id": ids.gather(payments.vehicle[sort]),
            "owner_id": names(payments.owner[sort]),
            "tax_year": np.full(count, tax_year, dtype=np.int32),
            "kind": _label(payments.kind[sort], KINDS),
            "paid_on": pl.Series(payments.paid[sort]).cast(pl.Date),
            "car_tax": payments.car[sort],
            "edu_tax": payments.edu[sort],
            "district": pl.repeat(code, count, eager=True),
            "via_grievance": payments.grievance[sort],
        }
    )
    return _cast(frame, "payments")


def _exemptions(exempt: Exemptions, tl: Timeline, ids: pl.Series, names: OwnerNames) -> pl.DataFrame:
    rows = np.flatnonzero(exempt.any)
    frame = pl.DataFrame(
        {
            "owner_id": names(tl.o0[rows]),
            "vehicle_id": ids.gather(rows),
            "rate": exempt.rate_pct[rows] / 100,
            "effective_from": pl.Series(exempt.effective[rows]).cast(pl.Date),
            "decided_on": pl.Series(exempt.decided[rows]).cast(pl.Date),
        }
    )
    return _cast(frame, "exemptions")
