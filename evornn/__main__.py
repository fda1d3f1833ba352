"""``python -m evornn``: the command line (see :mod:`evornn.cli`)."""
import sys

from .cli import main

sys.exit(main())
