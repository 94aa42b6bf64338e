"""Reading forms and JSON bodies into pydantic models: sentences for people on forms, `field: message`
lines for scripts and the extension."""

from __future__ import annotations

from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from service.errors import InvalidInput

Model = TypeVar("Model", bound=BaseModel)
Value = TypeVar("Value")

CSRF_FIELD = "csrf_token"


def readable_errors(error: ValidationError) -> list[str]:
    """`field: message` lines, for scripts and the extension (JSON bodies)."""
    messages = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"]) or "body"
        messages.append(f"{location}: {item['msg']}")
    return messages


def form_errors(error: ValidationError, model: type[BaseModel]) -> list[str]:
    """Each problem of a posted form as a sentence for the person filling it in: the field by its
    title (or its name in words), plain words instead of validator jargon. A field's `description`
    says what its pattern allows."""
    return [_sentence(model, item) for item in error.errors()]


# Plain words for the validator messages people meet on the panel's forms.
_PLAIN = {
    "missing": "{label} is required.",
    "extra_forbidden": "“{field}” is not part of this form.",
    "string_too_long": "{label} must have at most {max_length} characters.",
    "too_short": "{label}: choose at least one.",
    "value_error": "{label}: {error}.",
}


def _sentence(model: type[BaseModel], item: ErrorDetails) -> str:
    field = str(item["loc"][0]) if item["loc"] else ""
    info = model.model_fields.get(field)
    label = (info.title if info and info.title else field.replace("_", " ").capitalize()) or "The form"
    context = {"label": label, "field": field, "error": item["msg"], **(item.get("ctx") or {})}
    kind = item["type"]
    if kind == "string_too_short":
        minimum = context.get("min_length")
        return (
            f"{label} must not be empty."
            if minimum == 1
            else f"{label} must have at least {minimum} characters."
        )
    if kind == "string_pattern_mismatch" and info is not None and info.description:
        return f"{label} {info.description}."
    return _PLAIN.get(kind, "{label}: {error}.").format(**context)


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
        raise InvalidInput("The form has errors", details=form_errors(exc, model)) from exc


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
