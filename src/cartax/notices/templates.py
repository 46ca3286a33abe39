"""The documents' Typst templates and their versions.

``templates/`` holds one ``<kind>.typ`` per document kind, the ``common.typ`` they share and
``manifest.json``, where whoever edits a template writes its version. The version recorded on every
issued document is that number plus a short hash of the files, so an edit that forgot to bump the number
is still told apart from the text before it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from cartax.notices.model import DocumentKind

SHARED = ("common.typ",)


@dataclass(frozen=True, slots=True)
class Template:
    kind: DocumentKind
    path: Path
    version: str


def template_folder() -> Path:
    """The templates shipped inside the package (a real folder: the typesetter reads files)."""
    return Path(str(resources.files("cartax.notices") / "templates"))


def load_templates(folder: Path | None = None) -> dict[DocumentKind, Template]:
    """Every kind's template with its version, from ``folder`` (default: the shipped templates)."""
    folder = folder or template_folder()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    shared = b"".join((folder / name).read_bytes() for name in SHARED)
    found = {}
    for kind in DocumentKind:
        entry = manifest.get(str(kind))
        path = folder / f"{kind}.typ"
        if entry is None or not path.is_file():
            raise FileNotFoundError(f"{folder} lacks {kind}.typ or its manifest.json entry")
        digest = hashlib.sha256(shared + path.read_bytes()).hexdigest()[:8]
        found[kind] = Template(kind, path, f"{kind}@{entry['version']}+{digest}")
    return found
