"""The load test's users (bench/load/__main__.py runs this headless against gunicorn). The window is a
stretch of a working day: agents and clients are logged in already (sessions from prepare.py) and
open the application's home page first; logging in is measured by a user of its own.

- agents (weight 2): list cases in the console and in the API, open a case page, reply to the
  client from the console, move one of their own tickets (waiting on the client ⇄ open) from the
  console;
- clients (weight 3): open the portal's home page and their cases, read one of their cases, submit
  a ticket, reply on one of their open cases;
- logins (one user): every 5 to 15 s someone logs in on the login page, looks at the portal, logs out;
- the price feed (one user): every 30 s a price file for every security is imported the way the
  core system's feed is (`manage.py import_prices FILE`, which revalues every credit account).

Think time between a user's actions: 1 to 4 s. Names group URLs by route (/console/cases/[number]/).
The data (logins, case numbers, prices) come from bench/load/prepare.py (LOAD_DATA)."""

import datetime
import json
import os
import random
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from locust import HttpUser, User, between, constant_pacing, task

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA = json.loads(Path(os.environ.get("LOAD_DATA", BASE_DIR / "var" / "load" / "users.json")).read_text())
SHANGHAI = ZoneInfo("Asia/Shanghai")
_agents = list(DATA["agents"])
_clients = list(DATA["clients"])


def _next(people: list, everyone: list) -> tuple[dict, bool]:
    """Each simulated user takes a login of their own while there are enough; (login, shared?)."""
    return (people.pop(0), False) if people else (random.choice(everyone), True)


class WebUser(HttpUser):
    abstract = True
    wait_time = between(1, 4)

    def resume(self, session: str) -> None:
        """Come back to the application with one's session (people are logged in already)."""
        self.client.cookies.set("sessionid", session)
        self.client.get("/", name="/ (home: the role's page)")  # also sets the CSRF cookie

    def page(self, url: str, name: str) -> None:
        """A web page as a browser loads it: the page, then its bell (htmx, after the page)."""
        self.client.get(url, name=name)
        self.client.get("/notifications/bell/", headers={"HX-Request": "true"}, name="/notifications/bell/ (each page)")

    def login(self, username: str) -> None:
        self.client.get("/accounts/login/", name="/accounts/login/ (page)")
        self.post_form("/accounts/login/", {"username": username, "password": DATA["password"],
                                            "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")},
                       name="/accounts/login/ (log in)")

    def post_form(self, url: str, data: dict, name: str):
        """A form sent as the browser sends it: CSRF token, and the page's redirect (303/302) is success."""
        with self.client.post(url, data, name=name, allow_redirects=False, catch_response=True,
                              headers={"X-CSRFToken": self.client.cookies.get("csrftoken", ""),
                                       "Referer": self.host + url}) as response:
            if response.status_code in (302, 303):
                response.success()
            else:
                response.failure(f"{response.status_code}: {response.text[:200]}")


class Agent(WebUser):
    weight = 2

    def on_start(self):
        self.me, self.shared = _next(_agents, DATA["agents"])
        self.resume(self.me["session"])
        self.api = {"Authorization": f"Token {self.me['token']}"}

    def some_case(self) -> str:
        return random.choice(self.me["tickets"] + DATA["queue_cases"])

    @task(4)
    def console_list(self):
        self.page("/console/", name="/console/ (case list)")

    @task(1)
    def console_list_filtered(self):
        self.page("/console/?state=open&queue=general", name="/console/?state&queue (filtered)")

    @task(2)
    def api_list(self):
        self.client.get("/api/v1/cases/?queue=general&page_size=50", headers=self.api, name="/api/v1/cases/ (list)")

    @task(4)
    def case_page(self):
        number = self.some_case()
        self.page(f"/console/cases/{number}/", name="/console/cases/[number]/")

    @task(1)
    def api_case(self):
        self.client.get(f"/api/v1/cases/{self.some_case()}/", headers=self.api, name="/api/v1/cases/[number]/")

    @task(2)
    def reply(self):
        number = random.choice(self.me["tickets"])
        self.post_form(f"/console/cases/{number}/messages/",
                       {"reply-body": f"Load test reply {time.time():.0f}", "visibility": "public"},
                       name="/console/cases/[number]/messages/ (reply)")

    @task(1)
    def transition(self):
        if self.shared:
            return  # two people moving the same tickets at once would be a conflict, not load
        number = random.choice(self.me["tickets"])
        available = self.client.get(f"/api/v1/cases/{number}/transitions/", headers=self.api,
                                    name="/api/v1/cases/[number]/transitions/").json()
        names = {step["name"] for step in available} & {"wait_on_client", "resume"}
        if not names:
            return
        name = names.pop()
        self.post_form(f"/console/cases/{number}/transitions/{name}/",
                       {f"t-{name}-comment": "Load test step"},
                       name="/console/cases/[number]/transitions/[name]/")


class Client(WebUser):
    weight = 3

    def on_start(self):
        self.me, self.shared = _next(_clients, DATA["clients"])
        self.resume(self.me["session"])

    @task(3)
    def portal_home(self):
        self.page("/portal/", name="/portal/ (home)")

    @task(1)
    def portal_cases(self):
        self.page("/portal/cases/", name="/portal/cases/ (my cases)")

    @task(4)
    def case_page(self):
        self.page(f"/portal/cases/{random.choice(self.me['cases'])}/", name="/portal/cases/[number]/")

    @task(1)
    def submit(self):
        self.page("/portal/submit/", name="/portal/submit/ (form)")
        self.post_form("/portal/submit/", {
            "subject": f"Load test question {time.time():.0f}", "category": "trading",
            "description": "Submitted by the load test.", "credit_account": self.me["accounts"][0]},
            name="/portal/submit/ (submit a ticket)")

    @task(1)
    def reply(self):
        if not self.me["open_cases"]:
            return
        number = random.choice(self.me["open_cases"])
        self.post_form(f"/portal/cases/{number}/reply/", {"body": f"Load test client reply {time.time():.0f}"},
                       name="/portal/cases/[number]/reply/")


class Login(WebUser):
    """Someone logs in, looks at their page, logs out (PBKDF2 makes a login cost ~0.5 s of CPU)."""

    fixed_count = 1
    wait_time = between(5, 15)

    @task
    def login_and_out(self):
        self.client.cookies.clear()
        self.login(random.choice(DATA["spare_logins"]))
        self.page("/portal/", name="/portal/ (home)")
        self.post_form("/accounts/logout/", {}, name="/accounts/logout/")


class PriceFeed(User):
    """The core system's price feed: every 30 s, a file with a price for every security."""

    fixed_count = 1
    wait_time = constant_pacing(30)

    def on_start(self):
        self.prices = {symbol: Decimal(price) for symbol, price in DATA["prices"].items()}
        self.folder = BASE_DIR / "var" / "load"
        self.folder.mkdir(parents=True, exist_ok=True)

    @task
    def import_prices(self):
        as_of = datetime.datetime.now(SHANGHAI).isoformat(timespec="seconds")
        lines = ["symbol,price,as_of"]
        for symbol, price in self.prices.items():
            price = max(Decimal("0.01"), (price * Decimal(str(random.uniform(0.98, 1.02)))).quantize(Decimal("0.01")))
            self.prices[symbol] = price
            lines.append(f"{symbol},{price},{as_of}")
        path = self.folder / "prices.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), "import_prices", str(path)],
                                cwd=BASE_DIR, capture_output=True, text=True)
        elapsed = (time.perf_counter() - started) * 1000
        error = None if result.returncode == 0 else RuntimeError(result.stderr[-500:] or result.stdout[-500:])
        self.environment.events.request.fire(
            request_type="CMD", name=f"import_prices ({len(self.prices)} prices) + revaluation",
            response_time=elapsed, response_length=0, exception=error, context={})
