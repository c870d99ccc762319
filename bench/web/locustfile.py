"""Anonymous visitors on the public pages, and a baseline user on the bare view. Driven by bench/web/run.py.

Pick the user class on the command line (`PagesUser` or `BareUser`). BENCH_WEB_TARGETS names a JSON file
with the seeded slugs, tag names and a deep catalog cursor (written by run.py); BENCH_WEB_WAIT is the think
time between requests in seconds, "0" (closed loop, measures capacity) or "1-3" (a person reading).
"""

import json
import os
import random

from locust import between, constant
from locust.contrib.fasthttp import FastHttpUser
from locust.user import task

low, _, high = os.environ.get("BENCH_WEB_WAIT", "0").partition("-")
THINK = between(float(low), float(high)) if high else constant(float(low))


class BareUser(FastHttpUser):
    wait_time = THINK

    @task
    def bare(self):
        self.client.get("/bench/bare/", name="bare")


class PagesUser(FastHttpUser):
    wait_time = THINK

    def on_start(self):
        with open(os.environ["BENCH_WEB_TARGETS"]) as file:
            self.targets = json.load(file)

    def tags(self, count: int) -> str:
        return ",".join(random.sample(self.targets["tags"], count))

    @task(2)
    def home(self):
        self.client.get("/", name="home")

    @task(3)
    def catalog(self):
        self.client.get("/styles/", name="catalog")

    @task(2)
    def catalog_tags_all(self):
        self.client.get(f"/styles/?tags={self.tags(2)}", name="catalog ?tags= (all of 2)")

    @task(1)
    def catalog_tags_any_not(self):
        self.client.get(
            f"/styles/?tags_any={self.tags(3)}&tags_not={self.tags(1)}", name="catalog ?tags_any=&tags_not="
        )

    @task(2)
    def catalog_deep(self):
        self.client.get(f"/styles/?cursor={self.targets['deep_cursor']}", name="catalog deep cursor")

    @task(1)
    def catalog_popular(self):
        self.client.get("/styles/?sort=popular", name="catalog ?sort=popular")

    @task(4)
    def detail(self):
        self.client.get(f"/styles/{random.choice(self.targets['slugs'])}/", name="style detail")

    @task(3)
    def feed(self):
        self.client.get("/feed/", name="feed")

    @task(1)
    def feed_deep(self):
        self.client.get(f"/feed/?page={self.targets['feed_deep_page']}", name="feed deep page")
