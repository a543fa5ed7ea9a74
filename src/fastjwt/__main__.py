"""``python -m fastjwt``: the command line (see :mod:`fastjwt.cli`)."""

import sys

from .cli import main

sys.exit(main())
