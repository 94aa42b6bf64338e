"""Scheduled work: one module per job, plus the registry, the runner and the scheduler."""
