"""Chaturbate Stats API: our own account's token balance, votes, viewers."""

from service.sources.stats.client import StatsClient
from service.sources.stats.models import StatsSnapshot

__all__ = ["StatsClient", "StatsSnapshot"]
