"""`python -m coach.cli` runs the `mie-coach` command."""

from coach.cli import main

main()
