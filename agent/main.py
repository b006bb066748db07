"""Entry point: ``statusmon agent [--once] [--config PATH]``, ``statusmon agent update --once`` and
``python -m agent``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time

from agent.config import DEFAULT_CONFIG_PATH, Config, ConfigError, load


def once(config: Config) -> int:
    """Take one sample with every enabled collector and print it as JSON (troubleshooting, README)."""
    from agent import collectors
    from agent.sampler import Sampler, next_tick

    sampler = Sampler(collectors.build(config))
    try:
        for c in sampler.collectors:  # rates need a first reading (net, diskio): taken now, the sample's at the tick
            if getattr(c, "settle", None) is None:
                try:
                    c.collect(time.time())
                except Exception:  # noqa: BLE001, S110 - the sample below reports it
                    pass
        for c in sampler.collectors:  # slow collectors measure in the background: give them a moment
            settle = getattr(c, "settle", None)
            if settle is not None:
                settle(10.0)
        target = next_tick(time.time() + 0.2, 1)  # the CPU collector needs an interval to measure over
        time.sleep(max(0.0, target - time.time()))
        sample = sampler.sample(int(target))
    finally:
        sampler.close()
    print(json.dumps(sample, indent=2, allow_nan=False))
    for name, st in sampler.stats.items():
        print(f"# {name}: {'ok' if st.ok else 'FAILED'} in {st.seconds * 1000:.2f} ms", file=sys.stderr)
    return 0


def run(argv: list[str]) -> int:
    if argv[:1] == ["update"]:  # a separate short-lived process: the agent itself never loads the updater
        from agent.update.main import run as update

        return update(argv[1:])
    parser = argparse.ArgumentParser(prog="statusmon agent", description="Sample this host every second and "
                                     "push the samples to the Status Monitor API.")
    parser.add_argument("--config", metavar="PATH",
                        help=f"config file (default: $STATUSMON_AGENT_CONFIG or {DEFAULT_CONFIG_PATH})")
    parser.add_argument("--once", action="store_true", help="print one sample as JSON and exit")
    args = parser.parse_args(argv)
    try:
        config = load(args.config)
        logging.basicConfig(level=config.log_level.upper(), stream=sys.stderr,
                            format="%(levelname)s %(name)s: %(message)s")
        if args.once:
            return once(config)
        config.check_sending()
    except ConfigError as exc:
        print(f"statusmon agent: configuration error: {exc}", file=sys.stderr)
        return 2
    from agent.runtime import Agent

    return Agent(config).run()
