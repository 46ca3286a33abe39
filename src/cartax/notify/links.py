"""Short signed expiring links and verification codes: the defence against refund smishing.

Each message carries a link ``/l/<token>`` and a code. The token is the message's reference, its
expiry and an HMAC tag, in 32 characters of Crockford base32, so a link cannot be forged or
prolonged; the code (``XXXX-XXXX``) lets anyone check on the public ``/verify`` page that a message
they received really comes from the office. Neither carries personal data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

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


# One random byte gives one reference character (256 = 8 × 32: uniform); for codes, bytes of 240 and above
# are dropped and the rest give one character each (240 = 8 × 30: uniform).
_REF_BYTES = bytes(ord(ALPHABET[byte % 32]) for byte in range(256))
_CODE_BYTES = bytes(ord(CODE_ALPHABET[byte % 30]) if byte < 240 else 0 for byte in range(256))
_CODE_REJECTED = bytes(range(240, 256))


def new_refs(count: int) -> list[str]:
    """``count`` references as :func:`new_ref` makes them, from one random draw, all different.

    >>> refs = new_refs(1000); len(set(refs)), {len(ref) for ref in refs}, set("".join(refs)) <= set(ALPHABET)
    (1000, {10}, True)
    """
    while True:
        text = secrets.token_bytes(REF_LENGTH * count).translate(_REF_BYTES).decode("ascii")
        refs = [text[start : start + REF_LENGTH] for start in range(0, len(text), REF_LENGTH)]
        if len(set(refs)) == count:  # a repeat among 2⁵⁰ values: draw again rather than keep it
            return refs


def new_codes(count: int) -> list[str]:
    """``count`` verification codes as :func:`new_code` makes them (``XXXX-XXXX``), all different.

    >>> codes = new_codes(1000); len(set(codes)), {code[4] for code in codes}, {len(code) for code in codes}
    (1000, {'-'}, {9})
    """
    while True:
        wanted = CODE_LENGTH * count
        drawn = b""
        while len(drawn) < wanted:  # 15 of 16 bytes are kept: one draw nearly always suffices
            more = wanted - len(drawn)
            drawn += secrets.token_bytes(more + more // 8 + 16).translate(_CODE_BYTES, _CODE_REJECTED)
        text = drawn[:wanted].decode("ascii")
        codes = [f"{text[start : start + 4]}-{text[start + 4 : start + 8]}" for start in range(0, wanted, 8)]
        if len(set(codes)) == count:
            return codes


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
    _keyed: _Keyed = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.key) < 32:
            raise ValueError("a link key needs at least 32 bytes")
        object.__setattr__(self, "_keyed", _Keyed(self.key))

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

    def sign_many(self, refs: Sequence[str], expires_at: datetime) -> list[str]:
        """:meth:`sign` for many references expiring together (a campaign's links), the same tokens.

        >>> signer = LinkSigner(b"k" * 32)
        >>> expires = datetime(2026, 7, 31, tzinfo=UTC)
        >>> signer.sign_many(["ABCDEFGH12", "0123456789"], expires) == [
        ...     signer.sign("ABCDEFGH12", expires), signer.sign("0123456789", expires)]
        True
        """
        minutes = int((expires_at - EPOCH).total_seconds() // 60)
        expiry = _encode(minutes, EXPIRY_LENGTH)
        bodies = [ref + expiry for ref in refs]
        digests = self._keyed.links([body.encode() for body in bodies])
        tags = _crockford(b"".join([digest[:10] for digest in digests]))
        return [
            body + tags[start : start + TAG_LENGTH]
            for start, body in zip(range(0, len(tags), TAG_LENGTH), bodies, strict=True)
        ]

    def code_digest(self, code: str) -> str:
        """What is stored of a code: a keyed digest, so the table alone does not reveal the codes."""
        normalised = normalise_code(code)
        return hmac.new(self.key, b"cartax-code|" + normalised.encode(), hashlib.sha256).hexdigest()

    def code_digests(self, codes: Sequence[str]) -> list[str]:
        """:meth:`code_digest` of many codes as :func:`new_codes` makes them (``XXXX-XXXX``).

        >>> signer = LinkSigner(b"k" * 32)
        >>> signer.code_digests(["K7Q2-M9XP"]) == [signer.code_digest("K7Q2-M9XP")]
        True
        """
        digests = self._keyed.codes([(printed[:4] + printed[5:]).encode() for printed in codes])
        return [digest.hex() for digest in digests]

    def _tag(self, body: str) -> str:
        digest = hmac.new(self.key, b"cartax-link|" + body.encode(), hashlib.sha256).digest()
        return _encode(int.from_bytes(digest[:10]), TAG_LENGTH)


_RFC_TO_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET.encode())


def _crockford(data: bytes) -> str:
    """``data`` (a multiple of 5 bytes) in Crockford base32, most significant bits first, as :func:`_encode`.

    >>> _crockford(bytes(range(10))) == _encode(int.from_bytes(bytes(range(10))), 16)
    True
    """
    return base64.b32encode(data).translate(_RFC_TO_CROCKFORD).decode("ascii")


class _Keyed:
    """HMAC-SHA256 (RFC 2104) under one key for the two uses of the link key, with the key's inner and
    outer states computed once: the same digests as :mod:`hmac`, for a campaign's thousands of messages.

    >>> keyed = _Keyed(b"k" * 32)
    >>> keyed.codes([b"K7Q2M9XP"]) == [hmac.new(b"k" * 32, b"cartax-code|K7Q2M9XP", hashlib.sha256).digest()]
    True
    """

    __slots__ = ("_code", "_link", "_outer")

    def __init__(self, key: bytes) -> None:
        block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
        inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in block))
        self._outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in block))
        self._code = inner.copy()
        self._code.update(b"cartax-code|")
        self._link = inner
        self._link.update(b"cartax-link|")

    def codes(self, normalised: Iterable[bytes]) -> list[bytes]:
        return self._many(self._code, normalised)

    def links(self, bodies: Iterable[bytes]) -> list[bytes]:
        return self._many(self._link, bodies)

    def _many(self, prefixed: Any, messages: Iterable[bytes]) -> list[bytes]:
        outer = self._outer
        digests: list[bytes] = []
        for message in messages:
            inner = prefixed.copy()
            inner.update(message)
            result = outer.copy()
            result.update(inner.digest())
            digests.append(result.digest())
        return digests
