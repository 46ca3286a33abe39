"""The notify context's settings, read from ``CARTAX_NOTIFY_*`` environment variables at start.

Providers default to the fakes (the embedded demo's inbox); outside development and test the
composition root refuses a fake (docs/notify.md lists what each provider needs).
"""

from __future__ import annotations

from datetime import time, timedelta

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cartax.notify.campaigns import ReminderPolicy
from cartax.notify.policy import QuietHours, RetryLadder


class NotifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CARTAX_NOTIFY_", extra="ignore")

    link_days: int = Field(default=30, ge=1, le=365)
    """How long the link in a message opens the person's case."""
    quiet_hours: bool = True
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    """No 알림톡, SMS or e-mail between these times, Seoul time."""
    district_burst: int = Field(default=50, ge=1)
    district_per_second: float = Field(default=20.0, gt=0)
    """Per-district quota (token bucket): messages at once, then per second on average."""
    daily_cap: int = Field(default=200_000, ge=1)
    """Messages per district per Seoul day; beyond it they wait for the next day."""
    retry_minutes: tuple[int, ...] = (1, 5, 30, 120)
    """The back-off ladder on one channel (JSON list); after it the next channel is tried."""
    lease_seconds: int = Field(default=120, ge=10)
    batch_size: int = Field(default=200, ge=1, le=5000)
    reminder_after_days: int = Field(default=14, ge=1)
    max_reminders: int = Field(default=3, ge=0, le=20)
    lapse_warning_days: int = Field(default=90, ge=1)
    """A reminder becomes a lapse warning when the refund lapses within this many days."""
    reminders_per_minute: int = Field(default=1000, ge=1, le=100_000)
    """Cohort size of the daily reminders the embedded mode runs by itself (services mode: a scheduler
    runs ``cartax notify remind``)."""
    verify_per_minute: int = Field(default=10, ge=1, le=600)
    """Code checks per client address per minute on ``/verify``."""

    alimtalk_provider: str = "fake"
    """``fake`` or ``nhn`` (NHN Cloud KakaoTalk Bizmessage 알림톡 API v2.3)."""
    nhn_base_url: str = "https://api-alimtalk.cloud.toast.com"
    nhn_appkey: str = ""
    nhn_secret_key: SecretStr = SecretStr("")
    nhn_sender_key: str = ""
    sms_provider: str = "fake"
    """``fake`` or ``solapi`` (SOLAPI messages API v4)."""
    solapi_base_url: str = "https://api.solapi.com"
    solapi_api_key: str = ""
    solapi_api_secret: SecretStr = SecretStr("")
    sms_sender: str = ""
    """The calling number registered with the SMS provider (발신번호 사전등록)."""
    email_provider: str = "fake"
    """``fake`` or ``smtp``."""
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    email_sender: str = "no-reply@cartax.example"
    provider_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    @model_validator(mode="after")
    def _known_providers(self) -> NotifySettings:
        for name, accepted in (
            ("alimtalk_provider", ("fake", "nhn")),
            ("sms_provider", ("fake", "solapi")),
            ("email_provider", ("fake", "smtp")),
        ):
            if getattr(self, name) not in accepted:
                raise ValueError(f"CARTAX_NOTIFY_{name.upper()} must be one of {', '.join(accepted)}")
        if any(minutes < 1 for minutes in self.retry_minutes) or len(self.retry_minutes) > 10:
            raise ValueError("CARTAX_NOTIFY_RETRY_MINUTES: 1 to 10 waits of at least 1 minute each")
        return self

    def ladder(self) -> RetryLadder:
        return RetryLadder(tuple(timedelta(minutes=minutes) for minutes in self.retry_minutes))

    def quiet(self) -> QuietHours:
        return QuietHours(self.quiet_start, self.quiet_end, self.quiet_hours)

    def reminder_policy(self) -> ReminderPolicy:
        return ReminderPolicy(
            after=timedelta(days=self.reminder_after_days),
            max_reminders=self.max_reminders,
            lapse_warning=timedelta(days=self.lapse_warning_days),
        )

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)

    @property
    def link_lifetime(self) -> timedelta:
        return timedelta(days=self.link_days)
