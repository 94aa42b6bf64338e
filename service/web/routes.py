"""Every URL of the service, with its route name (= handler name = template stem)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from service.web.handlers import (
    account,
    admin,
    admin_alert_destinations,
    admin_alerts,
    admin_events,
    admin_extension,
    admin_import,
    admin_sources,
    admin_system,
    admin_users,
    alerts,
    api,
    auth,
    directory,
    events,
    ext_api,
    fan_lists,
    fans,
    follows,
    images,
    insights_form,
    live_room,
    pages,
    profile,
    room,
    room_insights,
)

STATIC_DIR = Path(__file__).resolve().parent / "static"


def setup_routes(app: web.Application) -> None:
    r = app.router
    r.add_static("/static/", STATIC_DIR, name="static")
    _json_routes(r)
    r.add_get("/login", auth.login, name="login")
    r.add_post("/login", auth.login_submit, name="login_submit")
    r.add_post("/logout", auth.logout, name="logout")
    r.add_get("/setup", auth.setup, name="setup")
    r.add_post("/setup", auth.setup_submit, name="setup_submit")

    r.add_get("/", pages.home, name="home")
    r.add_get("/users", pages.users, name="users")
    _users_routes(r)
    _extension_routes(r)
    r.add_get("/profile", profile.profile, name="profile")
    r.add_get("/profile/{username}", profile.profile_person, name="profile_person")
    r.add_post(
        "/profile/{username}/statbate-tips", profile.profile_statbate_tips, name="profile_statbate_tips"
    )
    r.add_get("/profile/{username}/room", room.profile_room, name="profile_room")
    _fan_list_routes(r)
    _issue_11_routes(r)
    _room_routes(r)
    _insights_routes(r)
    r.add_get("/events", events.events, name="events")
    r.add_get("/events/live", events.events_live, name="events_live")

    _alert_routes(r)
    r.add_get("/account", account.account, name="account")
    r.add_post("/account/password", account.account_password, name="account_password")
    r.add_post("/account/api-keys", account.account_api_key_create, name="account_api_key_create")
    revoke_key = "/account/api-keys/{key_id}/revoke"
    r.add_post(revoke_key, account.account_api_key_revoke, name="account_api_key_revoke")

    r.add_get("/admin", admin.admin, name="admin")
    r.add_get("/admin/users", admin_users.admin_users, name="admin_users")
    r.add_post("/admin/users", admin_users.admin_user_create, name="admin_user_create")
    r.add_post("/admin/users/{user_id}/roles", admin_users.admin_user_roles, name="admin_user_roles")
    r.add_post("/admin/users/{user_id}/disable", admin_users.admin_user_disable, name="admin_user_disable")
    r.add_post("/admin/users/{user_id}/enable", admin_users.admin_user_enable, name="admin_user_enable")
    r.add_post("/admin/users/{user_id}/password", admin_users.admin_user_password, name="admin_user_password")
    r.add_post("/admin/users/{user_id}/delete", admin_users.admin_user_delete, name="admin_user_delete")
    r.add_get("/admin/settings", admin.admin_settings, name="admin_settings")
    r.add_post("/admin/settings", admin.admin_settings_save, name="admin_settings_save")
    r.add_get("/admin/jobs", admin.admin_jobs, name="admin_jobs")
    r.add_get("/admin/system", admin_system.admin_system, name="admin_system")
    r.add_get("/admin/sources", admin_sources.admin_sources, name="admin_sources")
    r.add_post("/admin/sources/{source}/test", admin_sources.admin_source_test, name="admin_source_test")
    r.add_get("/images/{sha256}", images.image, name="image")
    r.add_get("/admin/events", admin_events.admin_events, name="admin_events")
    r.add_get("/admin/import", admin_import.admin_import, name="admin_import")
    r.add_post("/admin/import", admin_import.admin_import_upload, name="admin_import_upload")
    r.add_post("/admin/jobs/{name}/pause", admin.admin_job_pause, name="admin_job_pause")
    r.add_post("/admin/jobs/{name}/resume", admin.admin_job_resume, name="admin_job_resume")
    r.add_post("/admin/jobs/{name}/run", admin.admin_job_run, name="admin_job_run")

    r.add_get("/api/v1/status", api.api_status, name="api_status")


def _issue_11_routes(r: web.UrlDispatcher) -> None:
    _alert_rule_routes(r)
    _alert_destination_routes(r)


def _alert_rule_routes(r: web.UrlDispatcher) -> None:
    """Issue 11: the live room, and Admin › Alerts' rules (ids are digits: /admin/alerts/destinations
    and other words stay free)."""
    r.add_get("/room/live", live_room.room_live, name="room_live")
    r.add_get("/room/live/stream", live_room.room_live_stream, name="room_live_stream")
    r.add_get("/admin/alerts", admin_alerts.admin_alerts, name="admin_alerts")
    r.add_get("/admin/alerts/new", admin_alerts.admin_alert_new, name="admin_alert_new")
    r.add_post("/admin/alerts/new", admin_alerts.admin_alert_create, name="admin_alert_create")
    rule = r"/admin/alerts/{rule_id:\d+}"
    r.add_get(rule, admin_alerts.admin_alert_edit, name="admin_alert_edit")
    r.add_post(rule, admin_alerts.admin_alert_update, name="admin_alert_update")
    r.add_post(f"{rule}/enable", admin_alerts.admin_alert_enable, name="admin_alert_enable")
    r.add_post(f"{rule}/disable", admin_alerts.admin_alert_disable, name="admin_alert_disable")
    r.add_post(f"{rule}/delete", admin_alerts.admin_alert_delete, name="admin_alert_delete")


def _users_routes(r: web.UrlDispatcher) -> None:
    """Users › Directory and Users › Fans (the follow tabs are with the extension's routes)."""
    r.add_get("/users/directory", directory.users_directory, name="users_directory")
    r.add_get("/users/directory.csv", directory.users_directory_csv, name="users_directory_csv")
    r.add_post("/users/directory/queue", directory.users_directory_queue, name="users_directory_queue")
    r.add_post("/users/directory/scrape", directory.users_directory_scrape, name="users_directory_scrape")
    r.add_get("/users/fans", fans.users_fans, name="users_fans")
    r.add_get("/users/fans.csv", fans.users_fans_csv, name="users_fans_csv")


def _insights_routes(r: web.UrlDispatcher) -> None:
    """Issue 12: Room › Insights and its tables as CSV (its JSON twin is with the JSON routes)."""
    r.add_get("/room/insights", room_insights.room_insights, name="room_insights")
    csv = "/room/insights/{analysis}.csv"
    r.add_get(csv, room_insights.room_insights_csv, name="room_insights_csv")


def _extension_routes(r: web.UrlDispatcher) -> None:
    """Issue 5: the extension API, the follow tabs and Admin › Extension."""
    r.add_get("/api/ext/v1/ping", ext_api.ext_ping, name="ext_ping")
    r.add_post("/api/ext/v1/pair", ext_api.ext_pair, name="ext_pair")
    r.add_post("/api/ext/v1/lists", ext_api.ext_lists, name="ext_lists")
    r.add_post("/api/ext/v1/lists/parts", ext_api.ext_list_part, name="ext_list_part")
    r.add_post("/api/ext/v1/lists/finish", ext_api.ext_list_finish, name="ext_list_finish")
    r.add_post("/api/ext/v1/profiles", ext_api.ext_profiles, name="ext_profiles")
    r.add_get("/api/ext/v1/tasks", ext_api.ext_tasks, name="ext_tasks")
    r.add_post("/api/ext/v1/tasks/{task_id}", ext_api.ext_task_report, name="ext_task_report")

    r.add_get("/users/following", follows.users_following, name="users_following")
    r.add_post("/users/following/update", follows.users_following_update, name="users_following_update")
    r.add_get("/users/followers", follows.users_followers, name="users_followers")
    r.add_post("/users/followers/update", follows.users_followers_update, name="users_followers_update")
    r.add_get("/users/unfollowed", follows.users_unfollowed, name="users_unfollowed")
    removal = "/users/removals/{removal_id}"
    r.add_post(f"{removal}/confirm", follows.users_removal_confirm, name="users_removal_confirm")
    r.add_post(f"{removal}/revert", follows.users_removal_revert, name="users_removal_revert")
    snapshot = "/users/snapshots/{snapshot_id}"
    r.add_post(f"{snapshot}/revert", follows.users_snapshot_revert, name="users_snapshot_revert")

    r.add_get("/admin/extension", admin_extension.admin_extension, name="admin_extension")
    r.add_post("/admin/extension/code", admin_extension.admin_extension_code, name="admin_extension_code")
    revoke = "/admin/extension/{client_id}/revoke"
    r.add_post(revoke, admin_extension.admin_extension_revoke, name="admin_extension_revoke")


def _alert_routes(r: web.UrlDispatcher) -> None:
    """Issue 11: the notification centre, its live toasts, each user's choices, the extension's alerts."""
    r.add_get("/alerts", alerts.alerts, name="alerts")
    r.add_get("/alerts/live", alerts.alerts_live, name="alerts_live")
    r.add_post("/alerts/read-all", alerts.alerts_read_all, name="alerts_read_all")
    r.add_post("/alerts/{alert_id}/read", alerts.alert_read, name="alert_read")
    r.add_post("/account/alerts", account.account_alert_preferences, name="account_alert_preferences")
    r.add_get("/api/ext/v1/alerts", ext_api.ext_alerts, name="ext_alerts")
    r.add_post("/api/ext/v1/alerts/ack", ext_api.ext_alerts_ack, name="ext_alerts_ack")


def _fan_list_routes(r: web.UrlDispatcher) -> None:
    """Issue 10: relationship lists (Users › Lists, and a person's lists on their profile) and notes."""
    r.add_get("/users/lists", fan_lists.users_lists, name="users_lists")
    r.add_post("/users/lists", fan_lists.users_list_create, name="users_list_create")
    r.add_post("/users/lists/{list_id}/rename", fan_lists.users_list_rename, name="users_list_rename")
    r.add_post("/users/lists/{list_id}/delete", fan_lists.users_list_delete, name="users_list_delete")
    person = "/profile/{username}"
    r.add_post(f"{person}/lists", fan_lists.profile_list_add, name="profile_list_add")
    remove = f"{person}/lists/{{list_id}}/remove"
    r.add_post(remove, fan_lists.profile_list_remove, name="profile_list_remove")
    r.add_post(f"{person}/notes", fan_lists.profile_note_add, name="profile_note_add")
    note = f"{person}/notes/{{note_id}}"
    r.add_post(f"{note}/edit", fan_lists.profile_note_edit, name="profile_note_edit")
    r.add_post(f"{note}/delete", fan_lists.profile_note_delete, name="profile_note_delete")
    r.add_post(f"{note}/pin", fan_lists.profile_note_pin, name="profile_note_pin")
    r.add_post(f"{note}/unpin", fan_lists.profile_note_unpin, name="profile_note_unpin")


def _alert_destination_routes(r: web.UrlDispatcher) -> None:
    """Issue 11: Admin › Alert destinations (webhooks and e-mail the outbox delivers to)."""
    handlers = admin_alert_destinations
    base = "/admin/alerts/destinations"
    r.add_get(base, handlers.admin_alert_destinations, name="admin_alert_destinations")
    r.add_post(base, handlers.admin_alert_destination_create, name="admin_alert_destination_create")
    one = f"{base}/{{destination_id}}"
    r.add_get(one, handlers.admin_alert_destination, name="admin_alert_destination")
    r.add_post(one, handlers.admin_alert_destination_save, name="admin_alert_destination_save")
    r.add_post(f"{one}/test", handlers.admin_alert_destination_test, name="admin_alert_destination_test")
    delete = handlers.admin_alert_destination_delete
    r.add_post(f"{one}/delete", delete, name="admin_alert_destination_delete")


def _room_routes(r: web.UrlDispatcher) -> None:
    """The room page, a broadcast, and (issue 12) Room › Insights form with the optional AI reports."""
    r.add_get("/room", room.room, name="room")
    r.add_get("/room/broadcasts/{broadcast_id}", room.room_broadcast, name="room_broadcast")
    form = "/room/insights-form"
    r.add_get(form, insights_form.room_insights_form, name="room_insights_form")
    r.add_post(form, insights_form.room_insights_form_save, name="room_insights_form_save")
    revision = f"{form}/revisions/{{revision_id}}"
    r.add_get(revision, insights_form.room_insights_form_revision, name="room_insights_form_revision")
    r.add_get(f"{form}/preview", insights_form.room_insights_form_preview, name="room_insights_form_preview")
    r.add_post(
        f"{form}/reports", insights_form.room_insights_form_generate, name="room_insights_form_generate"
    )
    r.add_get(
        f"{form}/reports/{{report_id}}", insights_form.room_insights_report, name="room_insights_report"
    )


def _json_routes(r: web.UrlDispatcher) -> None:
    """Each page's data as JSON, from the page's own handler (service/web/json_view.py).

    Added before the pages: "/profile/{username}" would otherwise take "alice.json" for a username.
    """
    r.add_get("/users/directory.json", directory.users_directory, name="users_directory_json")
    r.add_get("/users/fans.json", fans.users_fans, name="users_fans_json")
    r.add_get("/profile/{username}.json", profile.profile_person, name="profile_person_json")
    r.add_get("/room/broadcasts/{broadcast_id}.json", room.room_broadcast, name="room_broadcast_json")
    r.add_get("/room.json", room.room, name="room_json")
    r.add_get("/events.json", events.events, name="events_json")
    r.add_get("/room/live.json", live_room.room_live, name="room_live_json")
    r.add_get("/room/insights.json", room_insights.room_insights, name="room_insights_json")
    r.add_get("/admin/import.json", admin_import.admin_import, name="admin_import_json")
    r.add_post("/admin/import.json", admin_import.admin_import_upload, name="admin_import_upload_json")
    r.add_get("/admin/import/{import_id}.json", admin_import.admin_import_status, name="admin_import_status")
    r.add_get("/api/followers/unfollowed", follows.users_unfollowed, name="api_followers_unfollowed")
    r.add_get("/users/following.json", follows.users_following, name="users_following_json")
    r.add_get("/users/followers.json", follows.users_followers, name="users_followers_json")
    r.add_get("/users/unfollowed.json", follows.users_unfollowed, name="users_unfollowed_json")
    r.add_get("/users/lists.json", fan_lists.users_lists, name="users_lists_json")
    r.add_get("/alerts.json", alerts.alerts, name="alerts_json")
    r.add_get("/room/insights-form.json", insights_form.room_insights_form, name="room_insights_form_json")
    report = "/room/insights-form/reports/{report_id}.json"
    r.add_get(report, insights_form.room_insights_report, name="room_insights_report_json")
