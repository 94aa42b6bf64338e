"""One module per `mhc` command."""
