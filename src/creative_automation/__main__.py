"""`python -m creative_automation` is the `cap` command."""

from .cli import main

main()
