"""`python -m cli` runs the `jol` command."""

import sys

from cli.main import main

sys.exit(main())
