"""QR codes of verification addresses, as SVG for the typesetter.

A bulk print draws a hundred thousand QR codes, and segno (a fine, pure-Python encoder) spends about
3 ms on each, as much as Typst spends on the whole page. So the codes of the sizes a verification
address needs (versions 1 to 10, byte mode, error correction level M, one fixed mask) are made here with
what does not change between two addresses computed once per version: where the function patterns
are, where each data bit goes and how the mask flips it. What remains per code is the Reed-Solomon
error correction and one array assignment. Longer texts, and texts segno would write in its numeric,
alphanumeric or kanji modes, go to segno. The tests check, for many texts,
that every module equals segno's symbol for the same text, version, level and mask.

The mask is fixed rather than chosen by scoring all eight: every mask is a valid QR code (ISO/IEC 18004
lets the encoder pick any) and readers decode them alike. Level M (15%) survives the smudges and folds
of mailed paper; the quiet zone of four modules is part of the image.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import segno

MASK = 4
QUIET_ZONE = 4
MAX_VERSION = 10
# Error correction level M, versions 1..10: EC codewords per block and number of blocks (ISO/IEC 18004
# table 9), and the centres of the alignment patterns (annex E).
ECC_PER_BLOCK = (0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26)
BLOCKS = (0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5)
ALIGNMENT = (
    (),
    (),
    (6, 18),
    (6, 22),
    (6, 26),
    (6, 30),
    (6, 34),
    (6, 22, 38),
    (6, 24, 42),
    (6, 26, 46),
    (6, 28, 50),
)
FORMAT_LEVEL_M = 0b00
ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def qr_code(text: str) -> segno.QRCode:
    """segno's symbol for ``text`` with the same version choice, level and mask (the reference)."""
    return segno.make_qr(text, error="m", mask=MASK, boost_error=False)


def qr_matrix(text: str) -> np.ndarray:
    """The modules of the symbol for ``text`` (rows × columns, 1 = dark)."""
    data = text.encode("utf-8")
    version = _version_for(len(data)) if _byte_mode(text) else None
    if version is None:
        return np.array(qr_code(text).matrix, dtype=np.uint8)
    layout = _layout(version)
    codewords = _codewords(data, version, layout.data_codewords)
    bits = np.unpackbits(np.frombuffer(codewords, dtype=np.uint8))
    matrix = layout.base.copy()
    placed = np.zeros(len(layout.rows), dtype=np.uint8)
    placed[: len(bits)] = bits
    matrix[layout.rows, layout.cols] = placed ^ layout.mask
    return matrix


def _byte_mode(text: str) -> bool:
    """Whether segno would write ``text`` as one byte-mode segment (ASCII, with a character that the
    numeric and alphanumeric modes lack, as every address with a lower-case letter has)."""
    return text.isascii() and not set(text) <= ALPHANUMERIC


class SegnoQrCodes:
    """QR codes as SVG: one path of horizontal runs, like segno draws them (the name is the port's
    history; versions 1 to 10 are made here, longer texts by segno)."""

    def svg(self, text: str) -> str:
        matrix = qr_matrix(text)
        size = len(matrix) + 2 * QUIET_ZONE
        edges = np.diff(np.pad(matrix.astype(np.int8), ((0, 0), (1, 1))), axis=1)
        starts, ends = np.nonzero(edges == 1), np.nonzero(edges == -1)
        path = "".join(
            f"M{x + QUIET_ZONE} {y + QUIET_ZONE}.5h{end - x}"
            for y, x, end in zip(starts[0].tolist(), starts[1].tolist(), ends[1].tolist(), strict=True)
        )
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
            f'viewBox="0 0 {size} {size}"><path fill="#fff" d="M0 0h{size}v{size}H0z"/>'
            f'<path stroke="#000" d="{path}"/></svg>'
        )


@dataclass(frozen=True)
class _Layout:
    base: np.ndarray  # function patterns, format and version information; 0 where data goes
    rows: np.ndarray  # data module rows, in placement order
    cols: np.ndarray
    mask: np.ndarray  # 1 where the mask flips the module at that position of the order
    data_codewords: int


def _capacity_bits(version: int) -> int:
    return _layout(version).data_codewords * 8


def _version_for(length: int) -> int | None:
    for version in range(1, MAX_VERSION + 1):
        count_bits = 8 if version < 10 else 16
        if 4 + count_bits + 8 * length <= _capacity_bits(version):
            return version
    return None


def _codewords(data: bytes, version: int, capacity: int) -> bytes:
    """Mode, count, data, terminator, padding and pad codewords, then error correction, interleaved."""
    count_bits = 8 if version < 10 else 16
    length = 4 + count_bits + 8 * len(data)
    value = (0b0100 << count_bits | len(data)) << 8 * len(data) | int.from_bytes(data, "big")
    terminator = min(4, capacity * 8 - length)  # zero bits
    value, length = value << terminator, length + terminator
    # Zero bits to the byte boundary, a whole zero byte when already on it: what segno writes (the
    # reference of the tests); readers stop at the terminator, so either way reads the same.
    if length < capacity * 8:
        fill = 8 - length % 8
        value, length = value << fill, length + fill
    words = value.to_bytes(length // 8, "big")
    pad = bytes((0xEC, 0x11)[i % 2] for i in range(capacity - len(words)))
    return _interleave(words + pad, version)


def _interleave(words: bytes, version: int) -> bytes:
    blocks_count, ecc = BLOCKS[version], ECC_PER_BLOCK[version]
    raw = _raw_modules(version) // 8
    short = blocks_count - raw % blocks_count
    short_len = raw // blocks_count
    table = _divisor_table(ecc)
    top, keep = 8 * (ecc - 1), (1 << 8 * ecc) - 1
    blocks, k = [], 0
    for i in range(blocks_count):
        size = short_len - ecc + (0 if i < short else 1)
        block = words[k : k + size]
        k += size
        remainder = 0  # the remainder's bytes as one big-endian integer: a shift and an XOR per byte
        for byte in block:
            remainder = ((remainder << 8) & keep) ^ table[byte ^ (remainder >> top)]
        blocks.append(block + (b"\0" if i < short else b"") + remainder.to_bytes(ecc, "big"))
    return bytes(
        block[i]
        for i in range(len(blocks[0]))
        for j, block in enumerate(blocks)
        if i != short_len - ecc or j >= short
    )


@cache
def _divisor_table(degree: int) -> tuple[int, ...]:
    """For each factor 0..255, the generator's coefficients multiplied by it, as one integer."""
    return tuple(int.from_bytes(bytes(row), "big") for row in _divisor_tables(degree))


@cache
def _divisor_tables(degree: int) -> tuple[tuple[int, ...], ...]:
    """For each factor 0..255, the divisor's coefficients multiplied by it."""
    divisor = [0] * (degree - 1) + [1]
    root = 1
    for _ in range(degree):
        for j in range(degree):
            divisor[j] = _multiply(divisor[j], root)
            if j + 1 < degree:
                divisor[j] ^= divisor[j + 1]
        root = _multiply(root, 2)
    return tuple(tuple(_multiply(c, factor) for c in divisor) for factor in range(256))


def _multiply(x: int, y: int) -> int:
    z = 0
    for i in reversed(range(8)):
        z = (z << 1) ^ ((z >> 7) * 0x11D)
        z ^= ((y >> i) & 1) * x
    return z


def _raw_modules(version: int) -> int:
    result = (16 * version + 128) * version + 64
    if version >= 2:
        count = version // 7 + 2
        result -= (25 * count - 10) * count - 55
        if version >= 7:
            result -= 36
    return result


@cache
def _layout(version: int) -> _Layout:
    size = 4 * version + 17
    base = np.zeros((size, size), dtype=np.uint8)
    reserved = np.zeros((size, size), dtype=bool)

    def put(row: int, col: int, dark: bool) -> None:
        base[row, col] = dark
        reserved[row, col] = True

    for i in range(size):  # timing patterns
        put(6, i, i % 2 == 0)
        put(i, 6, i % 2 == 0)
    for row, col in ((3, 3), (3, size - 4), (size - 4, 3)):  # finders with their separators
        for dy in range(-4, 5):
            for dx in range(-4, 5):
                if 0 <= row + dy < size and 0 <= col + dx < size:
                    ring = max(abs(dy), abs(dx))
                    put(row + dy, col + dx, ring not in (2, 4))
    centres = ALIGNMENT[version]
    last = len(centres) - 1
    for i, row in enumerate(centres):
        for j, col in enumerate(centres):
            if (i, j) in ((0, 0), (0, last), (last, 0)):
                continue
            for dy in range(-2, 3):
                for dx in range(-2, 3):
                    put(row + dy, col + dx, max(abs(dy), abs(dx)) != 1)
    _format_bits(put, size)
    if version >= 7:
        _version_bits(put, size, version)
    rows, cols = _placement(reserved, size)
    mask = ((rows // 2 + cols // 3) % 2 == 0).astype(np.uint8)
    data_codewords = _raw_modules(version) // 8 - ECC_PER_BLOCK[version] * BLOCKS[version]
    return _Layout(base, rows, cols, mask, data_codewords)


def _format_bits(put: object, size: int) -> None:
    data = FORMAT_LEVEL_M << 3 | MASK
    remainder = data
    for _ in range(10):
        remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537)
    bits = (data << 10 | remainder) ^ 0x5412

    def bit(i: int) -> bool:
        return (bits >> i) & 1 != 0

    draw = put  # (row, col, dark)
    for i in range(6):
        draw(i, 8, bit(i))  # type: ignore[operator]
    draw(7, 8, bit(6))  # type: ignore[operator]
    draw(8, 8, bit(7))  # type: ignore[operator]
    draw(8, 7, bit(8))  # type: ignore[operator]
    for i in range(9, 15):
        draw(8, 14 - i, bit(i))  # type: ignore[operator]
    for i in range(8):
        draw(8, size - 1 - i, bit(i))  # type: ignore[operator]
    for i in range(8, 15):
        draw(size - 15 + i, 8, bit(i))  # type: ignore[operator]
    draw(size - 8, 8, True)  # type: ignore[operator]


def _version_bits(put: object, size: int, version: int) -> None:
    remainder = version
    for _ in range(12):
        remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25)
    bits = version << 12 | remainder
    for i in range(18):
        dark = (bits >> i) & 1 != 0
        a, b = size - 11 + i % 3, i // 3
        put(b, a, dark)  # type: ignore[operator]
        put(a, b, dark)  # type: ignore[operator]


def _placement(reserved: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The data modules in the order bits are placed: two-column strips from the right, up and down."""
    rows, cols = [], []
    right = size - 1
    while right >= 1:
        if right == 6:
            right = 5
        upward = ((right + 1) & 2) == 0
        for vert in range(size):
            row = size - 1 - vert if upward else vert
            for col in (right, right - 1):
                if not reserved[row, col]:
                    rows.append(row)
                    cols.append(col)
        right -= 2
    return np.array(rows), np.array(cols)
