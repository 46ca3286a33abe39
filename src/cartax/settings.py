"""One typed settings object, read from ``CARTAX_*`` environment variables and validated at start.

Secrets have development defaults only: outside ``development``/``test`` a missing or default secret
stops the platform at start with a message naming the variable to set.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "development-only-secret-not-for-production"  # noqa: S105 - refused outside development


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CARTAX_", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    data_dir: Path = Path("var")
    database_url: str = ""
    """SQLAlchemy URL; empty means the embedded SQLite file ``<data_dir>/cartax.db``."""
    nats_url: str = "nats://127.0.0.1:4222"
    event_bus: str = "inprocess"
    """``inprocess`` (embedded) or ``nats`` (services mode)."""
    pii_key: SecretStr = SecretStr(DEV_SECRET)
    """Key material for encrypting personal data at rest (AES-GCM)."""
    blind_index_key: SecretStr = SecretStr(DEV_SECRET + "-index")
    """Key for the keyed HMAC blind index of resident registration numbers."""
    session_secret: SecretStr = SecretStr(DEV_SECRET + "-session")

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.environment is Environment.PRODUCTION:
            for name in ("pii_key", "blind_index_key", "session_secret"):
                if getattr(self, name).get_secret_value().startswith(DEV_SECRET):
                    raise ValueError(
                        f"CARTAX_{name.upper()} must be set to a real secret in production; "
                        "the development default is refused"
                    )
        return self

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'cartax.db'}"
