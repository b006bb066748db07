"""Reading a time range from query arguments: ?range=1h|12h|24h|7d|30d|90d|1y|2y, or ?from=&to= in unix seconds."""

from __future__ import annotations

import time
from collections.abc import Mapping

from api.errors import BadRequest

DAY = 24 * 3600
RANGES = {"1h": 3600, "12h": 12 * 3600, "24h": DAY, "7d": 7 * DAY, "30d": 30 * DAY, "90d": 90 * DAY,
          "1y": 365 * DAY, "2y": 730 * DAY}
MAX_SPAN = 731 * DAY  # two years (the hour tier's default retention) and a day


def _int_arg(args: Mapping[str, str], name: str) -> int | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(float(raw))
    except ValueError:
        raise BadRequest(f"{name} must be a number of unix seconds") from None


def time_range(args: Mapping[str, str], default: str = "1h") -> tuple[int, int, str | None]:
    """(start, end, range name or None); end is exclusive and defaults to now + 1."""
    now = int(time.time()) + 1
    name = args.get("range")
    start, end = _int_arg(args, "from"), _int_arg(args, "to")
    if name is not None:
        if name not in RANGES:
            raise BadRequest(f"range must be one of {', '.join(RANGES)}")
        if start is not None:
            raise BadRequest("give either range or from/to")
        end = end or now
        return end - RANGES[name], end, name
    if start is None:
        end = end or now
        return end - RANGES[default], end, default
    end = end or now
    if end <= start:
        raise BadRequest("to must be after from")
    if end - start > MAX_SPAN:
        raise BadRequest("the range may span at most 731 days")
    return start, end, None
