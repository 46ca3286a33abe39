"""``cartax synth``: write synthetic registry feeds (contracts.md §2) to a directory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from cartax.registry.synth import (
    DEMO_VEHICLES,
    FORMATS,
    SynthError,
    SynthOptions,
    select_districts,
    synthesize,
)


def _codes(districts: str | None, district: str | None) -> list[str] | None:
    codes = [c for c in (districts or "").split(",") if c.strip()]
    if district:
        codes.append(district)
    return codes or None


def register(app: typer.Typer) -> None:
    @app.command()
    def synth(
        out: Annotated[Path, typer.Option("--out", help="directory to write the six feeds to")],
        vehicles: Annotated[
            int | None,
            typer.Option(
                "--vehicles",
                help=f"vehicles in all (default {DEMO_VEHICLES:,}); alone it spreads them over the whole "
                "nation, so --vehicles 26400000 is the national register",
            ),
        ] = None,
        year: Annotated[int, typer.Option("--year", help="tax year")] = 2026,
        seed: Annotated[
            int, typer.Option("--seed", help="random seed: the same seed gives the same files")
        ] = 0,
        fmt: Annotated[str, typer.Option("--format", help=f"{' or '.join(FORMATS)}")] = "parquet",
        districts: Annotated[
            str | None,
            typer.Option(
                "--districts", help="comma-separated 5-digit 시군구 codes, or 'all' (default: 11680 강남구)"
            ),
        ] = None,
        district: Annotated[str | None, typer.Option("--district", help="one 5-digit 시군구 code")] = None,
        workers: Annotated[
            int | None,
            typer.Option("--workers", help="processes generating districts (default: the cores); same files"),
        ] = None,
    ) -> None:
        """Generate synthetic feeds: vehicles, registrations, owners, payments, arrears, exemptions."""
        try:
            chosen = select_districts(_codes(districts, district), nation_by_default=vehicles is not None)
            count = vehicles if vehicles is not None else DEMO_VEHICLES
            processes = workers if workers is not None else min(os.cpu_count() or 1, len(chosen))
            options = SynthOptions(out, chosen, count, year, seed, fmt.lower(), processes)
            with tqdm(total=options.vehicles, unit="veh", unit_scale=True, desc="synth", disable=None) as bar:
                summary = synthesize(options, progress=bar.update)
        except SynthError as error:
            typer.echo(f"오류: {error}", err=True)
            raise typer.Exit(2) from error
        typer.echo(
            f"합성 데이터를 만들었습니다 (synthetic feeds written): {out}, 시군구 {summary.districts}곳"
        )
        for feed, path in summary.paths.items():
            typer.echo(f"  {path.name}: {summary.rows[feed]:,}")
