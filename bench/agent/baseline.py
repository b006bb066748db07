"""The minimal psutil loop the agent is measured against: every second CPU, memory, root disk usage and statvfs
inodes; every 10 s one JSON POST with urllib. No spool, no retries: the cheapest thing that could work."""

import json
import os
import sys
import time
import urllib.request

import psutil

url = sys.argv[1] + "/api/report"
token = sys.argv[2]
batch = []
psutil.cpu_percent(None)
last_post = time.time()
while True:
    time.sleep(1 - time.time() % 1)
    st = os.statvfs("/")
    batch.append(
        {
            "ts": int(time.time()),
            "cpu_percent": psutil.cpu_percent(None),
            "ram_percent": psutil.virtual_memory().percent,
            "disk_percent": psutil.disk_usage("/").percent,
            "inode_percent": 100.0 * (st.f_files - st.f_ffree) / max(st.f_files, 1),
        }
    )
    if time.time() - last_post >= 10:
        import gzip

        body = gzip.compress(json.dumps({"agent_version": "baseline", "dropped": 0, "samples": batch}).encode())
        req = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Content-Encoding": "gzip",
            },
        )
        try:
            urllib.request.urlopen(req, timeout=10).read()
            batch = []
        except OSError:
            pass
        last_post = time.time()
