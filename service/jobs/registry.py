"""Every job the service knows, in the order Admin › Jobs lists them."""

from __future__ import annotations

from service.jobs import maintenance
from service.jobs.base import JobSpec

ALL_JOBS: tuple[JobSpec, ...] = (maintenance.SPEC,)


def job_specs() -> dict[str, JobSpec]:
    return {spec.name: spec for spec in ALL_JOBS}
