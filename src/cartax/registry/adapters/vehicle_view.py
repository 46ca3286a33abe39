"""What the registry knows of a case's vehicle, for the officers' screens: the vehicle, who held it when,
the payments made on it, and the look-ups by plate and owner the console's search needs.

Read-only, one round trip per question. Nothing here is personal data except the owner's name, which is
answered only so that the caller can mask it (:func:`cartax.core.masking.mask_name`) before showing it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, select

from cartax.registry.adapters.tables import holdings, owners, payments, vehicles

MAX_LOOKUP = 500
"""The most ids answered by one batch look-up (a screen shows at most a page of cases)."""


@dataclass(frozen=True, slots=True)
class VehicleFacts:
    vehicle_id: str
    plate: str | None
    category: str
    use: str
    displacement_cc: int | None
    first_registered_on: date
    manufactured_year: int


@dataclass(frozen=True, slots=True)
class HoldingFacts:
    owner_id: str
    start_event: str
    start_date: date
    end_event: str | None
    end_date: date | None
    prepayment_passed_on: bool


@dataclass(frozen=True, slots=True)
class PaymentFacts:
    payment_id: str
    owner_id: str
    tax_year: int
    kind: str
    paid_on: date
    car_tax: int
    edu_tax: int
    district: str
    via_grievance: bool


class SqlVehicleView:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def vehicle(self, vehicle_id: str) -> VehicleFacts | None:
        query = select(
            vehicles.c.vehicle_id,
            vehicles.c.plate,
            vehicles.c.category,
            vehicles.c.use,
            vehicles.c.displacement_cc,
            vehicles.c.first_registered_on,
            vehicles.c.manufactured_year,
        ).where(vehicles.c.vehicle_id == vehicle_id)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else VehicleFacts(*row)

    def holdings(self, vehicle_id: str) -> list[HoldingFacts]:
        """Every holding of the vehicle, the earliest first."""
        c = holdings.c
        query = (
            select(c.owner_id, c.start_event, c.start_date, c.end_event, c.end_date, c.prepayment_passed_on)
            .where(c.vehicle_id == vehicle_id)
            .order_by(c.start_date, c.id)
        )
        with self.engine.connect() as connection:
            return [HoldingFacts(*row) for row in connection.execute(query)]

    def payments(self, vehicle_id: str, tax_year: int) -> list[PaymentFacts]:
        """The payments made on the vehicle for ``tax_year``, in the order they were paid."""
        c = payments.c
        query = (
            select(
                c.payment_id, c.owner_id, c.tax_year, c.kind, c.paid_on, c.car_tax, c.edu_tax, c.district,
                c.via_grievance,
            )
            .where(c.vehicle_id == vehicle_id, c.tax_year == tax_year)
            .order_by(c.paid_on, c.payment_id)
        )  # fmt: skip
        with self.engine.connect() as connection:
            return [PaymentFacts(*row) for row in connection.execute(query)]

    def by_plate(self, plate: str) -> list[str]:
        """The vehicle ids registered under ``plate`` (spaces ignored)."""
        wanted = "".join(plate.split())
        query = select(vehicles.c.vehicle_id).where(vehicles.c.plate == wanted).limit(MAX_LOOKUP)
        with self.engine.connect() as connection:
            return [row.vehicle_id for row in connection.execute(query)]

    def plates(self, vehicle_ids: Collection[str]) -> dict[str, str]:
        """Plate by vehicle id, for the ids that have one."""
        ids = sorted(set(vehicle_ids))[:MAX_LOOKUP]
        if not ids:
            return {}
        query = select(vehicles.c.vehicle_id, vehicles.c.plate).where(vehicles.c.vehicle_id.in_(ids))
        with self.engine.connect() as connection:
            return {row.vehicle_id: row.plate for row in connection.execute(query) if row.plate}

    def owner_names(self, owner_ids: Collection[str]) -> dict[str, str]:
        """Owner name by id, to be masked by the caller before anything shows it."""
        ids = sorted(set(owner_ids))[:MAX_LOOKUP]
        if not ids:
            return {}
        query = select(owners.c.owner_id, owners.c.name).where(owners.c.owner_id.in_(ids))
        with self.engine.connect() as connection:
            return {row.owner_id: row.name for row in connection.execute(query) if row.name}
