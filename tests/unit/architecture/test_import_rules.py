"""DESIGN.md's import rules hold (importlinter.ini), and they would catch a module that broke them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
CONFIG = REPO / "importlinter.ini"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
# One violation of each contract, written into a copy of the package.
VIOLATIONS = {
    "rules/_breaks_layers.py": "import cartax.web\n",
    "core/_breaks_kernel.py": "import cartax.rules\n",
    "identity/_breaks_adapters.py": "from cartax.rules.adapters import yaml_source\n",
    "rules/model.py": "import sqlalchemy\n",
}


def _lint(source_root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(source_root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", str(CONFIG)],
        cwd=source_root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_tree_keeps_the_import_rules() -> None:
    done = _lint(REPO / "src")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_rules_catch_each_kind_of_violation(tmp_path: Path) -> None:
    copy = tmp_path / "cartax"
    shutil.copytree(REPO / "src" / "cartax", copy, ignore=shutil.ignore_patterns("__pycache__"))
    for relative, line in VIOLATIONS.items():
        with (copy / relative).open("a", encoding="utf-8") as module:
            module.write(line)
    done = _lint(tmp_path)
    assert done.returncode != 0
    assert "cartax.rules is not allowed to import cartax.web" in done.stdout
    assert "cartax.core is not allowed to import cartax.rules" in done.stdout
    assert "cartax.identity is not allowed to import cartax.rules.adapters" in done.stdout
    assert "cartax.rules.model is not allowed to import sqlalchemy" in done.stdout
