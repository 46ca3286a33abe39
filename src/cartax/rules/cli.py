"""``cartax calc``: the calculation contract over JSON Lines (contracts.md §1)."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import IO, Annotated

import typer

from cartax.rules import Law, default_law, evaluate
from cartax.rules.contract import error_to_json
from cartax.rules.errors import RequestError


def run_lines(source: IO[str], sink: IO[str], law: Law, today: date) -> int:
    """Answer every non-blank line of ``source`` on ``sink``; return how many lines were rejected."""
    rejected = 0
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for line in source:
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            response = error_to_json(
                None,
                RequestError(
                    "invalid_json",
                    None,
                    f"the line is not valid JSON ({exc.msg}); send one JSON object a line",
                ),
            )
        else:
            response = evaluate(raw, law, today)
        if "error" in response:
            rejected += 1
        sink.write(dumps(response))
        sink.write("\n")
    return rejected


def register(app: typer.Typer) -> None:
    @app.command()
    def calc(
        input_path: Annotated[
            Path | None,
            typer.Option("--input", help="JSON Lines file of requests (standard input by default)"),
        ] = None,
        output_path: Annotated[
            Path | None,
            typer.Option("--output", help="where to write the responses (standard output by default)"),
        ] = None,
    ) -> None:
        """Compute tax and refunds for JSON Lines requests; exit 2 when any line was rejected."""
        law = default_law()
        source = input_path.open(encoding="utf-8") if input_path else sys.stdin
        sink = output_path.open("w", encoding="utf-8") if output_path else sys.stdout
        try:
            rejected = run_lines(source, sink, law, date.today())
        finally:
            if input_path:
                source.close()
            if output_path:
                sink.close()
        raise typer.Exit(2 if rejected else 0)
