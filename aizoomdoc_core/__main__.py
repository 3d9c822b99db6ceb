"""``python -m aizoomdoc_core``: see ``cli``."""

import sys

from .cli import main

sys.exit(main())
