"""Every job the service knows, in the order Admin › Jobs lists them."""

from __future__ import annotations

from service.jobs import (
    affiliate,
    alert_watch,
    cbhours,
    extension_lists,
    images,
    lookup,
    maintenance,
    statbate,
    stats,
    system_stats,
)
from service.jobs.base import JobSpec

ALL_JOBS: tuple[JobSpec, ...] = (
    maintenance.SPEC,
    system_stats.SPEC,
    affiliate.SPEC,
    stats.SPEC,
    cbhours.LIVE_SPEC,
    cbhours.ACTIVITY_SPEC,
    statbate.SPEC,
    lookup.SPEC,
    images.SPEC,
    extension_lists.SPEC,
    alert_watch.SPEC,
)


def job_specs() -> dict[str, JobSpec]:
    return {spec.name: spec for spec in ALL_JOBS}
