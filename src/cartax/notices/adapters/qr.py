"""QR codes of verification addresses, as SVG for the typesetter (segno).

The mask pattern is fixed rather than chosen by scoring all eight: every mask is a valid QR code (ISO/IEC
18004 lets the encoder pick any), readers decode them alike, and scoring is most of segno's time, which a
bulk print of a hundred thousand documents cannot spend. Error correction level M (15%) survives the
smudges and folds of mailed paper; the quiet zone of four modules is part of the image.
"""

from __future__ import annotations

import io

import segno

MASK = 4
QUIET_ZONE = 4


def qr_code(text: str) -> segno.QRCode:
    """The symbol for ``text`` (tests compare printed symbols with it)."""
    return segno.make_qr(text, error="m", mask=MASK, boost_error=False)


class SegnoQrCodes:
    def svg(self, text: str) -> str:
        buffer = io.BytesIO()
        qr_code(text).save(
            buffer, kind="svg", xmldecl=False, svgns=True, border=QUIET_ZONE, svgclass=None, lineclass=None
        )
        return buffer.getvalue().decode("ascii")
