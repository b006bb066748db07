"""``python -m agent``: the same as ``statusmon agent``."""

import sys

from agent.main import run

sys.exit(run(sys.argv[1:]))
