"""Channels and fallback, statuses, quiet hours, quotas, the retry ladder, signed links and codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cartax.notify import Channel, Contacts, LinkInvalidError, Preferences, Status, channel_plan
from cartax.notify.links import TOKEN_LENGTH, LinkSigner, new_code, normalise_code
from cartax.notify.model import STATUS_MOVES, can_move, next_channel
from cartax.notify.policy import QuietHours, RetryLadder, TokenBucket, next_seoul_midnight, seoul_day

EVERYTHING = Contacts(alimtalk=True, sms=True, email=True, letter=True)


def test_the_fallback_goes_alimtalk_sms_letter_and_email_letter() -> None:
    assert channel_plan(Preferences("p"), EVERYTHING) == [Channel.ALIMTALK, Channel.SMS, Channel.LETTER]
    assert channel_plan(Preferences("p", Channel.EMAIL), EVERYTHING) == [Channel.EMAIL, Channel.LETTER]
    phone_only = Contacts(alimtalk=True, sms=True, email=False, letter=False)
    assert channel_plan(Preferences("p"), phone_only) == [Channel.ALIMTALK, Channel.SMS]
    assert next_channel(Channel.SMS, Preferences("p"), phone_only) is None
    nothing = Contacts(alimtalk=False, sms=False, email=False, letter=False)
    assert channel_plan(Preferences("p"), nothing) == []


def test_final_statuses_move_nowhere() -> None:
    assert {status for status, moves in STATUS_MOVES.items() if not moves} == {
        Status.DELIVERED,
        Status.FAILED,
        Status.SUPPRESSED,
    }
    assert can_move(Status.SENT, Status.DELIVERED)
    assert not can_move(Status.FAILED, Status.SENT)


@pytest.mark.parametrize(
    ("utc_hour", "held_until_utc"),
    [
        (11, None),  # 20:00 in Seoul
        (12, datetime(2026, 7, 1, 23, 0, tzinfo=UTC)),  # 21:00 → next 08:00
        (18, datetime(2026, 7, 1, 23, 0, tzinfo=UTC)),  # 03:00 → the same morning's 08:00
        (23, None),  # 08:00
    ],
)
def test_quiet_hours_in_seoul(utc_hour: int, held_until_utc: datetime | None) -> None:
    moment = datetime(2026, 7, 1, utc_hour, 0, tzinfo=UTC)
    held = QuietHours().next_allowed(moment, Channel.ALIMTALK)
    assert (held.astimezone(UTC) if held else None) == held_until_utc
    assert QuietHours().next_allowed(moment, Channel.LETTER) is None
    assert QuietHours(enabled=False).next_allowed(moment, Channel.SMS) is None


def test_the_seoul_day_turns_at_midnight_seoul() -> None:
    late = datetime(2026, 7, 1, 15, 30, tzinfo=UTC)  # 00:30 on 2 July in Seoul
    assert seoul_day(late) == "2026-07-02"
    assert next_seoul_midnight(late).astimezone(UTC) == datetime(2026, 7, 2, 15, 0, tzinfo=UTC)


def test_the_ladder_is_bounded() -> None:
    ladder = RetryLadder((timedelta(minutes=1), timedelta(minutes=5)))
    assert [ladder.delay(n) for n in (1, 2, 3)] == [timedelta(minutes=1), timedelta(minutes=5), None]
    assert ladder.max_attempts == 3


def test_a_token_bucket_refills_at_its_rate() -> None:
    bucket = TokenBucket(burst=3, per_second=2.0)
    assert [bucket.take(0.0) for _ in range(4)] == [0.0, 0.0, 0.0, 0.5]
    assert bucket.take(0.5) == 0.0
    with pytest.raises(ValueError, match="burst"):
        TokenBucket(burst=0, per_second=1.0)


def test_a_link_is_short_signed_and_expiring() -> None:
    signer = LinkSigner(b"k" * 32)
    now = datetime(2026, 7, 1, tzinfo=UTC)
    token = signer.sign("ABCDEFGH12", now + timedelta(days=30))
    assert len(token) == TOKEN_LENGTH
    assert signer.open(token.lower(), now) == "ABCDEFGH12"
    with pytest.raises(LinkInvalidError) as other_key:
        LinkSigner(b"x" * 32).open(token, now)
    assert other_key.value.code == "link_invalid"
    prolonged = token[:10] + "ZZZZZZ" + token[16:]
    with pytest.raises(LinkInvalidError):
        signer.open(prolonged, now)
    with pytest.raises(LinkInvalidError) as late:
        signer.open(token, now + timedelta(days=30))
    assert late.value.code == "link_expired"
    with pytest.raises(LinkInvalidError):
        signer.open("../../etc/passwd", now)


def test_codes_are_typed_leniently_and_stored_as_keyed_digests() -> None:
    code = new_code()
    signer = LinkSigner(b"k" * 32)
    assert signer.code_digest(code) == signer.code_digest(code.lower().replace("-", " "))
    assert signer.code_digest(code) != LinkSigner(b"j" * 32).code_digest(code)
    assert code.replace("-", "") not in signer.code_digest(code)
    with pytest.raises(Exception, match="8"):
        normalise_code("K7Q2-M9X")
    with pytest.raises(Exception, match="8"):
        normalise_code("K7Q2-M9X0")  # 0 is never in a code
