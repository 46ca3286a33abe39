"""Personal data at rest: AES-256-GCM encryption, a keyed HMAC blind index, and row fingerprints.

Tokens read ``v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>``. The key id travels with every token,
so a new key can be introduced while old tokens still decrypt (pass the old secrets as ``previous``),
and a re-encryption job can find the tokens still under an old key. Each token is bound to where it
is stored (``context``, e.g. ``registry_owners.rrn:O1``) as associated data: a token copied into
another row or column does not decrypt.

Keys are derived with HKDF-SHA-256 from the configured secrets, one purpose each, so that the secret
behind the encryption key never also serves as an HMAC key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from cartax.core.errors import CartaxError

VERSION = "v1"
NONCE_BYTES = 12


class DecryptionError(CartaxError):
    """A token is malformed, under an unknown key, altered, or stored somewhere else than it was made for."""


class PiiCipher:
    """Encrypts and indexes personal data; holds no plaintext and logs nothing."""

    def __init__(self, key: bytes, index_key: bytes, previous: Sequence[bytes] = ()) -> None:
        if len(key) != 32 or any(len(old) != 32 for old in previous):
            raise ValueError("encryption keys are 32 bytes (AES-256)")
        self._key_id = key_id(key)
        self._ciphers = {key_id(k): AESGCM(k) for k in (*previous, key)}
        self._index_key = _derive(index_key, b"cartax/rrn-blind-index/v1")
        self._fingerprint_key = _derive(index_key, b"cartax/pii-fingerprint/v1")

    @classmethod
    def from_secrets(cls, pii_key: str, blind_index_key: str, previous: Sequence[str] = ()) -> PiiCipher:
        """Build from the configured secrets (``CARTAX_PII_KEY``, ``CARTAX_BLIND_INDEX_KEY``)."""
        return cls(
            _derive(pii_key.encode(), b"cartax/pii/aes-256-gcm/v1"),
            blind_index_key.encode(),
            [_derive(old.encode(), b"cartax/pii/aes-256-gcm/v1") for old in previous],
        )

    @property
    def key_id(self) -> str:
        """The id of the key new tokens are made with."""
        return self._key_id

    def encrypt(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self._key_id].encrypt(nonce, plaintext.encode(), context.encode())
        return f"{VERSION}.{self._key_id}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, context: str) -> str:
        version, _, rest = token.partition(".")
        kid, _, body = rest.partition(".")
        cipher = self._ciphers.get(kid)
        if version != VERSION or cipher is None or not body:
            raise DecryptionError(f"not a {VERSION} token under a known key (key id {kid or 'missing'})")
        try:
            raw = base64.urlsafe_b64decode(body)
            return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode()
        except (InvalidTag, ValueError):
            raise DecryptionError(
                "the token does not decrypt: altered, or stored elsewhere than it was made for"
            ) from None

    def blind_index(self, rrn: str) -> str:
        """Keyed HMAC-SHA-256 of a resident registration number, for exact look-up without decryption.

        Hyphens and spaces are ignored, so ``900101-1234567`` and ``9001011234567`` index alike.
        """
        normal = "".join(rrn.split()).replace("-", "")
        return hmac.new(self._index_key, normal.encode(), hashlib.sha256).hexdigest()

    def fingerprint(self, values: Sequence[str | None]) -> str:
        """Keyed digest of a row's personal values: tells whether they changed without decrypting them."""
        canonical = json.dumps(list(values), ensure_ascii=False, separators=(",", ":"))
        return hmac.new(self._fingerprint_key, canonical.encode(), hashlib.sha256).hexdigest()


def key_id(key: bytes) -> str:
    """A short public name of a key (a key check value): HMAC of a fixed label, never the key itself."""
    return hmac.new(key, b"cartax key id", hashlib.sha256).hexdigest()[:8]


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)
