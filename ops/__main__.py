"""`python -m ops`: the operator CLI (ops/cli.py)."""

from ops.cli import main

main()
