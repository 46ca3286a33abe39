"""The dashboard's figures at their edges: ageing buckets, nearest-rank percentiles, rates of nothing."""

from __future__ import annotations

from datetime import date

import pytest

from cartax.cases.dashboards import Figure, ageing, percentile, rate

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("lapse_month", "bucket"),
    [
        (date(2026, 10, 1), 0),  # already past: to be lapsed
        (date(2026, 11, 1), 3),  # this month: under 3 months
        (date(2027, 1, 1), 3),  # 2 months ahead
        (date(2027, 2, 1), 6),  # exactly 3 months ahead is no longer "under 3"
        (date(2027, 11, 1), 24),  # 12 months ahead
        (date(2030, 11, 1), 60),  # 48 months ahead: the last bucket
        (date(2031, 11, 1), 60),  # 60 months ahead (detected today): still the last bucket
    ],
)
def test_unclaimed_refunds_fall_in_the_bucket_of_the_months_left(lapse_month: date, bucket: int) -> None:
    rows = {row.up_to_months: row.figure for row in ageing({lapse_month: Figure(2, 30_000)}, TODAY)}
    assert rows[bucket] == Figure(2, 30_000)
    assert sum(figure.cases for figure in rows.values()) == 2


def test_percentiles_are_nearest_rank_on_whole_days() -> None:
    days = {1: 1, 2: 1, 3: 1, 4: 1}
    assert (percentile(days, 0.5), percentile(days, 0.9), percentile(days, 1.0)) == (2, 4, 4)
    assert percentile({7: 1}, 0.9) == 7
    assert percentile({}, 0.5) is None


def test_a_rate_of_nothing_is_no_figure_rather_than_zero() -> None:
    assert rate(0, 0) is None
    assert rate(0, 5) == 0.0
