"""``python -m civicgrid``: the command line (how ``civicgrid demo`` starts its background
history build with the same interpreter)."""

from civicgrid.cli import main

main()
