"""`python -m newsgen`: the same as the `newsgen` command."""

from .cli import run

run()
