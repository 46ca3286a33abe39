"""Encryption of personal data at rest, the blind index and fingerprints."""

from __future__ import annotations

import hashlib

import pytest

from cartax.infra.crypto import DecryptionError, PiiCipher

RRN = "900101-1234567"


PII_KEY = "test-pii-key"
INDEX_KEY = "test-index-key"


def make_cipher(secret: str = PII_KEY, index: str = INDEX_KEY, previous: tuple[str, ...] = ()) -> PiiCipher:
    return PiiCipher.from_secrets(secret, index, previous)


def test_round_trip_of_korean_text() -> None:
    cipher = make_cipher()
    token = cipher.encrypt("서울특별시 종로구 세종대로 1", "registry_owners.address:O1")
    assert cipher.decrypt(token, "registry_owners.address:O1") == "서울특별시 종로구 세종대로 1"


def test_a_token_names_its_key_and_hides_the_value() -> None:
    cipher = make_cipher()
    first, second = (cipher.encrypt(RRN, "ctx") for _ in range(2))
    assert first.startswith(f"v1.{cipher.key_id}.")
    assert first != second  # a fresh nonce each time
    assert RRN not in first
    assert "1234567" not in first


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token,  # right token, wrong place: checked below with another context
        lambda token: token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1],
        lambda token: "v2" + token[2:],
        lambda token: token.replace(token.split(".")[1], "00000000"),
        lambda _token: "garbage",
    ],
)
def test_altered_misplaced_or_unknown_tokens_do_not_decrypt(tamper: object) -> None:
    cipher = make_cipher()
    token = cipher.encrypt(RRN, "registry_owners.rrn:O1")
    with pytest.raises(DecryptionError):
        cipher.decrypt(tamper(token), "registry_owners.rrn:O2")  # type: ignore[operator]


def test_keys_rotate_old_tokens_still_decrypt() -> None:
    old = make_cipher("old-secret")
    token = old.encrypt(RRN, "ctx")
    rotated = make_cipher("new-secret", previous=("old-secret",))
    assert rotated.key_id != old.key_id
    assert rotated.decrypt(token, "ctx") == RRN
    assert rotated.encrypt(RRN, "ctx").split(".")[1] == rotated.key_id
    with pytest.raises(DecryptionError):
        make_cipher("new-secret").decrypt(token, "ctx")


def test_blind_index_is_keyed_and_ignores_hyphens_and_spaces() -> None:
    cipher = make_cipher()
    assert (
        cipher.blind_index(RRN)
        == cipher.blind_index("9001011234567")
        == cipher.blind_index(" 900101 1234567")
    )
    assert cipher.blind_index(RRN) != cipher.blind_index("900101-1234568")
    assert cipher.blind_index(RRN) != make_cipher(index="other").blind_index(RRN)
    assert cipher.blind_index(RRN) != hashlib.sha256(b"9001011234567").hexdigest()


def test_fingerprint_tells_any_change() -> None:
    cipher = make_cipher()
    base = cipher.fingerprint([RRN, "010-0000-0001", None])
    assert base == cipher.fingerprint([RRN, "010-0000-0001", None])
    assert base != cipher.fingerprint([RRN, "010-0000-0002", None])
    assert base != cipher.fingerprint([RRN, "010-0000-0001", ""])
    assert RRN not in base


def test_keys_must_be_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        PiiCipher(b"short", b"index")
