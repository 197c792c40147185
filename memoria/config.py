"""Configuration from environment variables, validated at start-up.

Every setting Memoria reads from the environment goes through this module, so
a mistake (a misspelt boolean, a PostgreSQL URL with the wrong scheme, a
production server without a secret key) stops the process at once with a
message naming the variable, instead of failing later on a user's request.

The embedded default needs no configuration at all: the SQLite database, the
generated secret key, the master key and uploaded files live in the data
directory (``MEMORIA_DATA_DIR``, by default ``~/.local/share/memoria``).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# Files Memoria makes (the SQLite database and its WAL, exports, backups) are its user's
# alone: group and others get no access, whatever the umask the process inherits.
PRIVATE_UMASK = 0o077

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


class ConfigError(Exception):
    """A configuration value is missing or malformed; the message names the variable."""


def env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name} must be one of true/false, yes/no, on/off, 1/0 (got {raw!r})")


def env_int(
    env: Mapping[str, str], name: str, default: int, minimum: int = 0, maximum: int | None = None
) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number (got {raw!r})") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum} (got {value})")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name} must be at most {maximum} (got {value})")
    return value


def env_list(env: Mapping[str, str], name: str, default: list[str]) -> list[str]:
    raw = env.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def default_data_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "memoria"


# A century: "keep them for ever" must not be a number of days before year 1 (the
# worker's prune would fail every hour on the date it deletes up to).
JOBS_KEEP_DAYS_MAX = 36500
# Ten years: the public feed's cutoff (now minus the delay) must stay a date.
PUBLISH_DELAY_HOURS_MAX = 87600


@dataclass(frozen=True)
class EmailConfig:
    host: str | None
    port: int
    user: str
    password: str
    use_tls: bool
    use_ssl: bool
    from_address: str


@dataclass(frozen=True)
class ReportsConfig:
    """The anonymous reporting form's limits and the public feed's delay (docs/reports.md)."""

    publish_delay_hours: int = 72
    rate_per_address: int = 10
    rate_per_organization: int = 300
    form_min_seconds: int = 3


@dataclass(frozen=True)
class Config:
    production: bool
    debug: bool
    data_dir: Path
    database_url: str
    secret_key: str
    allowed_hosts: list[str]
    csrf_trusted_origins: list[str]
    email: EmailConfig
    master_key_file: Path
    # Local addresses alert channels may send to (memoria.alerts.addresses).
    alerts_local_receivers: list[str] = field(default_factory=list)
    reports: ReportsConfig = field(default_factory=lambda: ReportsConfig())
    # Counts from 1 to this minus one leave an organization for its partners as
    # "fewer than k" (counts-only agreements, docs/network.md).
    network_small_count: int = 5
    # Days a finished job is kept, with its sealed data (a failed linkage run's
    # unreadable values), before the worker deletes it (memoria.jobs.handlers);
    # at most JOBS_KEEP_DAYS_MAX.
    jobs_keep_days: int = 30
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")


def load_config(env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the whole configuration; raise ConfigError on the first problem."""
    env = os.environ if env is None else env
    production = env_bool(env, "MEMORIA_PRODUCTION", False)
    debug = env_bool(env, "MEMORIA_DEBUG", False)
    if production and debug:
        raise ConfigError("MEMORIA_DEBUG cannot be on when MEMORIA_PRODUCTION is on")

    data_dir = Path(env.get("MEMORIA_DATA_DIR") or default_data_dir(env)).expanduser()
    if data_dir.exists() and not data_dir.is_dir():
        raise ConfigError(f"MEMORIA_DATA_DIR is not a directory: {data_dir}")

    return Config(
        production=production,
        debug=debug,
        data_dir=data_dir,
        database_url=_database_url(env, data_dir),
        secret_key=_secret_key(env, data_dir, production),
        allowed_hosts=_allowed_hosts(env, production),
        csrf_trusted_origins=env_list(env, "MEMORIA_CSRF_TRUSTED_ORIGINS", []),
        email=_email(env),
        master_key_file=Path(
            env.get("MEMORIA_MASTER_KEY_FILE") or data_dir / "keys" / "master.key"
        ).expanduser(),
        alerts_local_receivers=env_list(env, "MEMORIA_ALERTS_LOCAL_RECEIVERS", []),
        reports=_reports(env),
        network_small_count=env_int(env, "MEMORIA_NETWORK_SMALL_COUNT", 5, minimum=2),
        jobs_keep_days=env_int(
            env, "MEMORIA_JOBS_KEEP_DAYS", 30, minimum=1, maximum=JOBS_KEEP_DAYS_MAX
        ),
    )


def _reports(env: Mapping[str, str]) -> ReportsConfig:
    defaults = ReportsConfig()
    return ReportsConfig(
        publish_delay_hours=env_int(
            env,
            "MEMORIA_REPORTS_PUBLISH_DELAY_HOURS",
            defaults.publish_delay_hours,
            maximum=PUBLISH_DELAY_HOURS_MAX,
        ),
        rate_per_address=env_int(
            env, "MEMORIA_REPORTS_RATE_PER_ADDRESS", defaults.rate_per_address, minimum=1
        ),
        rate_per_organization=env_int(
            env,
            "MEMORIA_REPORTS_RATE_PER_ORGANIZATION",
            defaults.rate_per_organization,
            minimum=1,
        ),
        form_min_seconds=env_int(
            env, "MEMORIA_REPORTS_FORM_MIN_SECONDS", defaults.form_min_seconds
        ),
    )


def _database_url(env: Mapping[str, str], data_dir: Path) -> str:
    url = env.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{data_dir / 'memoria.sqlite3'}"
    scheme = url.split(":", 1)[0].lower()
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ConfigError(
            f"DATABASE_URL must start with sqlite:// or postgres:// (got scheme {scheme!r})"
        )
    return url


def _secret_key(env: Mapping[str, str], data_dir: Path, production: bool) -> str:
    key = env.get("MEMORIA_SECRET_KEY", "").strip()
    if key:
        if len(key) < 50:
            raise ConfigError("MEMORIA_SECRET_KEY must be at least 50 characters long")
        return key
    if production:
        raise ConfigError(
            "MEMORIA_SECRET_KEY is required when MEMORIA_PRODUCTION is on "
            "(generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(64))')"
        )
    return _stored_secret_key(data_dir)


def _stored_secret_key(data_dir: Path) -> str:
    """Generate the embedded default's secret key once and keep it in the data directory."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(64)
    # O_EXCL: two processes starting together must not write two different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _allowed_hosts(env: Mapping[str, str], production: bool) -> list[str]:
    hosts = env_list(env, "MEMORIA_ALLOWED_HOSTS", [])
    if hosts:
        return hosts
    if production:
        raise ConfigError(
            "MEMORIA_ALLOWED_HOSTS is required when MEMORIA_PRODUCTION is on "
            "(comma-separated host names, e.g. memoria.example.org)"
        )
    return ["127.0.0.1", "localhost", "[::1]"]


def _email(env: Mapping[str, str]) -> EmailConfig:
    use_tls = env_bool(env, "MEMORIA_EMAIL_USE_TLS", False)
    use_ssl = env_bool(env, "MEMORIA_EMAIL_USE_SSL", False)
    if use_tls and use_ssl:
        raise ConfigError("MEMORIA_EMAIL_USE_TLS and MEMORIA_EMAIL_USE_SSL cannot both be on")
    return EmailConfig(
        host=env.get("MEMORIA_EMAIL_HOST") or None,
        port=env_int(env, "MEMORIA_EMAIL_PORT", 587 if use_tls else 25, minimum=1),
        user=env.get("MEMORIA_EMAIL_USER", ""),
        password=env.get("MEMORIA_EMAIL_PASSWORD", ""),
        use_tls=use_tls,
        use_ssl=use_ssl,
        from_address=env.get("MEMORIA_EMAIL_FROM", "Memoria <memoria@localhost>"),
    )
