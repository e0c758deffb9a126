"""Settings shared by every environment; the per-environment modules override them."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_list(name: str, default: str = "") -> list[str]:
    """Return a comma-separated environment variable as a list of non-empty items."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def env_bool(name: str, default: bool = False) -> bool:
    """Return an environment variable read as a boolean; unset or empty, `default`.

    Any other word than TRUE_WORDS and FALSE_WORDS (in any case) is an error
    rather than false: API_LOGIN_REQUIRED=ture must not open the API.
    """
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={os.environ[name]!r} is not a yes or no: use one of "
        f"{', '.join(TRUE_WORDS)} or {', '.join(FALSE_WORDS)}."
    )


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "simple_history",
    "import_export",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "commitments",
]

MIDDLEWARE = [
    # First: an anonymous API read it can answer skips everything below
    # (README, "Served speed" says which work that is and why it may).
    "commitments.api.caching.ApiResponseCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions and authentication: a request refused here costs nothing.
    "commitments.api.middleware.ApiInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: a 304 names the user it was computed for.
    "commitments.api.caching.ApiConditionalGetMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "commitments.middleware.DatabaseUnavailableMiddleware",
    # Last, so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# One setting picks the database. Without DATABASE_URL the embedded SQLite file
# is used, tuned so that concurrent writers wait for each other instead of
# failing with "database is locked": WAL lets readers run beside one writer,
# IMMEDIATE transactions take the write lock at BEGIN (so two writers never
# deadlock upgrading a read lock), and the timeout is how long a writer waits.
# That wait stays well inside a request's budget (gunicorn's 30 s): a lock
# held longer (a backup, a read-only disk) answers 503 with Retry-After.
# Reads go through a memory map of the file and a 16 MiB page cache per
# connection: a fresh API page costs about 1 ms less than through read() and
# SQLite's default 2 MiB cache (README, "Served speed").
SQLITE_PATH = Path(os.environ.get("SQLITE_PATH", BASE_DIR / "db.sqlite3"))
SQLITE_BUSY_TIMEOUT = float(os.environ.get("SQLITE_BUSY_TIMEOUT", "5"))
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": SQLITE_BUSY_TIMEOUT,
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA mmap_size=268435456; PRAGMA cache_size=-16000;"
    ),
}


def database_from_environment() -> dict:
    """Return the default database: DATABASE_URL if set, else the embedded SQLite file."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    else:
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": SQLITE_PATH}
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config.setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
        # Kept open between requests, as on PostgreSQL: opening the file and
        # setting its pragmas would otherwise cost every request.
        config.setdefault("CONN_MAX_AGE", 60)
        config.setdefault("CONN_HEALTH_CHECKS", True)
    elif env_bool("DATABASE_PREPARED_STATEMENTS", default=True):
        # psycopg prepares a statement on a connection once it has run there
        # this many times. Only the read path's own statements, bound on the
        # server (commitments/statements.py), can be; Django's default of
        # never is for connection poolers: behind PgBouncer, set
        # DATABASE_PREPARED_STATEMENTS=0.
        options = config.setdefault("OPTIONS", {})
        options.setdefault("prepare_threshold", 5)
        # And planned once for all the values it runs with. Left to choose,
        # PostgreSQL plans a page for each offset and limit (taking a tenth
        # of the rows for each, it prices one plan for all above planning
        # each time): 0.2 to 0.4 ms of its CPU for every page of the list.
        options["options"] = " ".join(
            filter(None, (options.get("options"), "-c plan_cache_mode=force_generic_plan"))
        )
    config["ATOMIC_REQUESTS"] = False
    return config


DATABASES = {"default": database_from_environment()}

# One cache shared by every worker process, for what must count across them
# (throttles). By default files under CACHE_DIR: no extra service, and no
# database write on an anonymous read (the database cache would put every
# reader behind SQLite's one writer). Teams set REDIS_URL.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
CACHE_DIR = Path(os.environ.get("CACHE_DIR", BASE_DIR / "var" / "cache"))


def cache_from_environment() -> dict:
    """Return the default cache: Redis at REDIS_URL if set, else files under CACHE_DIR."""
    prefix = os.environ.get("CACHE_KEY_PREFIX", "commitments")
    if REDIS_URL:
        return {
            "BACKEND": "commitments.cache.PrefixedRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    return {
        "BACKEND": "commitments.cache.LockingFileBasedCache",
        "LOCATION": str(CACHE_DIR),
        "KEY_PREFIX": prefix,
        "OPTIONS": {"MAX_BYTES": 64 * 2**20},
    }


# Anonymous API reads answered from the shared cache; 0 turns it off (ETags
# and 304s stay).
API_RESPONSE_CACHE = env_bool("API_RESPONSE_CACHE", default=True)
API_RESPONSE_CACHE_MAX_BYTES = int(os.environ.get("API_RESPONSE_CACHE_MAX_BYTES", 256 * 2**20))
API_RESPONSE_CACHE_MAX_ENTRY_BYTES = 2 * 2**20
# Store a response the second time a worker misses it, not the first: a read
# nobody repeats costs no write (commitments/api/caching.py, MissedOnce).
API_RESPONSE_CACHE_STORE_ON_SECOND_MISS = env_bool(
    "API_RESPONSE_CACHE_STORE_ON_SECOND_MISS", default=True
)


def response_cache_from_environment() -> dict:
    """Return the API's response cache: in Redis next to the default, else its own folder.

    Bounded in bytes: API_RESPONSE_CACHE_MAX_BYTES for the folder; in Redis by
    the server's maxmemory with an LRU policy (.ci/with-redis and README).
    """
    if REDIS_URL:
        return {
            "BACKEND": "commitments.cache.PrefixedRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "commitments") + "-responses",
            "TIMEOUT": 60 * 60 * 24,
        }
    return {
        "BACKEND": "commitments.cache.BoundedFileBasedCache",
        "LOCATION": str(CACHE_DIR / "responses"),
        "TIMEOUT": 60 * 60 * 24,
        "OPTIONS": {"MAX_BYTES": API_RESPONSE_CACHE_MAX_BYTES},
    }


CACHES = {"default": cache_from_environment(), "api_responses": response_cache_from_environment()}

# How many reverse proxies in front of the app to believe about the client's
# address (X-Forwarded-For, read from the right). 0: the socket's address,
# which no client can forge; set it to 1 behind one nginx or load balancer.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploaded and archived files (evidence snapshots) go through Django's storage
# API: local files under MEDIA_ROOT by default, never served by the app itself.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "media/"

# Background work (archiving evidence, checking links) runs in a separate
# worker, `manage.py db_worker`, that reads the queue from the database.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Fetching evidence pages: see commitments/evidence/fetch.py and the README.
# host:port pairs that may be fetched although they resolve to a private,
# loopback or link-local address (an intranet source a team allows on purpose).
EVIDENCE_FETCH_ALLOWED_PRIVATE_HOSTS = env_list("EVIDENCE_FETCH_ALLOWED_PRIVATE_HOSTS")
EVIDENCE_FETCH_MAX_BYTES = int(os.environ.get("EVIDENCE_FETCH_MAX_BYTES", str(10 * 1024 * 1024)))
EVIDENCE_FETCH_TIMEOUT = float(os.environ.get("EVIDENCE_FETCH_TIMEOUT", "30"))
EVIDENCE_FETCH_MAX_REDIRECTS = int(os.environ.get("EVIDENCE_FETCH_MAX_REDIRECTS", "5"))
EVIDENCE_FETCH_CONTENT_TYPES = env_list(
    "EVIDENCE_FETCH_CONTENT_TYPES", "text/html,application/xhtml+xml,text/plain,application/pdf"
)
# The link checker waits this many seconds between two requests to one host,
# and leaves alone evidence checked fewer than this many days ago.
EVIDENCE_CHECK_HOST_DELAY = float(os.environ.get("EVIDENCE_CHECK_HOST_DELAY", "2"))
EVIDENCE_CHECK_INTERVAL_DAYS = int(os.environ.get("EVIDENCE_CHECK_INTERVAL_DAYS", "7"))

# Request bodies over this size are refused with 400 before they are parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

LOGIN_URL = "admin:login"

# The proposer's vocabularies (cues, categories, cities, demonyms): data that
# analysts extend, see commitments/ingest/rules.py.
EXTRACTION_RULES = Path(
    os.environ.get("EXTRACTION_RULES", BASE_DIR / "seeds" / "extraction_rules.yaml")
)
# A source's text, pasted or uploaded, may be at most this many characters
# (a long joint statement is about 60,000).
SOURCE_TEXT_MAX_CHARS = int(os.environ.get("SOURCE_TEXT_MAX_CHARS", "500000"))
# An uploaded file may be at most this many bytes (HTML pages carry markup).
SOURCE_UPLOAD_MAX_BYTES = int(os.environ.get("SOURCE_UPLOAD_MAX_BYTES", str(5 * 1024 * 1024)))
# A proposal may restate a commitment from a meeting this many days apart.
INGEST_MATCH_WINDOW_DAYS = int(os.environ.get("INGEST_MATCH_WINDOW_DAYS", "730"))
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# The admin's changelist and the dashboard call a commitment stale when it has
# had no status update for this many days.
COMMITMENTS_STALE_AFTER_DAYS = int(os.environ.get("COMMITMENTS_STALE_AFTER_DAYS", "180"))

# Reads are open to anonymous clients unless API_LOGIN_REQUIRED is set.
API_LOGIN_REQUIRED = env_bool("API_LOGIN_REQUIRED")
API_MAX_PAGE_SIZE = 500
API_ANON_THROTTLE_RATE = os.environ.get("API_ANON_THROTTLE_RATE", "600/minute")
API_TOKEN_THROTTLE_RATE = os.environ.get("API_TOKEN_THROTTLE_RATE", "10/minute")

REST_FRAMEWORK = {
    # Token first, so that an anonymous write is answered 401 with a
    # WWW-Authenticate header rather than 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "commitments.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["commitments.api.permissions.ModelPermissionsOrOpenRead"],
    "DEFAULT_FILTER_BACKENDS": ["commitments.filters.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "commitments.api.pagination.StrictLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "commitments.api.schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "commitments.api.renderers.ORJSONRenderer",
        "commitments.api.renderers.PeopleBrowsableAPIRenderer",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "commitments.api.renderers.BrowsableForLoggedInUsers",
    "DEFAULT_PARSER_CLASSES": [
        "commitments.api.parsers.StrictJSONParser",
        "commitments.api.parsers.StrictFormParser",
        "commitments.api.parsers.StrictMultiPartParser",
    ],
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["commitments.api.throttling.AnonymousThrottle"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}

_ERRORS = "drf_standardized_errors.openapi_serializers"
SPECTACULAR_SETTINGS = {
    "TITLE": "Commitment tracker API",
    "DESCRIPTION": (
        "What governments promise each other at meetings, and whether those promises are kept."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs are as open as the API's reads: closed to
    # anonymous clients when API_LOGIN_REQUIRED is set.
    "SERVE_PERMISSIONS": ["commitments.api.permissions.OpenReadUnlessLoginRequired"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "commitments.choices.Status",
        "CategoryEnum": "commitments.choices.Category",
        "PartyRoleEnum": "commitments.choices.PartyRole",
        "MeetingKindEnum": "commitments.choices.MeetingKind",
        "ReviewStateEnum": "commitments.choices.ReviewState",
        "ValidationErrorEnum": f"{_ERRORS}.ValidationErrorEnum.choices",
        "ClientErrorEnum": f"{_ERRORS}.ClientErrorEnum.choices",
        "ServerErrorEnum": f"{_ERRORS}.ServerErrorEnum.choices",
        "ErrorCode401Enum": f"{_ERRORS}.ErrorCode401Enum.choices",
        "ErrorCode403Enum": f"{_ERRORS}.ErrorCode403Enum.choices",
        "ErrorCode404Enum": f"{_ERRORS}.ErrorCode404Enum.choices",
        "ErrorCode405Enum": f"{_ERRORS}.ErrorCode405Enum.choices",
        "ErrorCode406Enum": f"{_ERRORS}.ErrorCode406Enum.choices",
        "ErrorCode415Enum": f"{_ERRORS}.ErrorCode415Enum.choices",
        "ErrorCode429Enum": f"{_ERRORS}.ErrorCode429Enum.choices",
        "ErrorCode500Enum": f"{_ERRORS}.ErrorCode500Enum.choices",
    },
    "POSTPROCESSING_HOOKS": ["drf_standardized_errors.openapi_hooks.postprocess_schema_enums"],
}

DRF_STANDARDIZED_ERRORS = {
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    "EXCEPTION_HANDLER_CLASS": "commitments.api.errors.CommitmentExceptionHandler",
    "ALLOWED_ERROR_STATUS_CODES": [
        "400",
        "401",
        "403",
        "404",
        "405",
        "406",
        "413",
        "415",
        "429",
        "500",
        "503",
    ],
    "ERROR_SCHEMAS": "commitments.api.errors.ERROR_SCHEMAS",
}

AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The same rule for the address of a failed login as for the API's throttles.
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT or None
AXES_IPWARE_PROXY_ORDER = "right-most"
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if TRUSTED_PROXY_COUNT else ("REMOTE_ADDR",)
)

# Formulae are escaped by commitments.resources (all of = + - @, not only =).
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

# Scripts, styles, images and fonts from this site only; no inline script or
# style, no plugins, no framing, forms posting only here. The admin, the
# dashboard, the browsable API and Swagger UI (served from our own static
# files) all work under it; tests/test_browser_csp.py checks in Chromium.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint reports each step of every PDF at INFO; its warnings still show.
    "loggers": {"weasyprint.progress": {"level": "WARNING"}},
}
AXES_VERBOSE = False

IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
