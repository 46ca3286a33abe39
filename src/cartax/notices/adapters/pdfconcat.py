"""One print file from many PDFs, written as they come: memory holds one part at a time, never the batch.

A bulk print typesets a few hundred documents at a time; each part is a complete PDF. This writer copies
each part's pages (and everything they use: fonts, images, content streams) into one file, renumbering
the objects as it goes, and finishes with a page tree of one node per part and a cross-reference table.
Streams are copied byte for byte; only the dictionaries are rewritten (their object references).

It reads PDFs with a classic cross-reference table (what Typst writes); any other shape is refused with a
clear error rather than misread. What a part has beside its pages (document outline, structure tree,
metadata) is left out: a print file is for printing.
"""

from __future__ import annotations

import re
from array import array
from pathlib import Path
from typing import BinaryIO

_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_SUBSECTION = re.compile(rb"(\d+) (\d+)\s*\r?\n")
_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])")
_ROOT = re.compile(rb"/Root\s+(\d+)\s+\d+\s+R")
_PAGES = re.compile(rb"/Pages\s+(\d+)\s+\d+\s+R")
_KIDS = re.compile(rb"/Kids\s*\[([^\]]*)\]")
_IS_NODE = re.compile(rb"/Type\s*/Pages\b")
_PARENT = re.compile(rb"/Parent\s+\d+\s+\d+\s+R")
_REF = re.compile(rb"(\d+)\s+(\d+)\s+R\b")
_OBJ = re.compile(rb"\d+\s+\d+\s+obj\b")
_STREAM = re.compile(rb">>\s*stream\r?\n")
HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
CATALOG, ROOT_PAGES = 1, 2


class PdfPartError(ValueError):
    """A part is not a PDF this writer can read (it names what is wrong, never the content)."""


class _Part:
    """One PDF held in memory while its pages are copied."""

    def __init__(self, pdf: bytes) -> None:
        self.pdf = pdf
        self.offsets = self._xref()

    def _xref(self) -> dict[int, int]:
        tail = _STARTXREF.search(self.pdf[-64:])
        if tail is None:
            raise PdfPartError("the part does not end with startxref and %%EOF")
        at = int(tail[1])
        if not self.pdf.startswith(b"xref", at):
            raise PdfPartError("the part uses a cross-reference stream; only classic tables are read")
        offsets, pos = {}, at + 4
        while (section := _SUBSECTION.match(self.pdf, pos + _skip_space(self.pdf, pos))) is not None:
            first, count = int(section[1]), int(section[2])
            pos = section.end()
            for number in range(first, first + count):
                entry = _ENTRY.match(self.pdf, pos)
                if entry is None:
                    raise PdfPartError(f"cross-reference entry of object {number} is malformed")
                if entry[3] == b"n":
                    offsets[number] = int(entry[1])
                pos = entry.end() + _skip_space(self.pdf, entry.end())
        return offsets

    def body(self, number: int) -> tuple[bytes, bytes]:
        """Object ``number`` as (dictionary part, stream part with ``endstream``; empty if none)."""
        start = self.offsets.get(number)
        header = _OBJ.match(self.pdf, start) if start is not None else None
        if header is None:
            raise PdfPartError(f"object {number} is missing or malformed")
        end = self.pdf.find(b"endobj", header.end())
        content = self.pdf[header.end() : end].strip()
        stream = _STREAM.search(content)
        if stream is None:
            return content, b""
        return content[: stream.start() + 2], content[stream.start() + 2 :]

    def trailer_root(self) -> int:
        found = _ROOT.search(self.pdf, self.pdf.rfind(b"trailer"))
        if found is None:
            raise PdfPartError("the trailer names no /Root")
        return int(found[1])

    def pages(self) -> list[int]:
        """The page objects in order (leaves of the page tree)."""
        catalog, _ = self.body(self.trailer_root())
        root = _PAGES.search(catalog)
        if root is None:
            raise PdfPartError("the catalog names no /Pages")
        return self._leaves(int(root[1]), depth=0)

    def _leaves(self, node: int, depth: int) -> list[int]:
        if depth > 32:
            raise PdfPartError("the page tree is deeper than 32 levels")
        body, _ = self.body(node)
        if not _IS_NODE.search(body):
            return [node]
        kids = _KIDS.search(body)
        refs = [int(ref[1]) for ref in _REF.finditer(kids[1])] if kids else []
        return [leaf for kid in refs for leaf in self._leaves(kid, depth + 1)]


def _skip_space(data: bytes, pos: int) -> int:
    n = 0
    while pos + n < len(data) and data[pos + n] in b" \r\n\t":
        n += 1
    return n


class PdfConcatenation:
    """``append`` PDFs, then ``close``: one file with all their pages, in order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._out: BinaryIO = path.open("wb")
        self._out.write(HEADER)
        self._offsets = array("q", [0, 0])  # objects 1 (catalog) and 2 (page tree root) come last
        self._nodes: list[int] = []
        self._pages = 0

    def append(self, pdf: bytes) -> int:
        part = _Part(pdf)
        pages = part.pages()
        if not pages:
            return 0
        node = self._allocate()
        numbers = self._number(part, pages)
        for old in numbers:
            self._copy(part, old, numbers, node if old in pages else None)
        kids = b" ".join(b"%d 0 R" % numbers[page] for page in pages)
        self._write(node, b"<</Type/Pages/Parent %d 0 R/Count %d/Kids[%s]>>" % (ROOT_PAGES, len(pages), kids))
        self._nodes.append(node)
        self._pages += len(pages)
        return len(pages)

    def close(self) -> int:
        kids = b" ".join(b"%d 0 R" % node for node in self._nodes)
        self._write(ROOT_PAGES, b"<</Type/Pages/Count %d/Kids[%s]>>" % (self._pages, kids))
        self._write(CATALOG, b"<</Type/Catalog/Pages %d 0 R>>" % ROOT_PAGES)
        at = self._out.tell()
        lines = [b"xref\n0 %d\n0000000000 65535 f \n" % (len(self._offsets) + 1)]
        lines.extend(b"%010d 00000 n \n" % offset for offset in self._offsets)
        self._out.write(b"".join(lines))
        self._out.write(
            b"trailer\n<</Size %d/Root %d 0 R>>\nstartxref\n%d\n%%%%EOF\n"
            % (len(self._offsets) + 1, CATALOG, at)
        )
        self._out.close()
        return self._pages

    def abort(self) -> None:
        self._out.close()
        self.path.unlink(missing_ok=True)

    def _allocate(self) -> int:
        self._offsets.append(0)
        return len(self._offsets)

    def _number(self, part: _Part, pages: list[int]) -> dict[int, int]:
        """New numbers for the pages and every object they reach (never up the tree: /Parent is dropped)."""
        numbers: dict[int, int] = {}
        todo = list(reversed(pages))
        while todo:
            old = todo.pop()
            if old in numbers:
                continue
            numbers[old] = self._allocate()
            head, _ = part.body(old)
            todo.extend(int(ref[1]) for ref in _REF.finditer(_PARENT.sub(b"", head)))
        return numbers

    def _copy(self, part: _Part, old: int, numbers: dict[int, int], parent: int | None) -> None:
        head, stream = part.body(old)

        def renumber(ref: re.Match[bytes]) -> bytes:
            new = numbers.get(int(ref[1]))
            return b"%d 0 R" % new if new is not None else b"null"

        head = _REF.sub(renumber, _PARENT.sub(b"", head))
        if parent is not None:  # a page: it now hangs from this part's node of the page tree
            head = head.replace(b"<<", b"<</Parent %d 0 R" % parent, 1)
        self._write(numbers[old], head + stream)

    def _write(self, number: int, content: bytes) -> None:
        self._offsets[number - 1] = self._out.tell()
        self._out.write(b"%d 0 obj\n%s\nendobj\n" % (number, content))
