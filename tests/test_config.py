"""Settings come from secrets, the environment and .env, in that order, and never show a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from aizoomdoc_core.config import Settings, describe_error
from aizoomdoc_core.errors import InvalidInput


def test_nothing_configured_means_local_defaults(tmp_path: Path) -> None:
    settings = Settings.load(environ={}, dotenv_path=None)
    assert settings.data_dir == Path("data")
    assert not settings.database_configured and not settings.s3_configured and not settings.llm_configured
    assert settings.sqlite_path == Path("data") / "aizoomdoc.sqlite3"


def test_priority_secrets_then_environment_then_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("S3_BUCKET=from-dotenv\nLLM_MODEL=from-dotenv\nS3_REGION=from-dotenv\n")
    settings = Settings.load(
        secrets={"S3_BUCKET": "from-secrets"},
        environ={"S3_BUCKET": "from-env", "LLM_MODEL": "from-env", "AIZOOMDOC_DATA_DIR": str(tmp_path)},
        dotenv_path=dotenv,
    )
    assert settings.s3_bucket == "from-secrets"
    assert settings.llm_model == "from-env"
    assert settings.s3_region == "from-dotenv"
    assert settings.data_dir == tmp_path


def test_data_dir_argument_wins_and_blank_values_count_as_unset(tmp_path: Path) -> None:
    settings = Settings.load(
        data_dir=tmp_path / "x", environ={"AIZOOMDOC_DATA_DIR": "/elsewhere", "DATABASE_URL": "  "}, dotenv_path=None
    )
    assert settings.data_dir == tmp_path / "x"
    assert settings.database_url is None


def test_secrets_never_appear_in_repr_or_describe() -> None:
    settings = Settings.load(
        environ={
            "DATABASE_URL": "postgresql://postgres.abc:hunter2-pw@aws-0-eu.pooler.supabase.com:6543/postgres",
            "S3_SECRET_ACCESS_KEY": "s3-secret-value",
            "OPENAI_API_KEY": "sk-llm-secret",
        },
        dotenv_path=None,
    )
    shown = repr(settings) + str(settings.describe())
    for secret in ("hunter2-pw", "s3-secret-value", "sk-llm-secret"):
        assert secret not in shown
    assert settings.describe()["database_url"] == "postgresql://postgres.abc:***@aws-0-eu.pooler.supabase.com:6543/postgres"
    message = describe_error(RuntimeError("auth failed for hunter2-pw\nsecond line"), settings)
    assert message == "auth failed for ***"


def test_bad_numbers_are_one_line_errors() -> None:
    with pytest.raises(InvalidInput, match="AIZOOMDOC_CONNECT_TIMEOUT must be a number"):
        Settings.load(environ={"AIZOOMDOC_CONNECT_TIMEOUT": "soon"}, dotenv_path=None)


@pytest.mark.parametrize(
    "url, secrets",
    [
        ("postgresql://user:Secret123", ["Secret123"]),  # SQLAlchemy reads the password as a port
        ("postgresql://u:Secret-pw@h:notaport/db", ["Secret-pw"]),
        ("postgresql://u:Secret-pw@[::1/db", ["Secret-pw"]),
        ("postgresql://u:Secret-one\nSecret-two@h:x/db", ["Secret-one", "Secret-two"]),
        ("Secret-pasted-alone", ["Secret-pasted-alone"]),
    ],
)
def test_an_unparsable_database_url_still_never_shows_its_password(url: str, secrets: list[str]) -> None:
    settings = Settings.load(environ={"DATABASE_URL": url}, dotenv_path=None)
    assert settings.describe()["database_url"] == "<unparsable URL>"
    complaint = describe_error(ValueError(f"invalid literal for int() with base 10: {secrets[0]!r} in {url}"), settings)
    assert not any(secret in complaint for secret in secrets), complaint


def test_a_password_is_scrubbed_as_written_and_as_decoded() -> None:
    settings = Settings.load(environ={"DATABASE_URL": "postgresql://u:p%40ss-word@h/db"}, dotenv_path=None)
    assert describe_error(RuntimeError("p@ss-word or p%40ss-word"), settings) == "*** or ***"
    assert describe_error(RuntimeError("port 5432"), Settings.load(
        environ={"DATABASE_URL": "postgresql://h:5432/db"}, dotenv_path=None)) == "port 5432"  # no password, nothing hidden
