"""``python -m tansaku``: the ``tansaku`` command line."""

import sys

from tansaku.cli import main

sys.exit(main())
