"""Reading forms and JSON bodies into pydantic models, with readable `field: message` errors."""

from __future__ import annotations

from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, TypeAdapter, ValidationError

from service.errors import InvalidInput

Model = TypeVar("Model", bound=BaseModel)
Value = TypeVar("Value")

CSRF_FIELD = "csrf_token"


def readable_errors(error: ValidationError) -> list[str]:
    messages = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"]) or "body"
        messages.append(f"{location}: {item['msg']}")
    return messages


async def parse_form(request: web.Request, model: type[Model], *, lists: tuple[str, ...] = ()) -> Model:
    """Validate the posted form; `lists` names fields that may repeat (checkbox groups)."""
    form = await request.post()
    data: dict[str, object] = {}
    for key in form:
        if key == CSRF_FIELD or key in data:
            continue
        values = [v for v in form.getall(key) if isinstance(v, str)]
        if len(values) != len(form.getall(key)):
            raise InvalidInput("file uploads are not accepted here", details=[f"{key}: not a text field"])
        data[key] = values if key in lists else values[-1]
    for key in lists:
        data.setdefault(key, [])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput("The form has errors", details=readable_errors(exc)) from exc


async def parse_json(request: web.Request, model: type[Model]) -> Model:
    return parse_body(await request.read(), TypeAdapter(model))


def parse_body(
    body: bytes, adapter: TypeAdapter[Value], refusal: str = "The request body has errors"
) -> Value:
    """Validate a JSON body already read; `refusal` heads the 400 that lists what is wrong."""
    try:
        return adapter.validate_json(body)
    except ValidationError as exc:
        raise InvalidInput(refusal, details=readable_errors(exc)) from exc
