"""Every URL of the service, with its route name (= handler name = template stem)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from service.web.handlers import account, admin, admin_users, api, auth, pages

STATIC_DIR = Path(__file__).resolve().parent / "static"


def setup_routes(app: web.Application) -> None:
    r = app.router
    r.add_static("/static/", STATIC_DIR, name="static")
    r.add_get("/login", auth.login, name="login")
    r.add_post("/login", auth.login_submit, name="login_submit")
    r.add_post("/logout", auth.logout, name="logout")
    r.add_get("/setup", auth.setup, name="setup")
    r.add_post("/setup", auth.setup_submit, name="setup_submit")

    r.add_get("/", pages.home, name="home")
    r.add_get("/users", pages.users, name="users")
    r.add_get("/users/{tab}", pages.users_tab, name="users_tab")
    r.add_get("/profile", pages.profile, name="profile")
    r.add_get("/profile/{username}", pages.profile, name="profile_person")
    r.add_get("/room", pages.room, name="room")
    r.add_get("/events", pages.events, name="events")

    r.add_get("/account", account.account, name="account")
    r.add_post("/account/password", account.account_password, name="account_password")

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
    r.add_post("/admin/jobs/{name}/pause", admin.admin_job_pause, name="admin_job_pause")
    r.add_post("/admin/jobs/{name}/resume", admin.admin_job_resume, name="admin_job_resume")
    r.add_post("/admin/jobs/{name}/run", admin.admin_job_run, name="admin_job_run")

    r.add_get("/api/v1/status", api.api_status, name="api_status")
