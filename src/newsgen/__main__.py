"""`python -m newsgen`: the same as the `newsgen` command."""

import sys

from .cli import main

sys.exit(main())
