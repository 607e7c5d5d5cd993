"""``python -m microtwin`` is the ``microtwin`` command."""

from microtwin.cli import main

if __name__ == "__main__":
    main()
