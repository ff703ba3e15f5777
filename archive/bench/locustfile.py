"""The load test's users (locust): what `manage.py bench_load` runs against the production
server. Each user waits 0-0.1 s between requests and picks a page type weighted like real
use (search 40%, article 25%, entity 20%, API 10%, feeds 5%), then an address of that type
from the pools bench_load wrote (BENCH_POOLS, a JSON file: archive/bench/site.pools()).

Requests are named by page type, so locust's statistics come out per type.
"""

import json
import os
import random

from locust import HttpUser, between, task

POOLS = json.loads(open(os.environ["BENCH_POOLS"]).read())  # noqa: SIM115 - read once


class Reader(HttpUser):
    wait_time = between(0, 0.1)

    def _get(self, kind: str):
        self.client.get(random.choice(POOLS[kind]), name=kind)

    @task(40)
    def search(self):
        self._get("search")

    @task(25)
    def article(self):
        self._get("article")

    @task(20)
    def entity(self):
        self._get("entity")

    @task(10)
    def api(self):
        self._get("api")

    @task(5)
    def feed(self):
        self._get("feed")
