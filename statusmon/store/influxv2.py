"""InfluxDB 2.x's own API, for the two things its v1 compatibility API cannot do: change a bucket's retention
and delete a client's points (2.x has no DROP SERIES).

The buckets are found through the DBRP mappings the README asks for (database ``statusmon``, retention
policies ``week`` or the default, ``minute`` and ``hour``): ``GET /api/v2/dbrps`` gives each mapping's bucket
and organisation. Requests follow InfluxDB's OpenAPI contract (shared/specs/influxdb2/oss.yml), which the
tests check them against: ``PATCH /api/v2/buckets/{bucketID}`` with ``retentionRules``, and
``POST /api/v2/delete?orgID=&bucketID=`` with ``start``, ``stop`` and a ``predicate`` on the client tag.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from statusmon.store.base import StoreError

if TYPE_CHECKING:
    from statusmon.store.influx import InfluxStore

EPOCH = "1970-01-01T00:00:00Z"


class V2Api:
    def __init__(self, store: InfluxStore):
        self.store = store

    def _json(self, method: str, path: str, params: dict[str, str] | None = None,
              body: dict[str, Any] | None = None) -> Any:
        resp = self.store._request(method, "/api/v2" + path, params=params, json=body)
        if not 200 <= resp.status_code < 300:
            from statusmon.store.influx import _error_text

            raise StoreError(f"InfluxDB refused {method} /api/v2{path} ({resp.status_code}): {_error_text(resp)}")
        return resp.json() if resp.content else None

    def bucket(self, rp: str | None) -> tuple[str, str]:
        """(bucketID, orgID) that the v1 database and retention policy ``rp`` map to (None: the default)."""
        orgs = self._json("GET", "/orgs").get("orgs") or []
        for org in orgs:
            params = {"orgID": org["id"], "db": self.store.db}
            if rp:
                params["rp"] = rp
            else:
                params["default"] = "true"
            found = self._json("GET", "/dbrps", params=params).get("content") or []
            if found:
                return str(found[0]["bucketID"]), str(found[0]["orgID"])
        raise StoreError(f"InfluxDB 2.x: no DBRP mapping for database {self.store.db!r}, retention policy "
                         f"{rp or '(default)'!r}: create the bucket and map it (README, InfluxDB 2.x)")

    def set_retention(self, rp: str | None, days: int) -> None:
        bucket_id, _ = self.bucket(rp)
        self._json("PATCH", f"/buckets/{bucket_id}",
                   body={"retentionRules": [{"type": "expire", "everySeconds": int(days) * 86400}]})

    def delete_client(self, rp: str | None, client_id: str) -> None:
        bucket_id, org_id = self.bucket(rp)
        value = client_id.replace("\\", "\\\\").replace('"', '\\"')
        stop = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 86400))
        self._json("POST", "/delete", params={"orgID": org_id, "bucketID": bucket_id},
                   body={"start": EPOCH, "stop": stop, "predicate": f'client_id="{value}"'})
