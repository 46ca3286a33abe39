"""The Typst typesetter: a template and its data (``sys.inputs.data``, JSON) to PDF, fonts embedded.

Only the fonts of the configured folder are used (system fonts are ignored), so every machine prints
the same glyphs; the Korean fonts are Debian's ``fonts-nanum`` (``make install``). One compiler is kept
per template, so fonts are loaded once per process, not once per document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typst

REQUIRED_FONT = "NanumGothic.ttf"


class FontsMissingError(RuntimeError):
    """The Korean fonts are not where the settings say."""


class TypstTypesetter:
    def __init__(self, font_dir: Path, root: Path) -> None:
        self.font_dir = font_dir
        self.root = root
        self._compilers: dict[Path, typst.Compiler] = {}

    def typeset(self, template: Path, data: Mapping[str, Any], *, tagged: bool) -> bytes:
        compiler = self._compilers.get(template)
        if compiler is None:
            # Checked when first needed, so a platform without the fonts still starts (and says why
            # it cannot print) rather than refusing to serve anything.
            if not (self.font_dir / REQUIRED_FONT).is_file():
                raise FontsMissingError(
                    f"Korean fonts not found: {self.font_dir} has no {REQUIRED_FONT}. Install Debian's "
                    "fonts-nanum (make install does) or set CARTAX_NOTICE_FONT_DIR to the Nanum fonts."
                )
            compiler = typst.Compiler(
                str(template), root=str(self.root), font_paths=[str(self.font_dir)], ignore_system_fonts=True
            )
            self._compilers[template] = compiler
        inputs = {"data": json.dumps(data, ensure_ascii=False, separators=(",", ":"))}
        pdf = compiler.compile(format="pdf", sys_inputs=inputs, pdf_tags=tagged)
        if not isinstance(pdf, bytes):
            raise TypeError("the typesetter returned no PDF")
        return pdf
