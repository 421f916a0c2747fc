"""`python -m safe4c.cli ...` runs the `safe4c` command."""

from safe4c.cli import main

raise SystemExit(main())
