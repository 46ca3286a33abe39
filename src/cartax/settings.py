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


def _installed_krds() -> Path:
    """``node_modules/krds-uiux`` of the working directory or, failing that, of the source checkout this
    package runs from (``make install`` puts it there), so that ``cartax serve`` started from another
    folder keeps its styles."""
    relative = Path("node_modules/krds-uiux")
    checkout = Path(__file__).resolve().parents[2] / relative
    return checkout if not relative.is_dir() and checkout.is_dir() else relative


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CARTAX_", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str = ""
    """The address people reach the platform at (``https://…``, no trailing path); empty means
    ``http://<host>:<port>``. The OpenID redirect and the demo provider's issuer are built from it."""
    # Officer sign-in and sessions, citizen sessions (docs/security.md).
    officer_lockout_threshold: int = Field(default=5, ge=1, le=100)
    """Failed sign-ins within the window that lock an officer's account until an administrator unlocks it."""
    officer_lockout_window_minutes: int = Field(default=15, ge=1)
    officer_idle_minutes: int = Field(default=15, ge=3)
    officer_absolute_hours: int = Field(default=8, ge=1, le=24)
    citizen_idle_minutes: int = Field(default=15, ge=3)
    citizen_absolute_hours: int = Field(default=2, ge=1, le=24)
    session_warning_minutes: int = Field(default=2, ge=2)
    """How long before a session ends the screen offers to extend it (at least 2 minutes)."""
    oidc_issuer: str = ""
    """The citizens' OpenID provider; empty outside production means the built-in demo provider."""
    demo_identities: int = Field(default=5, ge=1, le=100_000)
    """How many owners with cases the built-in demo provider offers (a load test offers thousands);
    nothing outside development and test, where that provider is refused."""
    oidc_client_id: str = "cartax-portal"
    oidc_client_secret: SecretStr = SecretStr("")
    audit_chain_key: SecretStr = SecretStr(DEV_SECRET + "-audit-chain")
    """HMAC key sealing the audit chain (docs/adr/0001-audit-hash-chain.md); kept outside the database."""
    audit_chain_old_keys: SecretStr = SecretStr("")
    """Retired audit chain keys, comma-separated, so records sealed with them still verify."""
    audit_anchor_file: Path | None = None
    """Append-only file of audit chain anchors; ``<data_dir>/audit-anchors.jsonl`` when unset."""
    data_dir: Path = Path("var")
    database_url: str = ""
    """SQLAlchemy URL; empty means the embedded SQLite file ``<data_dir>/cartax.db``."""
    database_pool_size: int = Field(default=15, ge=1, le=200)
    """Database connections a web process keeps open (and as many again for a busy moment). It serves up
    to 40 requests at once from its thread pool; connections beyond those kept are opened and closed per
    request, which costs PostgreSQL a new server process each time."""
    nats_url: str = "nats://127.0.0.1:4222"
    event_bus: str = "inprocess"
    """``inprocess`` (embedded) or ``nats`` (services mode)."""
    pii_key: SecretStr = SecretStr(DEV_SECRET)
    """Key material for encrypting personal data at rest (AES-GCM)."""
    pii_old_keys: SecretStr = SecretStr("")
    """Retired personal-data keys, comma-separated: they still decrypt (see ``cartax keys rotate``)."""
    blind_index_key: SecretStr = SecretStr(DEV_SECRET + "-index")
    """Key for the keyed HMAC blind index of resident registration numbers."""
    session_secret: SecretStr = SecretStr(DEV_SECRET + "-session")
    notice_seal_key: SecretStr = SecretStr(DEV_SECRET + "-notice-seal")
    """HMAC key sealing the verification codes printed on notices (docs/notices.md); outside the database."""
    notice_font_dir: Path = Path("/usr/share/fonts/truetype/nanum")
    """The Korean fonts embedded in notices (Debian's fonts-nanum, installed by ``make install``)."""
    notice_print_workers: int = Field(default=2, ge=1, le=64)
    """Processes that typeset a bulk print's parts at once (one per core is right; 1 typesets in-process)."""
    krds_dir: Path = Field(default_factory=_installed_krds)
    """The KRDS design system (npm ``krds-uiux``) installed by ``make install``; plain styles without it."""

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.environment is Environment.PRODUCTION:
            for name in (
                "pii_key",
                "blind_index_key",
                "session_secret",
                "audit_chain_key",
                "notice_seal_key",
            ):
                if getattr(self, name).get_secret_value().startswith(DEV_SECRET):
                    raise ValueError(
                        f"CARTAX_{name.upper()} must be set to a real secret in production; "
                        "the development default is refused"
                    )
        return self

    @property
    def effective_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'cartax.db'}"
