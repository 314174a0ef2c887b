"""Django settings. Every value that varies between machines comes from ``trunkline.env``."""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from trunkline import env

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env.text("TRUNKLINE_VAR_DIR", str(env.PROJECT_ROOT / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

ENVIRONMENT = env.text("TRUNKLINE_ENV", "development")
if ENVIRONMENT not in ("development", "test", "production"):
    raise ImproperlyConfigured(f"TRUNKLINE_ENV={ENVIRONMENT!r}; use development, test or production.")
PRODUCTION = ENVIRONMENT == "production"
DEBUG = env.flag("TRUNKLINE_DEBUG", default=ENVIRONMENT == "development")
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("TRUNKLINE_DEBUG cannot be on when TRUNKLINE_ENV=production.")


def _secret_key() -> str:
    key = env.text("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set when TRUNKLINE_ENV=production.")
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.words("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver,[::1]")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the host names the platform answers to in production.")
CSRF_TRUSTED_ORIGINS = env.words("CSRF_TRUSTED_ORIGINS")
PUBLIC_URL = env.text("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

# --- TLS -----------------------------------------------------------------------------------------------------------
SERVED_OVER_TLS = env.flag("TRUNKLINE_TLS", default=PUBLIC_URL.startswith("https://"))
SESSION_COOKIE_SECURE = SERVED_OVER_TLS
CSRF_COOKIE_SECURE = SERVED_OVER_TLS
SECURE_HSTS_SECONDS = 31_536_000 if SERVED_OVER_TLS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SERVED_OVER_TLS
SECURE_SSL_REDIRECT = SERVED_OVER_TLS and env.flag("TRUNKLINE_SSL_REDIRECT", default=True)
if SERVED_OVER_TLS and env.flag("TRUNKLINE_BEHIND_PROXY", default=True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# --- Applications ----------------------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "trunkline.core",
    "trunkline.tenancy",
    "trunkline.audit",
    "trunkline.accounts",
    "trunkline.notifications",
    "trunkline.terms",
    "trunkline.commerce",
    "trunkline.billing",
    "trunkline.onboarding",
    "trunkline.licensing",
    "trunkline.support",
    "trunkline.telephony",
    "trunkline.channels",  # app label messaging_channels (Django Channels owns "channels")
    "trunkline.inbox",
    "trunkline.web",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "ninja",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tasks_db",
    "crontask",
]

MIDDLEWARE = [
    "trunkline.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "trunkline.core.middleware.LeanPathMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "trunkline.accounts.middleware.UserLanguageMiddleware",
    "trunkline.accounts.idempotency.IdempotencyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "trunkline.onboarding.middleware.CountryAccessMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

# Paths whose (CSRF-exempt, signature-checked) views skip the session, auth, locale, CSRF and messages middleware
LEAN_PATH_PREFIXES = ("/hooks/",)

ROOT_URLCONF = "trunkline.urls"
ASGI_APPLICATION = "trunkline.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "trunkline.web.context.surface",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------------------------------------
DATABASE_URL = env.database_url(env.text("DATABASE_URL"))
if DATABASE_URL.startswith(("postgres://", "postgresql://")):
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    # The ORM binds parameters on the client and never prepares; the few hot-path statements that run on the
    # server-side binding cursor ask for a prepared statement explicitly, which psycopg refuses while this is None
    # (Django's default). 5 is psycopg's own default.
    DATABASES["default"]["OPTIONS"] = {"prepare_threshold": 5}
    if ENVIRONMENT != "test":  # the test runner must be able to drop its database: no idle pooled sessions
        DATABASES["default"]["OPTIONS"]["pool"] = {"min_size": 1, "max_size": env.number("DATABASE_POOL_SIZE", 8)}
    DATABASES["default"]["TEST"] = {"NAME": env.text("DATABASE_TEST_NAME", "trunkline_test")}
else:
    sqlite_path = DATABASE_URL.removeprefix("sqlite:///") if DATABASE_URL else str(VAR_DIR / "trunkline.sqlite3")
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": sqlite_path,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, channel layer, tasks -------------------------------------------------------------------------------------
REDIS_URL = env.redis_url(env.text("REDIS_URL"))
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}}
    CRONTASK = {"REDIS_URL": REDIS_URL}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- E-mail ----------------------------------------------------------------------------------------------------------
_email = env.email_server(env.text("EMAIL_URL", "memory:" if ENVIRONMENT == "test" else "console:"))
_smtp_options = {
    "host": _email.host,
    "port": _email.port,
    "username": _email.user,
    "password": _email.password,
    "use_tls": _email.use_tls,
    "use_ssl": _email.use_ssl,
    "timeout": 20,
}
MAILERS = {"default": {"BACKEND": _email.backend, "OPTIONS": _smtp_options if "smtp" in _email.backend else {}}}
DEFAULT_FROM_EMAIL = env.text("DEFAULT_FROM_EMAIL", "Trunkline <no-reply@trunkline.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Accounts --------------------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if ENVIRONMENT == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast tests; production uses Argon2
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "web:home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_ALLOW_SIGNUPS = False  # organisations are created by registration (terms) or by operator staff
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = "allauth.account.forms.EmailAwarePasswordResetTokenGenerator"  # noqa: S105
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.text("LOGIN_FAILED_RATE", "10/m/ip,5/300s/key"),
    "login": "30/m/ip",
    "reset_password": "10/m/ip,5/h/key",
    "reset_password_from_key": "20/m/ip",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Trunkline] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SERVED_OVER_TLS else "http"
ACCOUNT_ADAPTER = "trunkline.accounts.adapter.AccountAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Trunkline"
PASSWORD_RESET_TIMEOUT = env.number("PASSWORD_RESET_TIMEOUT", 48 * 3600)
SESSION_COOKIE_AGE = env.number("SESSION_COOKIE_AGE", 14 * 24 * 3600)

# --- Language, time --------------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("bg", _("Bulgarian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["trunkline.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
BUSINESS_TIME_ZONE = env.text("BUSINESS_TIME_ZONE", "Europe/Sofia")

# --- Static files ----------------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
NODE_MODULES = env.PROJECT_ROOT / "node_modules"
STATICFILES_DIRS: list = [BASE_DIR / "static"]
for _prefix, _folder in (
    ("vendor/htmx", NODE_MODULES / "htmx.org/dist"),
    ("vendor/htmx-ext-ws", NODE_MODULES / "htmx-ext-ws/dist"),
):
    if _folder.is_dir():  # installed from npm by the setup command
        STATICFILES_DIRS.append((_prefix, _folder))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": VAR_DIR / "media"}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Logging ---------------------------------------------------------------------------------------------------------
LOG_LEVEL = env.text("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "trunkline.core.logging.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    },
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"]}},
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "apscheduler": {"level": "WARNING"},
        "mail.log": {"level": "WARNING"},  # aiosmtpd's per-command log (the inbound email receiver)
    },
}

# --- Trunkline -------------------------------------------------------------------------------------------------------
OPERATOR_NAME = env.text("OPERATOR_NAME", "Trunkline Operator")
OPERATOR_EMAIL = env.text("OPERATOR_EMAIL", "operator@trunkline.localhost")
IDEMPOTENCY_KEY_TTL_HOURS = env.number("IDEMPOTENCY_KEY_TTL_HOURS", 24)
API_KEY_LAST_USED_RESOLUTION_SECONDS = 60
REVOKED_API_KEY_RETENTION_DAYS = env.number("REVOKED_API_KEY_RETENTION_DAYS", 90)
SECRETS_KEY = env.text("TRUNKLINE_SECRETS_KEY")  # Fernet key for channel credentials; dev/test: var/secrets_key
NOTICE_MAX_ATTEMPTS = env.number("NOTICE_MAX_ATTEMPTS", 6)
NOTICE_RETRY_BASE_SECONDS = env.number("NOTICE_RETRY_BASE_SECONDS", 60)
NOTICE_MESSAGE_ID_DOMAIN = env.text("NOTICE_MESSAGE_ID_DOMAIN", "trunkline.localhost")
# Email channels (docs/channels/email.md): the inbound SMTP receiver, the IMAP pollers, the SMTP client
EMAIL_SMTP_RECEIVER_HOST = env.text("EMAIL_SMTP_RECEIVER_HOST", "127.0.0.1")
EMAIL_SMTP_RECEIVER_PORT = env.number("EMAIL_SMTP_RECEIVER_PORT", 2526)
EMAIL_SMTP_RECEIVER_HOSTNAME = env.text("EMAIL_SMTP_RECEIVER_HOSTNAME", "")  # the name in its greeting; default: FQDN
EMAIL_INBOUND_MAX_BYTES = env.number("EMAIL_INBOUND_MAX_BYTES", 25 * 1024 * 1024)
EMAIL_IMAP_BACKFILL_DAYS = env.number("EMAIL_IMAP_BACKFILL_DAYS", 30)
EMAIL_IMAP_IDLE = env.flag("EMAIL_IMAP_IDLE", True)
EMAIL_IMAP_IDLE_SECONDS = env.number("EMAIL_IMAP_IDLE_SECONDS", 600)
EMAIL_IMAP_POLL_SECONDS = env.number("EMAIL_IMAP_POLL_SECONDS", 60)
EMAIL_IMAP_TIMEOUT_SECONDS = env.number("EMAIL_IMAP_TIMEOUT_SECONDS", 60)
EMAIL_IMAP_RECONNECT_BASE_SECONDS = env.number("EMAIL_IMAP_RECONNECT_BASE_SECONDS", 2)
EMAIL_IMAP_RECONNECT_MAX_SECONDS = env.number("EMAIL_IMAP_RECONNECT_MAX_SECONDS", 300)
EMAIL_IMAP_REFRESH_SECONDS = env.number("EMAIL_IMAP_REFRESH_SECONDS", 30)
EMAIL_SMTP_TIMEOUT_SECONDS = env.number("EMAIL_SMTP_TIMEOUT_SECONDS", 30)
EMAIL_TLS_CA_FILE = env.text("EMAIL_TLS_CA_FILE", "")  # extra CA for customers' self-hosted mail servers
REGISTRATION_RATE = env.text("REGISTRATION_RATE", "10/h")
IP_COUNTRY_DATABASE = env.text("IP_COUNTRY_DATABASE", "")
# Ed25519 key signing license certificates and activation API responses (see docs/licensing.md); unset outside
# production, a development key is generated into var/license_signing_key.
LICENSE_SIGNING_KEY = env.text("TRUNKLINE_LICENSE_SIGNING_KEY")
LICENSING_RATES = env.text("LICENSING_RATES")  # e.g. "activate=10/h,60/h;validate=120/m,600/m"
# How long another process may keep answering with a licensing policy changed elsewhere (the activation API caches them)
LICENSING_POLICY_CACHE_SECONDS = env.number("LICENSING_POLICY_CACHE_SECONDS", 10)
# New license keys (each one emailed to the end user) per license in 24 hours, by the reseller or staff
LICENSING_KEY_REISSUES_PER_DAY = env.number("LICENSING_KEY_REISSUES_PER_DAY", 3)
# Days an end-user import's uploaded CSV (personal data) is kept after the import; then a daily job empties it
LICENSING_IMPORT_RETENTION_DAYS = env.number("LICENSING_IMPORT_RETENTION_DAYS", 30)
# Threads per web process answering activate / validate / refresh in the ASGI fast lane (each holds a DB connection)
LICENSING_API_THREADS = env.number("LICENSING_API_THREADS", 8)
INBOX_WEBHOOK_LANE_THREADS = env.number("INBOX_WEBHOOK_LANE_THREADS", 8)
# after a batch that was not full, the inbound processor waits this long for more events (tests: no wait)
INBOX_INBOUND_GATHER_SECONDS = float(env.text("INBOX_INBOUND_GATHER_SECONDS", "0" if ENVIRONMENT == "test" else "0.05"))
