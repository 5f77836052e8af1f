"""Bad input through the web pages' own forms: every page a role may open (every route of the URL
resolver, with the role's own objects) is read for its POST forms, and each form is sent back with
odd values in its fields (empty, NUL bytes, markup, huge and negative numbers, impossible dates,
very long text, the select's own options mixed in). No answer may be a server error: bad input is
refused with the page and the reason (400), a refusal (403/404/409) or done (a redirect)."""

import random
from html.parser import HTMLParser

import pytest

from tests.security.dataset import ROLES
from tests.security.routes import all_routes
from tests.security.test_authz_sweep import is_html, known, login, variants

pytestmark = [pytest.mark.django_db, pytest.mark.security]

ODD_VALUES = ("", " ", "\x00", "<script>alert(1)</script>", "9" * 40, "-1", "0", "1e309", "NaN", "-0.000001",
              "2026-02-30", "2026-13-01T25:61", "1900-01-01", "9999-12-31T23:59", "💥" * 300, "a" * 20_000,
              "../../etc/passwd", "null", "[]", "' OR 1=1 --", "１２３", "on")
#: Sendings of each form (a fixed seed: the same values every run).
TRIES = 8


@pytest.fixture(scope="module")
def web_routes():
    return [route for route in all_routes()[0] if not route.is_api and known(route)]


class Forms(HTMLParser):
    """The POST forms of a page: (action, {field name: [option values]})."""

    def __init__(self):
        super().__init__()
        self.forms, self.select = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.forms.append((attrs.get("action") or "", {}))
        elif self.forms and tag in ("input", "select", "textarea") and attrs.get("name"):
            if attrs.get("type") in ("submit", "button", "file", "image"):
                return
            options = self.forms[-1][1].setdefault(attrs["name"], [])
            if attrs.get("value"):
                options.append(attrs["value"])
            self.select = options if tag == "select" else None
        elif tag == "option" and self.select is not None and attrs.get("value") is not None:
            self.select.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None


def page_forms(client, url) -> list[tuple[str, dict]]:
    response = client.get(url)
    if response.status_code != 200 or not is_html(response):
        return []
    parser = Forms()
    parser.feed(response.content.decode())
    return [(action or url, fields) for action, fields in parser.forms if not action.startswith("http")]


@pytest.mark.parametrize("role", [role for role in ROLES if role != "anonymous"])
def test_odd_values_in_every_form_are_never_server_errors(role, world, web_routes):
    client = login(world, role)
    rng = random.Random(f"forms-{role}")
    seen, failures, sent = set(), [], 0
    for route in web_routes:
        for label, _param, values in variants(world, role, route):
            if label != "inside":
                continue
            for action, fields in page_forms(client, route.url(values)):
                key = (action.split("?")[0], tuple(sorted(fields)))
                if key in seen or "logout" in action or "i18n" in action:
                    continue
                seen.add(key)
                for _try in range(TRIES):
                    body = {name: rng.choice([*ODD_VALUES, *options]) for name, options in fields.items()}
                    response = client.post(action, body)
                    sent += 1
                    if response.status_code >= 500:
                        failures.append(f"POST {action} as {role} {sorted(body)}: {response.status_code}")
                        break
            break  # one set of the role's own objects per route
    print(f"\n{role}: {len(seen)} forms, {sent} sendings")
    assert seen, f"{role}: no form found on any page"
    assert not failures, "\n".join(failures)
