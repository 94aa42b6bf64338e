"""Clients for the upstream APIs, one package per service. They never touch the store."""
