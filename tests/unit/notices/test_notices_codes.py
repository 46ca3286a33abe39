"""Document ids and verification codes: stable for the same content, keyed, typed back as printed."""

from __future__ import annotations

from cartax.notices.codes import (
    CODE_LENGTH,
    content_digest,
    document_id,
    grouped,
    normalise_code,
    seal,
    seal_matches,
)

DIGEST = content_digest({"case_key": "C-1", "payable": 250_040})


def test_the_same_content_under_the_same_template_is_the_same_document() -> None:
    first = document_id("refund_notice", "C-1", "refund_notice@1+abcd1234", DIGEST)
    assert first == document_id("refund_notice", "C-1", "refund_notice@1+abcd1234", DIGEST)
    assert first != document_id("refund_notice", "C-1", "refund_notice@2+abcd1234", DIGEST)
    assert first != document_id("payment_decision", "C-1", "refund_notice@1+abcd1234", DIGEST)
    assert first != document_id("refund_notice", "C-1", "refund_notice@1+abcd1234", content_digest({}))


def test_a_code_depends_on_the_key_the_document_and_its_content() -> None:
    code = seal(b"office key", "doc-1", DIGEST)
    assert len(code) == CODE_LENGTH
    assert seal_matches(b"office key", "doc-1", DIGEST, code)
    assert not seal_matches(b"another key", "doc-1", DIGEST, code)
    assert not seal_matches(b"office key", "doc-2", DIGEST, code)
    assert not seal_matches(b"office key", "doc-1", content_digest({"payable": 1}), code)


def test_codes_are_read_back_as_people_type_them() -> None:
    code = seal(b"office key", "doc-1", DIGEST)
    assert normalise_code(grouped(code)) == code
    assert normalise_code(f"  {grouped(code).lower()} ") == code
    assert normalise_code("ABCD EFGH JKMN PQRS TVWO") == "ABCDEFGHJKMNPQRSTVW0"
    assert normalise_code("ABCDEFGHJKMNPQRSTVWU") is None  # U is not in Crockford's alphabet
    assert normalise_code("ABCD") is None
    assert normalise_code("<script>alert(1)</script>") is None
