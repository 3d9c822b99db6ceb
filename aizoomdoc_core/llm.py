"""The LLM endpoint: any OpenAI-compatible Chat Completions server, reached with the openai SDK.

OpenAI, OpenRouter, Gemini's OpenAI endpoint and local vLLM, llama.cpp or Ollama servers differ only
in ``OPENAI_BASE_URL``, ``OPENAI_API_KEY`` and ``LLM_MODEL``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config import Settings, describe_error
from .models import BackendStatus

if TYPE_CHECKING:
    from openai import OpenAI


def make_client(settings: Settings, *, timeout: float | None = None, max_retries: int = 2) -> OpenAI:
    """An OpenAI client for the configured endpoint (local servers often need no key).

    The SDK is imported here, not at module level: it takes about 0.4 s to load, which every CLI
    call would otherwise pay.
    """
    from openai import OpenAI

    return OpenAI(
        api_key=settings.openai_api_key or "no-key",
        base_url=settings.openai_base_url,
        timeout=timeout if timeout is not None else 120.0,
        max_retries=max_retries,
    )


def check_llm(settings: Settings) -> BackendStatus:
    """Whether the configured endpoint answers (lists its models) within the connect timeout."""
    location = settings.openai_base_url or "https://api.openai.com/v1"
    if not settings.llm_configured:
        return BackendStatus("llm", "none", False, None, False, "no LLM configured: extractive answers")
    try:
        make_client(settings, timeout=settings.connect_timeout, max_retries=0).models.list()
    except Exception as exc:
        return BackendStatus("llm", "openai", True, False, False, location, describe_error(exc, settings))
    return BackendStatus("llm", "openai", True, True, True, location)
