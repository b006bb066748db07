"""The real agent (agent.runtime.Agent, configured from the environment as ``python -m agent`` is), with one
seam: the "alive but silent" threshold shortened from 60 s + 2 x the HTTP timeout to the seconds given, so a
test need not wait a minute. Everything else (the delivery thread, the watchdog job, sd_notify, the exit code)
is the product's."""

from __future__ import annotations

import logging
import sys

from agent.config import load
from agent.runtime import Agent

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    agent = Agent(load())
    agent.stale_after = float(sys.argv[1])  # the seam (see the module doc)
    sys.exit(agent.run())
