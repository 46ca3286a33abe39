"""Document ids, content digests and verification codes (standard library only).

A document's id is derived from what it says (kind, case, template version and the digest of its
facts), so issuing the same document twice gives the same id and code. Its code is a keyed HMAC over the
id and the digest, so nobody without the office's key can make a code that verifies, and changing a
recorded amount or date breaks the seal. The code is 20 characters of Crockford's base32 (no I, L, O,
U: nothing to confuse when typed from paper), printed in groups of four; 100 bits cannot be guessed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from base64 import b32encode
from collections.abc import Mapping
from typing import Any

CODE_LENGTH = 20
_RFC_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TO_CROCKFORD = str.maketrans(_RFC_ALPHABET, _CROCKFORD)
# What people type for what they see: O for zero, I and L for one, and any case.
_READ_AS = str.maketrans("OILoil", "011011")


def canonical_json(value: Mapping[str, Any]) -> bytes:
    """The one byte form of a document's facts that digests are taken over."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def content_digest(facts: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical facts, hex.

    >>> content_digest({"b": 1, "a": "가"}) == content_digest({"a": "가", "b": 1})
    True
    """
    return hashlib.sha256(canonical_json(facts)).hexdigest()


def document_id(kind: str, case_key: str, template_version: str, digest: str) -> str:
    """The id of a document: the same content under the same template is the same document.

    >>> len(document_id("refund_notice", "c1", "refund_notice@1+abc", "0" * 64))
    32
    """
    seed = "\x1f".join((kind, case_key, template_version, digest)).encode()
    return hashlib.sha256(seed).hexdigest()[:32]


def seal(key: bytes, doc_id: str, digest: str) -> str:
    """The verification code of a document: HMAC-SHA256(key, id ∥ digest) as 20 base32 characters.

    >>> code = seal(b"k", "d1", "0" * 64)
    >>> len(code), code == seal(b"k", "d1", "0" * 64), code == seal(b"other key", "d1", "0" * 64)
    (20, True, False)
    """
    mac = hmac.new(key, f"{doc_id}:{digest}".encode(), hashlib.sha256).digest()
    return b32encode(mac).decode()[:CODE_LENGTH].translate(_TO_CROCKFORD)


def seal_matches(key: bytes, doc_id: str, digest: str, code: str) -> bool:
    return hmac.compare_digest(seal(key, doc_id, digest), code)


def normalise_code(text: str) -> str | None:
    """A code as typed or read (any case, hyphens, spaces, O for 0) in its stored form; None when it
    cannot be a code at all.

    >>> normalise_code("abcd-efgh-jkmn-pqrs-tvwo")
    'ABCDEFGHJKMNPQRSTVW0'
    >>> normalise_code("too-short") is None
    True
    """
    plain = "".join(text.split()).replace("-", "").translate(_READ_AS).upper()
    if len(plain) != CODE_LENGTH or any(char not in _CROCKFORD for char in plain):
        return None
    return plain


def grouped(code: str) -> str:
    """A code printed for people: groups of four.

    >>> grouped("ABCDEFGHJKMNPQRSTVW0")
    'ABCD-EFGH-JKMN-PQRS-TVW0'
    """
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
