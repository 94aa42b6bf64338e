"""Where an alert leads: the person's profile in the panel, else the panel page the rule named.

Shared by the notification centre (relative links) and the extension API (absolute, because the
extension opens them in a new tab). Only panel paths are followed: a stored URL that is not one
(another site, `javascript:`) is never made a link.
"""

from __future__ import annotations

from urllib.parse import quote

from service.store.alert_inbox import InboxAlert


def panel_link(alert: InboxAlert) -> str | None:
    """A path in the panel, or None when the alert leads nowhere in particular."""
    if alert.username:
        return f"/profile/{quote(alert.username, safe='')}"
    url = (alert.url or "").strip()
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return None


def absolute_link(alert: InboxAlert, origin: str) -> str:
    """The panel URL to open for this alert: its link, or the notification centre."""
    return origin.rstrip("/") + (panel_link(alert) or "/alerts")
