from __future__ import annotations

from pathlib import Path

import pytest

from cartax.settings import Settings

OUTPUT_CSS = Path("resources") / "css" / "component" / "output.css"


def test_the_design_system_is_found_when_the_platform_starts_from_another_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CARTAX_KRDS_DIR", raising=False)
    assert (Settings().krds_dir / OUTPUT_CSS).is_file()  # make install put it in the checkout


def test_a_design_system_in_the_working_folder_comes_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "node_modules" / "krds-uiux").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CARTAX_KRDS_DIR", raising=False)
    assert Settings().krds_dir == Path("node_modules/krds-uiux")
