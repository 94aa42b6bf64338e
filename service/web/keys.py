"""Typed application state: every `web.AppKey` the service uses. They key what app.py builds for
the handlers, so they live in the web layer, which may name the jobs and store types they hold."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import jinja2
from aiohttp import web

from service.ingest.live_feed import EventsHub
from service.jobs.alert_delivery import AlertDelivery
from service.jobs.events_stream import EventsStream
from service.jobs.runner import JobRunner
from service.jobs.scheduler import Scheduler
from service.logs import SecretRegistry
from service.ratelimit import LoginThrottle
from service.security import Passwords
from service.settings import ConfigHolder, Settings
from service.store.db import Database
from service.web.fan_counts import FanCounts
from service.web.import_tasks import ImportTasks

settings_key = web.AppKey("settings", Settings)
db_key = web.AppKey("db", Database)
config_key = web.AppKey("config", ConfigHolder)
secrets_key = web.AppKey("secrets", SecretRegistry)
passwords_key = web.AppKey("passwords", Passwords)
templates_key = web.AppKey("templates", jinja2.Environment)
runner_key = web.AppKey("runner", JobRunner)
scheduler_key = web.AppKey("scheduler", Scheduler)
http_key = web.AppKey("http", httpx.AsyncClient)
login_limiter_key = web.AppKey("login_limiter", LoginThrottle)
events_hub_key = web.AppKey("events_hub", EventsHub)
events_stream_key = web.AppKey("events_stream", EventsStream)
fan_counts_key = web.AppKey("fan_counts", FanCounts)
import_tasks_key = web.AppKey("import_tasks", ImportTasks)
alert_delivery_key = web.AppKey("alert_delivery", AlertDelivery)
# Where the first-run setup link is announced (the console, for `mhc serve`).
announce_key: web.AppKey[Callable[[str], None]] = web.AppKey("announce")
