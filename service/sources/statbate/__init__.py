"""Statbate Plus: tipper (member) and model statistics across cam sites."""

from service.sources.statbate.client import StatbateClient
from service.sources.statbate.models import (
    StatbateBatch,
    StatbateMemberInfo,
    StatbateMemberTip,
    StatbateModelInfo,
    StatbateModelRank,
)

__all__ = [
    "StatbateBatch",
    "StatbateClient",
    "StatbateMemberInfo",
    "StatbateMemberTip",
    "StatbateModelInfo",
    "StatbateModelRank",
]
