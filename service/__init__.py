"""MHC Control Panel: a local, private analytics and CRM service for one Chaturbate broadcaster."""

__version__ = "0.1.0"
