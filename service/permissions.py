"""The permissions a system user can hold and the roles created by default."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    VIEW_USERS = "view_users"
    MANAGE_USERS = "manage_users"
    VIEW_STATS = "view_stats"
    MANAGE_JOBS = "manage_jobs"
    MANAGE_PRIORITIES = "manage_priorities"
    SCRAPE_PROFILES = "scrape_profiles"
    EDIT_FANS = "edit_fans"


PERMISSION_DESCRIPTIONS: dict[Permission, str] = {
    Permission.VIEW_USERS: "See people: directory, following, followers, profiles",
    Permission.MANAGE_USERS: "Create, disable and delete system users; assign roles",
    Permission.VIEW_STATS: "See the room, events and statistics",
    Permission.MANAGE_JOBS: "Configure data sources, run and pause jobs",
    Permission.MANAGE_PRIORITIES: "Queue people for lookup and tracking",
    Permission.SCRAPE_PROFILES: "Ask the extension to scrape profiles and lists",
    Permission.EDIT_FANS: "Write notes and curate fan lists",
}

DEFAULT_ROLES: dict[str, tuple[str, frozenset[Permission]]] = {
    "admin": ("Everything", frozenset(Permission)),
    "subscriber": (
        "Use the panel and queue work",
        frozenset(
            {
                Permission.VIEW_USERS,
                Permission.VIEW_STATS,
                Permission.MANAGE_PRIORITIES,
                Permission.SCRAPE_PROFILES,
                Permission.EDIT_FANS,
            }
        ),
    ),
    "viewer": ("Read-only", frozenset({Permission.VIEW_USERS, Permission.VIEW_STATS})),
}

# The admin role always holds every permission, including ones added in later versions.
ALL_PERMISSIONS_ROLE = "admin"
