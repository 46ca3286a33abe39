"""Short signed expiring links and verification codes: the defence against refund smishing.

Each message carries a link ``/l/<token>`` and a code. The token is the message's reference, its
expiry and an HMAC tag, in 32 characters of Crockford base32, so a link cannot be forged or
prolonged; the code (``XXXX-XXXX``) lets anyone check on the public ``/verify`` page that a message
they received really comes from the office. Neither carries personal data.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cartax.notify.errors import InvalidNotifyRequestError, LinkInvalidError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # and no 0/1 in what people type
REF_LENGTH = 10
EXPIRY_LENGTH = 6
TAG_LENGTH = 16
TOKEN_LENGTH = REF_LENGTH + EXPIRY_LENGTH + TAG_LENGTH
CODE_LENGTH = 8
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def new_ref() -> str:
    """A message reference: 10 random Crockford base32 characters (50 bits).

    >>> len(new_ref()), set(new_ref()) <= set(ALPHABET)
    (10, True)
    """
    return _encode(secrets.randbits(5 * REF_LENGTH), REF_LENGTH)


def new_code() -> str:
    """A verification code as printed in a message: ``XXXX-XXXX`` (30⁸ ≈ 6.6 × 10¹¹ codes).

    >>> code = new_code(); len(code), code[4]
    (9, '-')
    """
    value = secrets.randbelow(len(CODE_ALPHABET) ** CODE_LENGTH)
    chars = []
    for _ in range(CODE_LENGTH):
        value, digit = divmod(value, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[digit])
    return f"{''.join(chars[:4])}-{''.join(chars[4:])}"


def normalise_code(text: str) -> str:
    """The code as stored: upper case, without spaces or hyphens; a clear error when it cannot be one.

    >>> normalise_code(" ab3d-ef7h ")
    'AB3DEF7H'
    """
    cleaned = "".join(text.split()).replace("-", "").upper()
    if len(cleaned) != CODE_LENGTH or not set(cleaned) <= set(CODE_ALPHABET):
        raise InvalidNotifyRequestError("code_format", length=CODE_LENGTH)
    return cleaned


_PAIRS = [a + b for a in ALPHABET for b in ALPHABET]  # 10 bits at a time: half the steps


def _encode(value: int, width: int) -> str:
    """``value`` in ``width`` (an even number of) base32 characters, most significant first."""
    if width % 2 or value >> (5 * width):
        raise ValueError("value does not fit an even width")
    return "".join(_PAIRS[(value >> shift) & 0x3FF] for shift in range(5 * width - 10, -1, -10))


def _decode(text: str) -> int:
    value = 0
    for char in text:
        value = value * 32 + ALPHABET.index(char)
    return value


@dataclass(frozen=True, slots=True)
class LinkSigner:
    """Signs and checks message links with a key kept outside the database.

    >>> signer = LinkSigner(b"k" * 32)
    >>> now = datetime(2026, 7, 1, tzinfo=UTC)
    >>> token = signer.sign("ABCDEFGH12", now + timedelta(days=30))
    >>> len(token), signer.open(token, now)
    (32, 'ABCDEFGH12')
    """

    key: bytes

    def __post_init__(self) -> None:
        if len(self.key) < 32:
            raise ValueError("a link key needs at least 32 bytes")

    def sign(self, ref: str, expires_at: datetime) -> str:
        minutes = int((expires_at - EPOCH).total_seconds() // 60)
        body = ref + _encode(minutes, EXPIRY_LENGTH)
        return body + self._tag(body)

    def open(self, token: str, now: datetime) -> str:
        """The message reference of a genuine, unexpired token; :class:`LinkInvalidError` otherwise."""
        token = token.strip().upper()
        if len(token) != TOKEN_LENGTH or not set(token) <= set(ALPHABET):
            raise LinkInvalidError("link_invalid")
        body, tag = token[:-TAG_LENGTH], token[-TAG_LENGTH:]
        if not hmac.compare_digest(tag, self._tag(body)):
            raise LinkInvalidError("link_invalid")
        expires_at = EPOCH + timedelta(minutes=_decode(body[REF_LENGTH:]))
        if now >= expires_at:
            raise LinkInvalidError("link_expired")
        return body[:REF_LENGTH]

    def code_digest(self, code: str) -> str:
        """What is stored of a code: a keyed digest, so the table alone does not reveal the codes."""
        normalised = normalise_code(code)
        return hmac.new(self.key, b"cartax-code|" + normalised.encode(), hashlib.sha256).hexdigest()

    def _tag(self, body: str) -> str:
        digest = hmac.new(self.key, b"cartax-link|" + body.encode(), hashlib.sha256).digest()
        return _encode(int.from_bytes(digest[:10]), TAG_LENGTH)
