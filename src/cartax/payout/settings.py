"""The payout context's settings, read from ``CARTAX_PAYOUT_*`` environment variables at start."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class PayoutSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CARTAX_PAYOUT_", extra="ignore")

    rail: str = "api"
    """``api`` (the open-banking transfer API) or ``file`` (transfer files for the municipality's bank)."""
    bank: str = "fake"
    """``fake`` (the built-in fake bank, development and demo only) or ``openbanking`` (HTTP)."""
    api_url: str = ""
    """Base URL of the open-banking API (``https://…``), for ``bank=openbanking``."""
    api_token: SecretStr = SecretStr("")
    """Bearer access token of the open-banking API (scope ``oob``)."""
    org_code: str = "M202600001"
    """이용기관코드: the 10-character institution code that starts every transfer id."""
    cooling_off_hours: int = Field(default=72, ge=0, le=24 * 30)
    """Hours payouts to a changed account wait (the person was told on their old and new contact)."""
    lease_seconds: float = Field(default=30.0, gt=0)
    """How long a worker owns a claimed payment before another may take it over (after asking the bank)."""
    retry_seconds: float = Field(default=60.0, gt=0)
    """Wait before asking the bank again about a transfer whose result is unknown."""
    batch_size: int = Field(default=100, ge=1, le=10_000)
    """Payments claimed per worker round."""
    debtor_name: str = "서울특별시 강남구"
    """The paying municipality, as written in bank files."""
    debtor_account: str = "1005001234567"
    """The municipality's account at its bank (금고), as written in bank files."""
    debtor_bank: str = "020"
    files_dir: Path = Path("var/payout")
    """Where bank files are written and result files are read from."""
    http_timeout_seconds: float = Field(default=10.0, gt=0)

    @field_validator("rail")
    @classmethod
    def _rail(cls, value: str) -> str:
        if value not in ("api", "file"):
            raise ValueError("CARTAX_PAYOUT_RAIL must be 'api' or 'file'")
        return value

    @field_validator("bank")
    @classmethod
    def _bank(cls, value: str) -> str:
        if value not in ("fake", "openbanking"):
            raise ValueError("CARTAX_PAYOUT_BANK must be 'fake' or 'openbanking'")
        return value

    @field_validator("org_code")
    @classmethod
    def _org_code(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z0-9]{10}", value):
            raise ValueError("CARTAX_PAYOUT_ORG_CODE is 10 capital letters or digits, e.g. M202600001")
        return value

    @property
    def cooling_off(self) -> timedelta:
        return timedelta(hours=self.cooling_off_hours)
