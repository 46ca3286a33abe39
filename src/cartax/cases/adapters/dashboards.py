"""The dashboards' queries: a few grouped reads of the summaries, for any set of districts.

A province is the districts whose code starts with its two digits; callers pass the districts the
officer may see, so a dashboard never counts another office's cases. Every query reads the summaries'
primary keys by district (an index range), never the case tables.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date

from sqlalchemy import Engine, func, select

from cartax.cases.adapters.tables import case_flow_monthly, case_money_days, case_unclaimed
from cartax.cases.dashboards import (
    STAGES,
    CauseRow,
    Dashboard,
    Figure,
    MonthRow,
    ageing,
    percentile,
)

F, U, M = case_flow_monthly.c, case_unclaimed.c, case_money_days.c
MONTHS_SHOWN = 24


class SqlDashboards:
    def __init__(self, engine: Engine) -> None:
        postgres = engine.dialect.name == "postgresql"
        # Reads only: no transaction round trips on PostgreSQL (SQLite manages its own).
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT") if postgres else engine

    def dashboard(self, districts: Collection[str], today: date) -> Dashboard:
        wanted = sorted(districts)
        by_month: dict[date, dict[str, Figure]] = defaultdict(dict)
        by_cause: dict[str, dict[str, Figure]] = defaultdict(dict)
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        days_by_month: dict[date, dict[int, int]] = defaultdict(dict)
        days: dict[int, int] = defaultdict(int)
        stock: dict[date, Figure] = {}
        with self.engine.connect() as connection:
            flows = connection.execute(
                select(F.month, F.stage, F.cause, func.sum(F.cases), func.sum(F.amount))
                .where(F.district.in_(wanted))
                .group_by(F.month, F.stage, F.cause)
            ).all()
            money = connection.execute(
                select(M.month, M.days, func.sum(M.cases))
                .where(M.district.in_(wanted))
                .group_by(M.month, M.days)
            ).all()
            unclaimed = connection.execute(
                select(U.lapse_month, func.sum(U.cases), func.sum(U.amount))
                .where(U.district.in_(wanted))
                .group_by(U.lapse_month)
            ).all()
        for month, stage, cause, cases, amount in flows:
            _add(by_month[month], stage, cases, amount)
            _add(by_cause[cause], stage, cases, amount)
            totals[stage][0] += cases
            totals[stage][1] += amount
        for month, day_count, cases in money:
            days_by_month[month][day_count] = int(cases)
            days[day_count] += int(cases)
        for lapse_month, cases, amount in unclaimed:
            if cases:
                stock[lapse_month] = Figure(int(cases), int(amount))
        months = [
            MonthRow(month, by_month[month], percentile(days_by_month.get(month, {}), 0.5))
            for month in sorted(by_month)[-MONTHS_SHOWN:]
        ]
        causes = [CauseRow(cause, by_cause[cause]) for cause in sorted(by_cause)]
        return Dashboard(
            tuple(wanted), today, {stage: Figure(*totals[stage]) for stage in STAGES if stage in totals},
            months, causes, ageing(stock, today), percentile(days, 0.5), percentile(days, 0.9),
            sum(days.values()),
            Figure(sum(f.cases for f in stock.values()), sum(f.amount for f in stock.values())),
        )  # fmt: skip


def _add(cells: dict[str, Figure], stage: str, cases: int, amount: int) -> None:
    before = cells.get(stage, Figure())
    cells[stage] = Figure(before.cases + int(cases), before.amount + int(amount))
