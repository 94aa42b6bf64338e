"""Fake OpenAI-compatible chat server: POST /v1/chat/completions, the real answer's shape.

`key` set: a request without `Authorization: Bearer <key>` gets a 401 whose body echoes the header it
got (as some proxies do), so tests can prove the client masks the key. Faults as in tests/fakes.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import FakeUpstream, build_app, json_response

PATH = "/v1/chat/completions"
DEFAULT_KEY = "sk-test-Zq81xVv0aiKEY0000000000001"


class ChatFake(FakeUpstream):
    def __init__(self, *, key: str | None = DEFAULT_KEY, content: str = "Go live on Fridays.") -> None:
        super().__init__()
        self.key = key
        self.content = content

    async def completions(self, request: web.Request) -> web.Response:
        got = request.headers.get("Authorization", "")
        if self.key is not None and got != f"Bearer {self.key}":
            return json_response({"error": {"message": f"Incorrect API key provided: {got}",
                                            "type": "invalid_request_error"}}, status=401)  # fmt: skip
        body: dict[str, Any] = await request.json()
        return json_response({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1767225600, "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": self.content},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
        })  # fmt: skip


def make_app(fake: ChatFake | None = None) -> web.Application:
    fake = fake if fake is not None else ChatFake()
    return build_app(fake, [web.post(PATH, fake.completions)])
