"""`python -m service` is the same as the `mhc` command."""

from service.cli import main

raise SystemExit(main())
