"""Messages on forms are written for the person filling them in: the field's label, plain words,
no internal field names or validator jargon."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from tests.support.panel import PASSWORD, Panel

_INTERNAL = re.compile(r"\b[a-z]+_[a-z_]+:|Field required|Extra inputs|String should|List should|Value error")


def _errors(html: str) -> list[str]:
    page = BeautifulSoup(html, "html.parser")
    return [li.get_text(" ", strip=True) for li in page.select(".errors li, [role=alert] li, ul.details li")]


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"username": "owner"}, "Password is required."),
        ({"username": "o", "password": "p", "admin": "1"}, "“admin” is not part of this form."),
    ],
)
async def test_sign_in_form_errors_read_as_sentences(
    panel: Panel, form: dict[str, str], expected: str
) -> None:
    await panel.get("/login")
    response = await panel.post("/login", form)
    assert response.status == 400
    errors = _errors(await response.text())
    assert expected in errors
    assert not [e for e in errors if _INTERNAL.search(e)], errors


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"username": "has space", "password": "long enough pw", "roles": "viewer"},
         "Username may only contain letters, digits, “_”, “.” and “-” (at most 64)."),
        ({"username": "ok_name", "password": "long enough pw"}, "Roles: choose at least one."),
    ],
)  # fmt: skip
async def test_new_user_form_errors_read_as_sentences(
    admin_panel: Panel, form: dict[str, str], expected: str
) -> None:
    response = await admin_panel.post("/admin/users", form)
    assert response.status == 400
    errors = _errors(await response.text())
    assert expected in errors
    assert not [e for e in errors if _INTERNAL.search(e)], errors


async def test_password_change_errors_name_the_field_by_its_label(admin_panel: Panel) -> None:
    response = await admin_panel.post(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "x" * 12, "new_password_again": "y" * 12},
    )
    assert response.status == 400
    errors = _errors(await response.text())
    assert "The two new passwords differ." in errors
    assert not [e for e in errors if _INTERNAL.search(e)], errors
