"""Every route the application serves, found in the URL resolver (so a new page or API is walked
without anyone listing it), and every operation of the OpenAPI schema; concrete URLs are built
by filling each route's path parameters."""

import re
from dataclasses import dataclass
from urllib.parse import quote

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

#: Routes the sweep does not walk, and why.
SKIPPED_NAMESPACES = {"admin": "the Django admin has its own permission system (ModelAdmin.has_*_permission)"}
SKIPPED_NAMES = {
    "set_language": "Django's language switch: sets a cookie, no data",
    **dict.fromkeys(("health", "health-ready", "health-live"),
                    "operators' health checks: public by design, no data, and a failed check's answer is a 500 "
                    "(tests/hardening/test_health.py)"),
}
SKIPPED_PARAMS = {
    "format": "DRF's format-suffix twin (…/cases.json) of a route walked without the suffix: the same view",
}
SKIPPED_PREFIXES = {
    "static/": "static files (served by whitenoise in production)",
    "media/": "uploaded files are served only through the attachment view, never from MEDIA_URL",
}

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Route:
    template: str  # e.g. "api/v1/cases/<number>/messages/"
    name: str  # the namespaced URL name ("console:case", "case-messages"), "" when unnamed
    params: tuple[str, ...]
    callback: object
    chain: tuple  # the pattern objects from the root to this route

    def __str__(self) -> str:
        return f"/{self.template}" + (f" ({self.name})" if self.name else "")

    @property
    def namespace(self) -> str:
        return self.name.split(":", 1)[0] if ":" in self.name else ""

    @property
    def is_api(self) -> bool:
        return self.template.startswith("api/")

    def url(self, values: dict[str, str]) -> str:
        url = "/" + "".join(_fill(pattern, values) for pattern in self.chain)
        match = resolve(url.split("?")[0])
        if match.func is not self.callback:
            raise AssertionError(f"{self}: the URL built, {url}, resolves to another view ({match.view_name})")
        return url

    @property
    def declares_methods(self) -> bool:
        """False for a plain function view: whatever methods it serves, it cannot say."""
        callback = self.callback
        return bool(getattr(callback, "actions", None) or getattr(callback, "view_class", None)
                    or getattr(callback, "cls", None))

    def write_methods(self) -> tuple[str, ...]:
        """The write methods the view declares; POST for a plain function view (it cannot say)."""
        callback = self.callback
        actions = getattr(callback, "actions", None)  # a DRF viewset route
        if actions:
            return tuple(method for method in WRITE_METHODS if method.lower() in actions)
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        if view_class is not None:
            return tuple(method for method in WRITE_METHODS
                         if method.lower() in view_class.http_method_names and hasattr(view_class, method.lower()))
        return ("POST",)


_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _regex_groups(regex: str) -> list[tuple[int, int, str]]:
    """(start, end, name) of each named group, parentheses balanced."""
    groups = []
    for match in re.finditer(r"\(\?P<(?P<name>\w+)>", regex):
        depth, index = 1, match.end()
        while depth and index < len(regex):
            if regex[index] == "\\":
                index += 2
                continue
            depth += {"(": 1, ")": -1}.get(regex[index], 0)
            index += 1
        groups.append((match.start(), index, match.group("name")))
    return groups


def _pattern_params(pattern) -> list[str]:
    if isinstance(pattern, RoutePattern):
        return [match.group("name") for match in _ROUTE_PARAM.finditer(str(pattern._route))]
    if isinstance(pattern, RegexPattern):
        return [name for _start, _end, name in _regex_groups(pattern._regex)]
    return []


def _fill(pattern, values: dict[str, str]) -> str:
    if isinstance(pattern, RoutePattern):
        return _ROUTE_PARAM.sub(lambda m: quote(str(values[m.group("name")]), safe=""), str(pattern._route))
    regex = pattern._regex
    for start, end, name in reversed(_regex_groups(regex)):
        regex = regex[:start] + quote(str(values[name]), safe="") + regex[end:]
    text = regex.lstrip("^").rstrip("$").replace("\\.", ".").replace("\\-", "-")
    if re.search(r"[\\()\[\]*+?|{}^$]", text):
        raise AssertionError(f"cannot build a URL from the pattern {pattern._regex!r}")
    return text


def _template(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        return _ROUTE_PARAM.sub(lambda m: "<" + m.group("name") + ">", str(pattern._route))
    regex = pattern._regex
    for start, end, name in reversed(_regex_groups(regex)):
        regex = regex[:start] + f"<{name}>" + regex[end:]
    return regex.lstrip("^").rstrip("$").replace("\\.", ".")


def _walk(patterns, chain=(), namespaces=()):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            spaces = namespaces + ((pattern.namespace,) if pattern.namespace else ())
            yield from _walk(pattern.url_patterns, chain + (pattern.pattern,), spaces)
        elif isinstance(pattern, URLPattern):
            yield chain + (pattern.pattern,), namespaces, pattern


def all_routes() -> tuple[list[Route], list[tuple[str, str]]]:
    """(routes to walk, [(route, why skipped)])."""
    routes, skipped = [], []
    for chain, namespaces, pattern in _walk(get_resolver().url_patterns):
        template = "".join(_template(part) for part in chain)
        name = ":".join((*namespaces, pattern.name)) if pattern.name else ""
        params = tuple(param for part in chain for param in _pattern_params(part))
        reason = (next((why for space, why in SKIPPED_NAMESPACES.items() if space in namespaces), None)
                  or SKIPPED_NAMES.get(pattern.name or "")
                  or next((why for param, why in SKIPPED_PARAMS.items() if param in params), None)
                  or next((why for prefix, why in SKIPPED_PREFIXES.items() if template.startswith(prefix)), None))
        if reason:
            skipped.append((f"/{template}", reason))
            continue
        routes.append(Route(template=template, name=name, params=params, callback=pattern.callback, chain=chain))
    return routes, skipped


def schema_operations() -> list[tuple[str, str]]:
    """(METHOD, path template) of every operation the OpenAPI schema (/api/schema/) documents."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [(method.upper(), path) for path, operations in schema["paths"].items() for method in operations
            if method.upper() in ("GET", *WRITE_METHODS)]


def route_of(path_template: str, routes: list[Route]) -> Route | None:
    """The walked route serving an OpenAPI path such as /api/v1/cases/{number}/ (None: not walked)."""
    path = re.sub(r"\{(\w+)\}", lambda m: "1" if m.group(1) in ("id", "pk") else "x", path_template)
    match = resolve(path)
    return next((route for route in routes if route.callback is match.func), None)
