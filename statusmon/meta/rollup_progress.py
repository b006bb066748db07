"""How far each rollup tier has been built: every bucket before ``done_until`` (unix seconds) is written.

Kept in the metadata database so that every process (and ``statusmon rollup --once``) sees the same progress.
``rewind`` moves it back when samples arrive for buckets already built (an agent sending its spool late), so
the next pass builds those buckets again; building a bucket twice gives the same rows.
"""

from __future__ import annotations

from statusmon.meta.db import MetaDB

TIER_WIDTHS = {"minute": 60, "hour": 3600, "day": 86400}  # statusmon.store.tiers (meta does not import the store)


class RollupProgress:
    def __init__(self, db: MetaDB):
        self.db = db

    def get(self, tier: str) -> int | None:
        row = self.db.query_one("SELECT done_until FROM rollup_progress WHERE tier = ?", (tier,))
        return None if row is None else int(row["done_until"])

    def set(self, tier: str, done_until: int) -> None:
        with self.db.tx() as conn:
            conn.execute("INSERT INTO rollup_progress (tier, done_until) VALUES (?, ?) "
                         "ON CONFLICT (tier) DO UPDATE SET done_until = excluded.done_until", (tier, done_until))

    def rewind(self, ts: int) -> bool:
        """Samples at ``ts`` arrived after their buckets were built: move every tier back to the start of its
        bucket holding ``ts`` (minutes to the minute, hours to the hour, days to the day); True if any moved."""
        moved = 0
        with self.db.tx() as conn:
            for tier, width in TIER_WIDTHS.items():
                to = ts // width * width
                moved += conn.execute("UPDATE rollup_progress SET done_until = ? WHERE tier = ? AND done_until > ?",
                                      (to, tier, to)).rowcount
        return moved > 0

    def all(self) -> dict[str, int]:
        return {row["tier"]: int(row["done_until"]) for row in self.db.query("SELECT tier, done_until FROM "
                                                                               "rollup_progress")}
