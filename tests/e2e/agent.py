"""A simulated agent for the browser tests: samples every second, posts at the interval the API asks for."""

from __future__ import annotations

import threading
import time

import requests

from tests.live.fake import sample


class FakeAgent(threading.Thread):
    """Like the real agent's loop: a sample each second, a batch every ``report_interval`` s (from the reply)."""

    def __init__(self, base_url: str, token: str, seed: int = 0):
        super().__init__(daemon=True, name="fake-agent")
        self.base_url, self.token, self.seed = base_url, token, seed
        self.interval = 10
        self.hints: list[int] = []
        self.posts: list[float] = []
        self._halt = threading.Event()
        self.http = requests.Session()

    def run(self) -> None:
        pending: list[dict[str, object]] = []
        last_post = 0.0
        while not self._halt.is_set():
            t = time.time()
            pending.append(sample(int(t), seed=self.seed))
            if t - last_post >= self.interval - 0.1:
                r = self.http.post(self.base_url + "/api/report", json={"agent_version": "e2e-1", "samples": pending},
                                   headers={"Authorization": f"Bearer {self.token}"}, timeout=10)
                r.raise_for_status()
                self.interval = int(r.json()["report_interval"])
                self.hints.append(self.interval)
                self.posts.append(t)
                pending, last_post = [], t
            self._halt.wait(1 - (time.time() % 1))  # on the second, like the real sampler

    def stop(self) -> None:
        self._halt.set()
        self.join(5)
