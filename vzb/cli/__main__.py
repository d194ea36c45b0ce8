"""``python -m vzb.cli``: the ``vzb`` command."""

import sys

from vzb.cli import main

sys.exit(main())
