"""Validating and reconciling what the extension sends: list snapshots and profile scrapes."""
