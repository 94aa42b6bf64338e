"""Every upstream the service knows, in the order the Settings page lists them."""

from __future__ import annotations

from service.sources.affiliate.spec import SPEC as AFFILIATE
from service.sources.cbhours.spec import SPEC as CBHOURS
from service.sources.events.spec import SPEC as EVENTS
from service.sources.spec import SourceSpec
from service.sources.statbate.spec import SPEC as STATBATE
from service.sources.stats.spec import SPEC as STATS

SOURCES: tuple[SourceSpec, ...] = (AFFILIATE, EVENTS, STATS, CBHOURS, STATBATE)
