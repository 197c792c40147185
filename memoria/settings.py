"""Django settings, built from the validated configuration in ``memoria.config``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url

from memoria.config import load_config

CONFIG = load_config()

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = CONFIG.data_dir
DATA_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
DATA_DIR.chmod(0o700)  # the database, its WAL, keys and uploads: for Memoria's user only

DEBUG = CONFIG.debug
PRODUCTION = CONFIG.production
SECRET_KEY = CONFIG.secret_key
ALLOWED_HOSTS = CONFIG.allowed_hosts
CSRF_TRUSTED_ORIGINS = CONFIG.csrf_trusted_origins

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "memoria.core",
    "memoria.places",
    "memoria.accounts",
    "memoria.vault",
    "memoria.audit",
    "memoria.jobs",
    "memoria.sharing",
    "memoria.exchange",
    "memoria.cases",
    "memoria.victims",
    "memoria.protection",
    "memoria.analysis",
    "memoria.network",
    "memoria.search",
    "memoria.alerts",
    "memoria.checkins",
    "memoria.reports",
    "memoria.public",
    "memoria.capture",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "memoria.core.middleware.ContentSecurityPolicyMiddleware",
    "memoria.core.middleware.PrivatePagesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "memoria.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "memoria.accounts.twofactor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns lockouts into the locked-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "memoria.urls"
WSGI_APPLICATION = "memoria.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "memoria.core.context_processors.platform",
            ],
        },
    },
]

# Database: SQLite in the data directory unless DATABASE_URL says otherwise.
DATABASES = {"default": dj_database_url.parse(CONFIG.database_url, conn_max_age=60)}
if CONFIG.uses_sqlite:
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers proceed while one writer commits; IMMEDIATE avoids
        # "database is locked" upgrades from read to write transactions.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Django's checks, with sentences that address the person as "tú" (memoria.accounts.passwords).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "memoria.accounts.passwords.UserAttributeSimilarityValidator"},
    {
        "NAME": "memoria.accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "memoria.accounts.passwords.CommonPasswordValidator"},
    {"NAME": "memoria.accounts.passwords.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a reset link is good for one day

# django-axes checks every password attempt first: after five wrong passwords
# for one account from one address, that pair waits fifteen minutes.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # the sign-in form's field (it holds the e-mail)
# What was typed as the name is never stored: axes keeps a keyed digest of it, and
# its own log of successful sign-ins is off (the audit log records them).
AXES_USERNAME_CALLABLE = "memoria.audit.log.lockout_name"
AXES_DISABLE_ACCESS_LOG = True
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# Two-step sign-in (TOTP apps and recovery codes); see memoria.accounts.twofactor.
OTP_TOTP_ISSUER = "Memoria"

# Sessions end when the browser closes and after two idle hours at most.
SESSION_COOKIE_AGE = 60 * 60 * 2
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# A refused form gets a Memoria page that says what to do, not Django's bare one.
CSRF_FAILURE_VIEW = "memoria.core.errors.csrf_failure"

# Internationalization: Spanish (Mexico) first, English second.
# memoria/formats/: English times without "a.m." (which doubled the period ending a sentence).
FORMAT_MODULE_PATH = ["memoria.formats"]
LANGUAGE_CODE = "es-mx"
# Each language is named in itself, so anyone can find their own.
LANGUAGES = [("es-mx", "Español (México)"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "America/Mexico_City"
LANGUAGE_COOKIE_NAME = "memoria_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed names let browsers cache assets for a year; production runs
        # collectstatic (``memoria serve`` does it), development reads the app folders.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = DATA_DIR / "uploads"

# Uploads (attachments, import spreadsheets) stay in memory, never in a temporary
# file in clear; past the first limit a file's content is thrown away and the
# form says it is too large, past the second the request is refused unread.
# See memoria.core.uploads.
FILE_UPLOAD_HANDLERS = ["memoria.core.uploads.MemoryOnlyUploadHandler"]
MEMORIA_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
MEMORIA_UPLOAD_MAX_REQUEST_BYTES = 2 * MEMORIA_UPLOAD_MAX_BYTES + 1024 * 1024
# Only used by Django's own handlers and by ASGI request bodies: keeps them in
# memory too, should either ever be used.
FILE_UPLOAD_MAX_MEMORY_SIZE = MEMORIA_UPLOAD_MAX_REQUEST_BYTES

# E-mail: SMTP when configured, otherwise printed to the server's console so a
# newcomer can follow password-reset and invitation links.
DEFAULT_FROM_EMAIL = CONFIG.email.from_address
SERVER_EMAIL = CONFIG.email.from_address
if CONFIG.email.host:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = CONFIG.email.host
    EMAIL_PORT = CONFIG.email.port
    EMAIL_HOST_USER = CONFIG.email.user
    EMAIL_HOST_PASSWORD = CONFIG.email.password
    EMAIL_USE_TLS = CONFIG.email.use_tls
    EMAIL_USE_SSL = CONFIG.email.use_ssl
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# Security headers. The Content-Security-Policy allows this origin only: no
# page may load anything from a third party.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

MEMORIA_MASTER_KEY_FILE = CONFIG.master_key_file
# Host names or addresses (host, host:port, [v6]:port) on a local network that alert
# channels may send to; every other non-global address is refused.
MEMORIA_ALERTS_LOCAL_RECEIVERS = CONFIG.alerts_local_receivers

# Anonymous reports (memoria.reports, docs/reports.md): hours a verified report waits
# before the public feed shows it, posts allowed per client address and per
# organization in an hour, and the least time between showing the form and a post.
MEMORIA_REPORTS_PUBLISH_DELAY_HOURS = CONFIG.reports.publish_delay_hours
MEMORIA_REPORTS_RATE_PER_ADDRESS = CONFIG.reports.rate_per_address
MEMORIA_REPORTS_RATE_PER_ORGANIZATION = CONFIG.reports.rate_per_organization
MEMORIA_REPORTS_FORM_MIN_SECONDS = CONFIG.reports.form_min_seconds
MEMORIA_NETWORK_SMALL_COUNT = CONFIG.network_small_count
# Days a finished job (done, failed or cancelled) is kept with its sealed data (the
# values a failed linkage run could not read) before the worker deletes it.
MEMORIA_JOBS_KEEP_DAYS = CONFIG.jobs_keep_days

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO" if not DEBUG else "DEBUG"},
    "loggers": {"django.request": {"level": "ERROR"}, "axes": {"level": "WARNING"}},
}
