"""The input columns of the vectorised path, checked and brought to compact dtypes on construction.

Every column is a one-dimensional NumPy array; the columns of one table have the same length.
Dates are ``datetime64[D]`` (``NaT`` where the contract has null), vocabularies are the integer
codes of :mod:`cartax.rules.vectorised.codes`, money is integer 원.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from cartax.rules.errors import RulesError
from cartax.rules.vectorised import codes

Days = npt.NDArray[np.datetime64]
Codes = npt.NDArray[np.uint8]
Flags = npt.NDArray[np.bool_]
Int16 = npt.NDArray[np.int16]
Int32 = npt.NDArray[np.int32]
Int64 = npt.NDArray[np.int64]
Money = npt.NDArray[np.signedinteger[Any]]
"""Integer 원: int32 where every figure of the batch fits, int64 otherwise."""

DAY = np.dtype("datetime64[D]")


class ColumnError(RulesError):
    """Columns given to the vectorised path break its contract (wrong dtype, length, code or value)."""


def column(table: str, name: str, value: object, dtype: npt.DTypeLike) -> npt.NDArray[Any]:
    """``value`` as a contiguous 1-D array of ``dtype``; narrowing only when every value fits."""
    array = np.asarray(value)
    target = np.dtype(dtype)
    where = f"{table}.{name}"
    if array.ndim != 1:
        raise ColumnError(f"{where} must be a one-dimensional array, not {array.ndim}-dimensional")
    if target == DAY:
        if array.dtype.kind != "M":
            raise ColumnError(f"{where} must be datetime64 dates (NaT for none), not {array.dtype}")
        return np.ascontiguousarray(array.astype(DAY, copy=False))
    if target.kind == "b":
        if array.dtype.kind != "b":
            raise ColumnError(f"{where} must be booleans, not {array.dtype}")
        return np.ascontiguousarray(array)
    if array.dtype.kind not in "iu":
        raise ColumnError(f"{where} must be whole numbers ({target}), not {array.dtype}")
    if array.dtype != target and array.size and not np.can_cast(array.dtype, target):
        info = np.iinfo(target)
        low, high = int(array.min()), int(array.max())
        if low < info.min or high > info.max:
            raise ColumnError(f"{where} holds {low}..{high}, beyond {target} ({info.min}..{info.max})")
    return np.ascontiguousarray(array.astype(target, copy=False))


def _coerce(table: Any, dtypes: dict[str, npt.DTypeLike]) -> int:
    """Coerce every field of the frozen dataclass ``table`` in place; return the common length."""
    name = type(table).__name__
    lengths = set()
    for field in fields(table):
        array = column(name, field.name, getattr(table, field.name), dtypes[field.name])
        object.__setattr__(table, field.name, array)
        lengths.add(len(array))
    if len(lengths) > 1:
        raise ColumnError(
            f"the columns of {name} have different lengths {sorted(lengths)}; give one value a row"
        )
    return lengths.pop() if lengths else 0


def _codes_below(
    table: str, name: str, array: Codes, vocabulary: tuple[object, ...], allow_none: bool
) -> None:
    bad = array >= len(vocabulary)
    if allow_none:
        bad &= array != codes.NO_CLASS
    if array.size and bad.any():
        row = int(np.flatnonzero(bad)[0])
        accepted = ", ".join(f"{code} = {value}" for code, value in enumerate(vocabulary))
        raise ColumnError(f"{table}.{name} row {row} has code {int(array[row])}; accepted: {accepted}")


def _no_nat(table: str, name: str, array: Days) -> None:
    missing = np.isnat(array)
    if missing.any():
        raise ColumnError(
            f"{table}.{name} row {int(np.flatnonzero(missing)[0])} has no date; every row needs one"
        )


@dataclass(frozen=True, slots=True)
class VehicleColumns:
    """One row per vehicle. ``displacement_cc`` counts for passenger cars, ``load_kg`` for trucks,
    ``van_class``/``special_class`` (codes, :data:`codes.NO_CLASS` where none) for vans/special
    vehicles; the other categories' values are ignored."""

    category: Codes
    use: Codes
    displacement_cc: Int32
    load_kg: Int32
    van_class: Codes
    special_class: Codes
    first_registered_on: Days
    manufactured_year: Int16

    def __post_init__(self) -> None:
        u8, i32 = np.uint8, np.int32
        dtypes: dict[str, npt.DTypeLike] = {
            "category": u8,
            "use": u8,
            "displacement_cc": i32,
            "load_kg": i32,
            "van_class": u8,
        }
        _coerce(
            self, {**dtypes, "special_class": u8, "first_registered_on": DAY, "manufactured_year": np.int16}
        )
        _codes_below("vehicles", "category", self.category, codes.CATEGORIES, False)
        _codes_below("vehicles", "use", self.use, codes.USES, False)
        _codes_below("vehicles", "van_class", self.van_class, codes.VAN_CLASSES, True)
        _codes_below("vehicles", "special_class", self.special_class, codes.SPECIAL_CLASSES, True)
        _no_nat("vehicles", "first_registered_on", self.first_registered_on)

    def __len__(self) -> int:
        return len(self.category)


@dataclass(frozen=True, slots=True)
class CaseColumns:
    """One row per owner × vehicle of the tax year: the holding and the days that end interest and
    judge prescription. ``decision_on`` is NaT where no payment decision is made (no interest);
    ``as_of`` is required (the scalar path's default — decision day, else today — is the caller's).
    ``held_no_day`` (default all false) marks a payer who held the vehicle on no day of the year and
    has no event in it, as :attr:`cartax.rules.model.Holding.held_no_day` (detection only)."""

    start_event: Codes
    start_date: Days
    end_event: Codes
    end_date: Days
    prepayment_passed_on: Flags
    decision_on: Days
    as_of: Days
    held_no_day: Flags | None = None

    def __post_init__(self) -> None:
        if self.held_no_day is None:
            object.__setattr__(self, "held_no_day", np.zeros(len(np.asarray(self.start_event)), np.bool_))
        dtypes: dict[str, npt.DTypeLike] = {"start_event": np.uint8, "start_date": DAY, "end_event": np.uint8}
        dtypes |= {"end_date": DAY, "prepayment_passed_on": np.bool_, "decision_on": DAY, "as_of": DAY}
        _coerce(self, {**dtypes, "held_no_day": np.bool_})
        _codes_below("cases", "start_event", self.start_event, codes.START_EVENTS, False)
        _codes_below("cases", "end_event", self.end_event, codes.END_EVENTS, False)
        _no_nat("cases", "as_of", self.as_of)
        _dated_unless_held("start", self.start_event, self.start_date, codes.START_HELD)
        _dated_unless_held("end", self.end_event, self.end_date, codes.END_HELD)

    def __len__(self) -> int:
        return len(self.start_event)


def _dated_unless_held(which: str, events: Codes, dates: Days, held: int) -> None:
    undated = (events != held) & np.isnat(dates)
    if undated.any():
        row = int(np.flatnonzero(undated)[0])
        raise ColumnError(
            f"cases.{which}_date row {row} is NaT but its event is not held; give the event's date"
        )


@dataclass(frozen=True, slots=True)
class PaymentColumns:
    """One row per payment; ``case`` is the row of its case in :class:`CaseColumns`."""

    case: Int32
    kind: Codes
    paid_on: Days
    car_tax: Int64
    edu_tax: Int64
    via_grievance: Flags

    def __post_init__(self) -> None:
        dtypes: dict[str, npt.DTypeLike] = {
            "case": np.int32,
            "kind": np.uint8,
            "paid_on": DAY,
            "car_tax": np.int64,
            "edu_tax": np.int64,
        }
        _coerce(self, {**dtypes, "via_grievance": np.bool_})
        _codes_below("payments", "kind", self.kind, codes.PAYMENT_KINDS, False)
        _no_nat("payments", "paid_on", self.paid_on)
        for name in ("car_tax", "edu_tax"):
            amounts: Int64 = getattr(self, name)
            if amounts.size and int(amounts.min()) < 0:
                raise ColumnError(
                    f"payments.{name} row {int(np.argmin(amounts))} is negative; 원 cannot be negative"
                )

    def __len__(self) -> int:
        return len(self.case)


@dataclass(frozen=True, slots=True)
class ExemptionColumns:
    """One row per 감면 of a case; ``rate_pct`` 100 (full) or 50; ``applied_on`` NaT where none."""

    case: Int32
    rate_pct: Codes
    effective_from: Days
    decided_on: Days
    applied_on: Days

    def __post_init__(self) -> None:
        dtypes: dict[str, npt.DTypeLike] = {
            "case": np.int32,
            "rate_pct": np.uint8,
            "effective_from": DAY,
            "decided_on": DAY,
        }
        _coerce(self, {**dtypes, "applied_on": DAY})
        bad = (self.rate_pct != 100) & (self.rate_pct != 50)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ColumnError(
                f"exemptions.rate_pct row {row} is {int(self.rate_pct[row])}; accepted: 100 or 50"
            )
        _no_nat("exemptions", "effective_from", self.effective_from)
        _no_nat("exemptions", "decided_on", self.decided_on)

    def __len__(self) -> int:
        return len(self.case)

    @classmethod
    def empty(cls) -> ExemptionColumns:
        none = np.zeros(0, np.int32)
        no_day = np.zeros(0, DAY)
        return cls(none, np.zeros(0, np.uint8), no_day, no_day, no_day)


def check_case_index(table: str, case: Int32, n_cases: int) -> None:
    if case.size and (int(case.min()) < 0 or int(case.max()) >= n_cases):
        raise ColumnError(f"{table}.case must index the {n_cases} cases (0..{n_cases - 1})")
