"""``python -m bot``: the same as the ``regionews`` console script."""

import sys

from bot.app.cli import main

if __name__ == "__main__":  # the parser pool's fork server imports this module too
    sys.exit(main())
