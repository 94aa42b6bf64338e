"""The main navigation: Users, Profile, the broadcaster's room, Events.

Capabilities that are not built yet say so plainly on their page; nothing here shows numbers
the service did not collect.
"""

from __future__ import annotations

from aiohttp import web

from service.errors import NotFound
from service.permissions import Permission
from service.web.access import Access, requires
from service.web.render import render

USER_TABS = {
    "directory": ("Directory", "Everyone the service knows — models and viewers — with search, tags, "
                  "priority, followers, rank and last seen.", "the data sources"),
    "following": ("Following", "The rooms you follow, with the date you started following each.",
                  "the Chrome extension"),
    "followers": ("Followers", "Who follows you, since when, and whether they are models or viewers.",
                  "the Chrome extension and the Events API"),
    "unfollowed": ("Unfollowed", "Who unfollowed you and whom you unfollowed, with dates and how long "
                   "the follow lasted.", "the Chrome extension and the Events API"),
}  # fmt: skip


@requires(Access.AUTHENTICATED)
async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther(request.app.router["users_tab"].url_for(tab="directory"))


@requires(Permission.VIEW_USERS)
async def users(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther(request.app.router["users_tab"].url_for(tab="directory"))


@requires(Permission.VIEW_USERS)
async def users_tab(request: web.Request) -> web.StreamResponse:
    tab = request.match_info["tab"]
    if tab not in USER_TABS:
        raise NotFound(f"There is no Users tab called {tab!r}.")
    title, purpose, needs = USER_TABS[tab]
    context = {"tabs": USER_TABS, "tab": tab, "title": title, "purpose": purpose, "needs": needs,
               "active": "users"}  # fmt: skip
    return await render(request, "users/tab.html", context)
