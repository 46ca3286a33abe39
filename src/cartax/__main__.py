"""``python -m cartax`` runs the ``cartax`` command."""

from cartax.cli import main

main()
