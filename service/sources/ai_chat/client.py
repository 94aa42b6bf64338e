"""Client for an OpenAI-compatible chat endpoint: POST <base>/chat/completions, one answer back.

The API key travels only in the Authorization header (and is masked in every message); a server that
needs no key (a local Ollama) gets no header. One attempt, no retries: a report is slow and may cost
money, so the person asking decides whether to try again.
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from service.sources.http import ONCE, request_json

SOURCE = "ai report"


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore")
    content: str = Field(min_length=1)


class _Choice(BaseModel):
    model_config = ConfigDict(extra="ignore")
    message: _Message


class ChatCompletion(BaseModel):
    """The part of the answer we use: choices[0].message.content (and the model that answered)."""

    model_config = ConfigDict(extra="ignore")
    choices: list[_Choice] = Field(min_length=1)
    model: str | None = None

    @property
    def content(self) -> str:
        return self.choices[0].message.content


class ChatClient:
    def __init__(self, http: httpx.AsyncClient, base_url: str, api_key: str, *, timeout: float) -> None:
        self._http = http
        self.url = base_url.rstrip("/") + "/chat/completions"
        self._api_key = api_key
        self._timeout = timeout

    async def complete(self, body: dict[str, Any]) -> ChatCompletion:
        """Send `body` as it is; base.py exceptions for every failure (a malformed answer included)."""
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        answer: ChatCompletion = await request_json(
            self._http,
            "POST",
            self.url,
            source=SOURCE,
            retry=ONCE,
            json_body=body,
            headers=headers,
            secrets=(self._api_key,) if self._api_key else (),
            parse=ChatCompletion.model_validate_json,
            request_timeout=self._timeout,
        )
        return answer
