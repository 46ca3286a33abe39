"""Read a rule set from a directory of YAML parameter files."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from cartax.rules.errors import ParameterError
from cartax.rules.params import Parameter, RuleSet

DEFAULT_DIRECTORY = Path(__file__).resolve().parent.parent / "parameters"
MANIFEST = "ruleset.yaml"
REQUIRED_KEYS = ("description", "unit", "reference", "values")


def load_rule_set(directory: Path = DEFAULT_DIRECTORY) -> RuleSet:
    """Load every ``*.yaml`` parameter file of ``directory`` and its ``ruleset.yaml`` manifest."""
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise ParameterError(f"{directory.name}: no {MANIFEST}; a rule-set directory needs a manifest")
    digest = hashlib.sha256()
    parameters: dict[str, Parameter] = {}
    for path in sorted(directory.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
        if path.name == MANIFEST:
            continue
        for name, body in _read(path).items():
            if name in parameters:
                raise ParameterError(f"{path.name}: parameter {name!r} is defined twice")
            parameters[name] = _parameter(path.name, name, body)
    manifest = _read(manifest_path)
    try:
        version = str(manifest["version"])
        first, last = int(manifest["tax_years"]["first"]), int(manifest["tax_years"]["last"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ParameterError(f"{MANIFEST}: needs version and tax_years.first/last ({exc})") from exc
    return RuleSet(version, digest.hexdigest()[:16], first, last, parameters)


def _read(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParameterError(f"{path.name} is not valid YAML: {exc}") from exc
    if not isinstance(loaded, dict):
        raise ParameterError(f"{path.name} must be a mapping of parameter names to definitions")
    return loaded


def _parameter(file_name: str, name: str, body: Any) -> Parameter:
    if not isinstance(body, dict) or any(key not in body for key in REQUIRED_KEYS):
        raise ParameterError(f"{file_name}: parameter {name!r} needs the keys {', '.join(REQUIRED_KEYS)}")
    values = body["values"]
    if not isinstance(values, dict) or not all(isinstance(key, date) for key in values):
        raise ParameterError(f"{file_name}: {name}.values must map dates (YYYY-MM-DD) to values")
    return Parameter(
        name=name,
        description=str(body["description"]),
        unit=str(body["unit"]),
        reference=str(body["reference"]),
        values=tuple(sorted(values.items())),
    )
