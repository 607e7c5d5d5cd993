"""``python -m microtwin`` is the ``microtwin`` command."""

from microtwin.cli import main

main()
