"""``statusmon agent update --once [--config PATH]``: one update run (the systemd timer's service runs this)."""

from __future__ import annotations

import argparse
import logging
import sys

from agent.config import DEFAULT_CONFIG_PATH, ConfigError, load

EXIT_CODES = {"current": 0, "off": 0, "installed": 0, "skipped": 0, "refused": 1, "failed": 1, "rolled_back": 1}
EXIT_BUSY = 3


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="statusmon agent update",
                                     description="Install the agent release the API names for this host, "
                                                 "verified against the pinned TUF root; roll back if unhealthy.")
    parser.add_argument("--config", metavar="PATH", help=f"config file (default: {DEFAULT_CONFIG_PATH})")
    parser.add_argument("--once", action="store_true", help="one update run, then exit (the only mode)")
    args = parser.parse_args(argv)
    if not args.once:
        parser.error("--once is required (the systemd timer runs it daily)")
    try:
        config = load(args.config)
        config.check_sending()
    except ConfigError as exc:
        print(f"statusmon agent update: configuration error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=config.log_level.upper(), stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    from agent.update.updater import Busy, Updater

    try:
        outcome = Updater(config).run_once()
    except Busy as exc:
        logging.getLogger("agent.update").warning("%s", exc)
        return EXIT_BUSY
    print(f"{outcome.result} {outcome.version or '-'} {outcome.detail}".rstrip())
    return EXIT_CODES[outcome.result]
