"""Masking of personal data for screens, notices and exports (pure, standard library only).

Every screen that does not need a person's full number shows it masked; the full value is shown only to
a role allowed to see it, for a stated reason, and that access is audited (see docs/security.md).

The rules, which are the common Korean public-sector conventions:

- resident registration number (주민등록번호): the birth date and the first digit of the back part
  (sex and century) stay, the other six digits become ``*``: ``900101-1******``.
- account number (계좌번호): only the last four digits stay, always in the same shape
  ``****-**-NNNN``, so the mask reveals neither the bank's grouping nor the length.
- phone number: the middle group becomes ``*``: ``010-****-5678``.
- name: the first and the last character stay, those between become ``*`` (``홍*동``); a two-character
  name keeps its first character (``김*``).
- e-mail: the first two characters of the local part and the domain stay: ``ho****@example.kr``.

A value that does not have the expected shape is refused with :class:`MaskingError`, whose message
never contains the value itself (so it cannot leak into a log or an error page).
"""

from __future__ import annotations

import re

from cartax.core.errors import CartaxError

_RRN = re.compile(r"(\d{6})-?(\d)(\d{6})")
_ACCOUNT_SEPARATORS = re.compile(r"[-\s]")
_PHONE = re.compile(r"(02|0[1-9]\d)-?(\d{3,4})-?(\d{4})")  # 02 is Seoul's two-digit area code
MIN_ACCOUNT_DIGITS = 8
MAX_ACCOUNT_DIGITS = 20


class MaskingError(CartaxError, ValueError):
    """A value given for masking does not have the shape of what it claims to be."""


def mask_rrn(rrn: str) -> str:
    """A resident registration number with the last six digits hidden.

    >>> mask_rrn("900101-1234567")
    '900101-1******'
    >>> mask_rrn("9001012234567")
    '900101-2******'
    """
    match = _RRN.fullmatch(rrn.strip())
    if match is None:
        raise MaskingError(
            "a resident registration number has 13 digits, written 900101-1234567 or 9001011234567; "
            "the value given has another shape"
        )
    return f"{match.group(1)}-{match.group(2)}******"


def mask_account(account: str) -> str:
    """An account number reduced to its last four digits, in the fixed shape ``****-**-NNNN``.

    >>> mask_account("110-123-456789")
    '****-**-6789'
    >>> mask_account("1002 345 678901")
    '****-**-8901'
    """
    digits = _ACCOUNT_SEPARATORS.sub("", account.strip())
    if (
        not digits.isascii()
        or not digits.isdigit()
        or not MIN_ACCOUNT_DIGITS <= len(digits) <= MAX_ACCOUNT_DIGITS
    ):
        raise MaskingError(
            f"an account number has {MIN_ACCOUNT_DIGITS} to {MAX_ACCOUNT_DIGITS} digits, optionally "
            "grouped with hyphens or spaces; the value given has another shape"
        )
    return f"****-**-{digits[-4:]}"


def mask_phone(phone: str) -> str:
    """A Korean phone number with its middle group hidden.

    >>> mask_phone("010-1234-5678")
    '010-****-5678'
    >>> mask_phone("0212345678")
    '02-****-5678'
    """
    match = _PHONE.fullmatch(phone.strip())
    if match is None:
        raise MaskingError(
            "a phone number is written like 010-1234-5678 or 02-123-4567 (hyphens optional); "
            "the value given has another shape"
        )
    return f"{match.group(1)}-{'*' * len(match.group(2))}-{match.group(3)}"


def mask_name(name: str) -> str:
    """A person's name with the characters between the first and the last hidden.

    >>> mask_name("홍길동"), mask_name("김구"), mask_name("남궁민수")
    ('홍*동', '김*', '남**수')
    """
    text = name.strip()
    if not text:
        raise MaskingError("a name to mask is empty; give the name as registered")
    if len(text) <= 2:
        return text[0] + "*"
    return text[0] + "*" * (len(text) - 2) + text[-1]


def mask_email(email: str) -> str:
    """An e-mail address with all but the first two characters of its local part hidden.

    >>> mask_email("hong.gildong@example.kr")
    'ho**********@example.kr'
    """
    local, at, domain = email.strip().rpartition("@")
    if not at or not local or not domain:
        raise MaskingError("an e-mail address is written name@domain; the value given has another shape")
    return local[:2] + "*" * max(len(local) - 2, 1) + "@" + domain
