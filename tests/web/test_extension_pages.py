"""Users › Following, Followers, Unfollowed and Admin › Extension, filled through the extension API."""

from __future__ import annotations

import logging
import re

import pytest
from bs4 import BeautifulSoup

from service.store import extension as ext_store
from service.store import persons
from service.web.keys import db_key
from tests.support.extension_api import Ext, snapshot
from tests.support.panel import Panel, add_user

NAMES = [f"fan_{i:03d}" for i in range(50)]


@pytest.fixture
async def ext(admin_panel: Panel) -> Ext:
    client = Ext(admin_panel.client)
    await client.pair(admin_panel.app)
    return client


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


async def test_following_tab_lists_follows_with_since_and_last_run(admin_panel: Panel, ext: Ext) -> None:
    """The table shows Following Since; the run panel says complete or partial and why."""
    await ext.post("lists", snapshot("following", NAMES))
    await ext.post("lists", snapshot("following", NAMES[:5], complete=False, abort_reason="challenge",
                                     started_at="2026-01-06T10:00:00Z"))  # fmt: skip
    status, html = await admin_panel.get("/users/following")
    assert status == 200
    page = soup(html)
    rows = page.select('[data-testid="following"] tbody tr[data-username]')
    assert len(rows) == 50
    assert rows[0].select("time")
    assert "partial" in page.select_one('[data-testid="last-run"]').text  # type: ignore[union-attr]
    assert "prove it is not a robot" in page.select_one('[data-testid="last-run"]').text  # type: ignore[union-attr]
    assert "extension" in page.select_one('[data-testid="run-panel"]').text  # type: ignore[union-attr]


async def test_a_failed_page_is_told_in_words_and_its_detail_logged(
    admin_panel: Panel, ext: Ext, caplog: pytest.LogCaptureFixture
) -> None:
    """Chromium's own message for a page that would not load stays out of the page, in the log."""
    caplog.set_level(logging.INFO, logger="service.ingest.lists")
    detail = "page_error: Frame with ID 0 is showing error page"
    await ext.post("lists", snapshot("followers", NAMES[:3], complete=False, abort_reason=detail))
    _, html = await admin_panel.get("/users/followers")
    shown = soup(html).select_one('[data-testid="last-run"]').text  # type: ignore[union-attr]
    assert "would not load" in shown and "Frame with ID" not in html and "page_error" not in html
    assert detail in caplog.text


async def test_a_run_refused_for_another_account_is_told_and_changes_nothing(
    admin_panel: Panel, ext: Ext
) -> None:
    """The extension saw another account logged in and read no page: the run is in the history with
    the reason in words, and nobody is added or suspected."""
    await ext.post("lists", snapshot("followers", NAMES[:10]))
    refused = snapshot("followers", [], complete=False, abort_reason="wrong_account:someone_else",
                       started_at="2026-01-06T10:00:00Z")  # fmt: skip
    refused["pages"] = []
    status, answer = await ext.post("lists", refused)
    assert status == 200
    assert (answer["complete"], answer["added"], answer["suspected"]) == (False, 0, 0)
    _, html = await admin_panel.get("/users/followers")
    shown = soup(html).select_one('[data-testid="last-run"]').text  # type: ignore[union-attr]
    assert "refused before reading anything" in shown and "logged in as someone_else" in shown
    assert "wrong_account" not in html
    async with (
        admin_panel.app[db_key].read() as conn,
        conn.execute(
            "SELECT count(*) FROM follow_periods WHERE direction = 'follower' AND ended_at IS NULL"
        ) as cursor,
    ):
        assert (await cursor.fetchone())[0] == 10  # type: ignore[index]


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("signed_out", "showed no logged-in account"),
        ("account_unknown", "could not tell which account"),
        ("wrong_account:<b>x</b>", "logged in as another account"),
    ],
)
async def test_every_refusal_is_a_sentence(admin_panel: Panel, ext: Ext, code: str, words: str) -> None:
    """Each refusal code reads as a sentence; a name that is not a username is not echoed."""
    refused = snapshot("following", [], complete=False, abort_reason=code)
    refused["pages"] = []
    assert (await ext.post("lists", refused))[0] == 200
    _, html = await admin_panel.get("/users/following")
    shown = soup(html).select_one('[data-testid="last-run"]').text  # type: ignore[union-attr]
    assert words in shown and "<b>" not in shown


async def test_following_tab_is_the_directory_table_plus_since(admin_panel: Panel, ext: Ext) -> None:
    """Each follow shows the Directory's values (from person_state), or unknown ones until a source
    reports; the list pages at 50 and the newest follow comes first."""
    from service.store import person_state

    names = [f"idol_{i:03d}" for i in range(60)]
    await ext.post("lists", snapshot("following", names))
    async with admin_panel.app[db_key].transaction() as conn:
        pid = await persons.get_person_id(conn, "idol_007")
        await conn.execute(
            "INSERT INTO cbhours_live_stats (person_id, checked_at, online, followers) "
            "VALUES (:pid, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 0, 4321)",
            {"pid": pid},
        )
        await person_state.refresh(conn, [pid])  # type: ignore[list-item]
    status, html = await admin_panel.get("/users/following")
    assert status == 200
    page = soup(html)
    headers = [th.text for th in page.select('[data-testid="following"] thead th')]
    assert headers[:3] == ["Username", "Image", "Age"] and headers[-1] == "Following Since"
    rows = page.select('[data-testid="following"] tbody tr[data-username]')
    assert len(rows) == 50
    assert page.select_one('[data-testid="pager"]') is not None
    _, html2 = await admin_panel.get("/users/following?page=2")
    rows2 = soup(html2).select('[data-testid="following"] tbody tr[data-username]')
    seen = {r["data-username"] for r in rows} | {r["data-username"] for r in rows2}
    assert seen == set(names)
    counted = next(r for r in rows + rows2 if r["data-username"] == "idol_007")
    assert "4,321" in counted.text and "from CBHours" in str(counted)
    assert counted.select_one('[data-testid="since"] time') is not None


async def test_update_button_queues_one_task_shown_with_its_state(admin_panel: Panel, ext: Ext) -> None:
    """Pressing Update twice queues one task; its state is visible."""
    await admin_panel.get("/users/followers")
    for _ in range(2):
        response = await admin_panel.post("/users/followers/update")
        assert response.status == 303
    _, html = await admin_panel.get("/users/followers")
    assert "already waiting" in html
    states = [td.text for td in soup(html).select('[data-testid="tasks"] .task-state')]
    assert states == ["queued"]
    _, body = await ext.get("tasks")
    await ext.post(f"tasks/{body['tasks'][0]['id']}", {"state": "failed", "reason": "login"})
    _, html = await admin_panel.get("/admin/extension")
    assert "failed — login" in soup(html).select_one('[data-testid="tasks"] .task-state').text  # type: ignore[union-attr]


async def test_followers_filter_by_role(admin_panel: Panel, ext: Ext) -> None:
    """All | Models | Viewers uses persons.role."""
    await ext.post("lists", snapshot("followers", NAMES[:3]))
    async with admin_panel.app[db_key].transaction() as conn:
        ids = await persons.ensure_persons(conn, NAMES[:3])
        await persons.set_role(conn, ids["fan_000"], "model")
        await persons.set_role(conn, ids["fan_001"], "viewer")
    for show, expected in (("all", 3), ("models", 1), ("viewers", 1)):
        _, html = await admin_panel.get(f"/users/followers?type={show}")
        assert len(soup(html).select('[data-testid="followers"] tr[data-username]')) == expected


async def test_unfollowed_tab_shows_history_insights_and_pending(admin_panel: Panel, ext: Ext) -> None:
    """Confirmed unfollows with days followed; suspected ones listed apart, confirmable."""
    await ext.post("lists", snapshot("followers", NAMES, started_at="2026-01-01T10:00:00Z"))
    await ext.post("lists", snapshot("followers", NAMES[1:], started_at="2026-01-11T10:00:00Z"))
    await ext.post("lists", snapshot("followers", NAMES[1:], started_at="2026-01-12T10:00:00Z"))
    await ext.post("lists", snapshot("followers", NAMES[2:], started_at="2026-01-13T10:00:00Z"))
    _, html = await admin_panel.get("/users/unfollowed?who=them&range=all")
    page = soup(html)
    row = page.select_one('[data-testid="unfollowed"] tr[data-username="fan_000"]')
    assert row is not None and row.select("td")[4].text == "10"
    assert "1</strong> unfollows" in html.replace("\n", "")
    suspected = page.select('[data-testid="suspected"] tr[data-username]')
    assert [r["data-username"] for r in suspected] == ["fan_001"]
    action = suspected[0].select_one("form")["action"]  # type: ignore[index]
    response = await admin_panel.post(action)  # type: ignore[arg-type]
    assert response.status == 303
    _, html = await admin_panel.get("/users/unfollowed?who=them&range=all")
    assert soup(html).select_one('[data-testid="unfollowed"] tr[data-username="fan_001"]') is not None
    _, html = await admin_panel.get("/users/unfollowed?who=me&range=7d")
    assert "No unfollows in this range" in html


async def test_viewer_cannot_resolve_removals(admin_panel: Panel, ext: Ext) -> None:
    """Confirm/revert need manage_priorities or manage_users; a viewer gets 403 and sees no buttons."""
    await ext.post("lists", snapshot("followers", NAMES))
    await ext.post("lists", snapshot("followers", NAMES[1:], started_at="2026-01-06T10:00:00Z"))
    await add_user(admin_panel.app, "peek", "viewer")
    await admin_panel.login("peek")
    _, html = await admin_panel.get("/users/unfollowed?who=them")
    assert soup(html).select('[data-testid="suspected"] form') == []
    response = await admin_panel.post("/users/removals/1/confirm")
    assert response.status == 403
    response = await admin_panel.post("/users/snapshots/1/revert")
    assert response.status == 403


async def test_admin_extension_pairs_lists_and_revokes(admin_panel: Panel, ext: Ext) -> None:
    """A code is shown once; the paired extension shows its last contact and can be revoked."""
    response = await admin_panel.post("/admin/extension/code")
    html = await response.text()
    code = soup(html).select_one("#pair-code-value").text  # type: ignore[union-attr]
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    second = Ext(admin_panel.client)
    answer = await admin_panel.client.post(
        "/api/ext/v1/pair", json={"code": code, "extension_id": "second"}, headers=second.headers()
    )
    assert answer.status == 200
    _, html = await admin_panel.get("/admin/extension")
    clients = soup(html).select('[data-testid="ext-clients"] tr[data-client]')
    assert len(clients) == 2
    client_id = clients[0]["data-client"]
    response = await admin_panel.post(f"/admin/extension/{client_id}/revoke")
    assert response.status == 303
    async with admin_panel.app[db_key].read() as conn:
        revoked = [c for c in await ext_store.list_clients(conn) if c.revoked_at]
    assert [str(c.id) for c in revoked] == [client_id]
    _, html = await admin_panel.get("/admin")
    assert 'href="/admin/extension"' in html


async def test_held_removals_are_listed_apart_and_their_snapshot_reverted(
    admin_panel: Panel, ext: Ext
) -> None:
    """A run dropping 20% of the list waits on Unfollowed; reverting its snapshot clears it."""
    await ext.post("lists", snapshot("followers", NAMES))
    await ext.post("lists", snapshot("followers", NAMES[10:], started_at="2026-01-06T10:00:00Z"))
    _, html = await admin_panel.get("/users/unfollowed?who=them")
    page = soup(html)
    assert len(page.select('[data-testid="held"] tr[data-username]')) == 10
    assert page.select('[data-testid="suspected"]') == []
    action = page.select_one('[data-testid="held-snapshots"] form')["action"]  # type: ignore[index]
    assert (await admin_panel.post(action)).status == 303  # type: ignore[arg-type]
    _, html = await admin_panel.get("/users/unfollowed?who=them")
    assert soup(html).select('[data-testid="held"] tr') == []
    _, html = await admin_panel.get("/users/followers")
    assert "(reverted)" in soup(html).select_one('[data-testid="snapshots"]').text  # type: ignore[union-attr]


async def test_followers_pager_keeps_the_type_filter(admin_panel: Panel, ext: Ext) -> None:
    """Paging through followers stays on the chosen Models/Viewers filter."""
    await ext.post("lists", snapshot("followers", [f"fan_{i:03d}" for i in range(60)]))
    _, html = await admin_panel.get("/users/followers?type=all")
    pager = soup(html).select_one('[data-testid="pager"] a[rel=next]')
    assert pager is not None and str(pager["href"]).startswith("/users/followers?type=all&after=")
    assert str(pager["href"]).endswith("&page=2")
    _, html = await admin_panel.get(str(pager["href"]))
    assert len(soup(html).select('[data-testid="followers"] tbody tr[data-username]')) == 10


async def test_names_from_lists_get_their_role_looked_up_and_show_resolving(
    admin_panel: Panel, ext: Ext
) -> None:
    """Unknown-role names are queued for a lookup (200 a snapshot; the rest with the next one) and the
    lists say "resolving…"; a person whose role is known is not queued."""
    from service.ingest.follows import ROLE_LOOKUPS_PER_SNAPSHOT

    names = [f"fan_{i:03d}" for i in range(250)]
    async with admin_panel.app[db_key].transaction() as conn:
        ids = await persons.ensure_persons(conn, ["fan_000"])
        await persons.set_unknown_roles(conn, [ids["fan_000"]], "viewer")
    await ext.post("lists", snapshot("followers", names))

    async def queued() -> list[tuple[str, str]]:
        async with admin_panel.app[db_key].read() as conn:
            found = await conn.execute_fetchall(
                "SELECT p.username, q.note FROM lookup_queue q JOIN persons p ON p.id = q.person_id "
                "WHERE q.priority = 1 AND q.status = 'pending' ORDER BY p.username"
            )
        return [(row[0], row[1]) for row in found]

    first = await queued()
    assert (
        len(first) == ROLE_LOOKUPS_PER_SNAPSHOT
        and ("fan_000", "role unknown: from the followers list") not in first
    )
    assert first[0] == ("fan_001", "role unknown: from the followers list")
    _, html = await admin_panel.get("/users/followers")
    while not soup(html).select('[data-username="fan_001"]'):  # the list is newest first: walk to it
        later = soup(html).select_one('[data-testid="pager"] a[rel=next]')
        assert later is not None, "fan_001 is on no page"
        _, html = await admin_panel.get(str(later["href"]))
    assert soup(html).select('[data-username="fan_001"] [data-testid=resolving]')
    assert not soup(html).select('[data-username="fan_000"] [data-testid=resolving]')
    await ext.post("lists", snapshot("followers", names, started_at="2026-01-06T10:00:00Z"))
    assert len(await queued()) == len(names) - 1
