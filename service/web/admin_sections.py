"""The Admin area's sections, listed once: the tab bar and the Admin index are both drawn from it."""

from __future__ import annotations

from dataclasses import dataclass

from service.permissions import Permission


@dataclass(frozen=True, slots=True)
class AdminSection:
    key: str  # the handler's `admin_section`, marking the active tab
    path: str
    label: str
    about: str  # one line on the index: what the section is for
    permission: Permission


ADMIN_SECTIONS: tuple[AdminSection, ...] = (
    AdminSection("users", "/admin/users", "Users",
                 "the panel's accounts, their roles and passwords", Permission.MANAGE_USERS),
    AdminSection("settings", "/admin/settings", "Settings",
                 "credentials and polling intervals of each data source", Permission.MANAGE_JOBS),
    AdminSection("jobs", "/admin/jobs", "Jobs",
                 "scheduled work: pause, resume, run now, last result", Permission.MANAGE_JOBS),
    AdminSection("sources", "/admin/sources", "Sources",
                 "each data source: configured, last success and error, rows stored, a connection test",
                 Permission.MANAGE_JOBS),
    AdminSection("events", "/admin/events", "Events stream",
                 "the Events API stream's state, the gaps it could not read and quarantined events",
                 Permission.MANAGE_JOBS),
    AdminSection("system", "/admin/system", "System Stats",
                 "database and image-store size and their growth per day", Permission.MANAGE_JOBS),
    AdminSection("import", "/admin/import", "Import",
                 "the site's token history CSV into the fans' lifetime figures", Permission.MANAGE_JOBS),
    AdminSection("alerts", "/admin/alerts", "Alerts",
                 "alert rules: who entering, which tips and follows, failures; cooldowns and quiet hours",
                 Permission.MANAGE_JOBS),
    AdminSection("extension", "/admin/extension", "Extension",
                 "pair the Chrome extension, see its last contact, revoke it", Permission.MANAGE_JOBS),
    AdminSection("alert_destinations", "/admin/alerts/destinations", "Alert destinations",
                 "webhooks (generic, Discord, ntfy) and e-mail that alerts are delivered to, with their "
                 "pending, failed and given-up deliveries", Permission.MANAGE_JOBS),
)  # fmt: skip
