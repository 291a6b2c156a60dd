"""`python -m huoke` runs the command line."""

from huoke.cli import main

main()
