"""``python -m sklearn_mmer``: the same as the ``sklearn-mmer`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
