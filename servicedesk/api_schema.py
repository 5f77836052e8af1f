"""OpenAPI schema post-processing (drf-spectacular POSTPROCESSING_HOOKS): document the error answers
every operation can give (servicedesk.api maps service errors to them), the path parameters as the
URL patterns accept them, and mark the fields of a shared response shape that only staff get (a
client gets the narrower serializer)."""

import re

from django.urls import Resolver404, resolve
from django.utils.module_loading import import_string

ERROR = {
    "type": "object",
    "description": "What went wrong (`detail`) and a machine-readable `code`; a conflict adds the case's "
                   "`state` and the `allowed` transitions, or, when a deadline falls where a business calendar "
                   "has no data (`calendar_year_missing`, `calendar_unknown`), the `calendar` and `year`.",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERRORS = {
    "type": "object",
    "description": "Bad input: each field's messages (`non_field_errors` for the input as a whole), or "
                   "`detail` and `code`. Nothing was changed.",
    "additionalProperties": {},
}
#: status → (description, component)
ANSWERS = {
    "400": ("Bad input; nothing was changed.", "ValidationErrors"),
    "401": ("Not logged in: send `Authorization: Token <key>` (POST /api/v1/auth/token/).", "ErrorDetail"),
    "403": ("Your role may not do this.", "ErrorDetail"),
    "404": ("No such object, or not one you may see (never a hint it exists); also an invalid page cursor.",
            "ErrorDetail"),
    "409": ("Not possible in the current state, or lost to a change made at the same time: reload and retry.",
            "ErrorDetail"),
    "415": ("The body is in a media type this operation does not read (its `Content-Type` is missing or not "
            "one of the request body's); nothing was changed.", "ErrorDetail"),
    "429": ("Too many requests: wait as long as `Retry-After` says.", "ErrorDetail"),
}
WRITES = ("post", "put", "patch", "delete")
PAGING = ("cursor", "page")

#: A response component and the narrower serializer a client gets instead: the fields the client's
#: serializer lacks are documented as staff-only (not required).
CLIENT_VIEWS = {
    "Case": "cases.serializers.ClientCaseSerializer",
    "CaseList": "cases.serializers.ClientCaseListSerializer",
    "Event": "cases.serializers.ClientEventSerializer",
    "CaseNotification": "notifications.serializers.ClientCaseNotificationSerializer",
}


def _answer(status: str) -> dict:
    description, component = ANSWERS[status]
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}}}


def _errors_of(path: str, method: str, operation: dict) -> list[str]:
    parameters = operation.get("parameters", [])
    query = [parameter["name"] for parameter in parameters if parameter.get("in") == "query"]
    anonymous = {} in operation.get("security", [{}])
    statuses = []
    if "requestBody" in operation or query:
        statuses.append("400")
    if not anonymous:
        statuses += ["401", "403"]
    # 404 also for an invalid page cursor, and for an unknown `?format=` (DRF's content negotiation)
    if "{" in path or any(name in (*PAGING, "format") for name in query) or method in WRITES:
        statuses.append("404")
    if method in WRITES:
        statuses.append("409")
    if "requestBody" in operation:
        statuses.append("415")
    return statuses


def _staff_only(schemas: dict) -> None:
    for component, dotted in CLIENT_VIEWS.items():
        schema = schemas.get(component)
        if schema is None:
            continue
        client_fields = set(import_string(dotted).Meta.fields)
        staff_only = sorted(set(schema.get("properties", {})) - client_fields)
        schema["required"] = [name for name in schema.get("required", []) if name not in staff_only]
        for name in staff_only:
            field = schema["properties"][name]
            note = "Staff only (absent from a client's view)."
            if "$ref" in field:  # a $ref takes no siblings in OpenAPI 3.0
                schema["properties"][name] = {"allOf": [field], "description": note}
            else:
                field["description"] = f"{note} {field.get('description', '')}".strip()


#: Django's path converters as JSON schemas (an id is a bigint: larger numbers name nothing).
CONVERTERS = {
    "int": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
    "str": {"type": "string", "pattern": "^[^/]+$"},
    "slug": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
    "uuid": {"type": "string", "format": "uuid"},
}
_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_PARAM = re.compile(r"\(\?P<(?P<name>\w+)>(?P<regex>[^()]*)\)")


def _url_parameters(path: str) -> dict[str, dict]:
    """{name: JSON schema} of the path's parameters, from the URL pattern that serves it."""
    probe = re.sub(r"\{(\w+)\}", lambda m: "1" if m.group(1) in ("id", "pk") else "x", path)
    try:
        route = resolve(probe).route
    except Resolver404:
        return {}
    found = {match.group("name"): dict(CONVERTERS.get(match.group("converter") or "str", CONVERTERS["str"]))
             for match in _ROUTE_PARAM.finditer(route)}
    found.update({match.group("name"): {"type": "string", "pattern": f"^{match.group('regex')}$"}
                  for match in _REGEX_PARAM.finditer(route)})
    if "pk" in found:
        found.setdefault("id", found["pk"])
    return found


def _describe_path_parameters(path: str, operation: dict) -> None:
    accepted = _url_parameters(path)
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and parameter["name"] in accepted:
            parameter["schema"] = accepted[parameter["name"]]


def _other_renderings(operation: dict) -> None:
    """An operation whose answers may be rendered otherwise (`?format=csv`) renders its errors so too."""
    media = set()
    for response in operation.get("responses", {}).values():
        media.update(response.get("content", {}))
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "query" and parameter["name"] == "format":
            media.update(f"text/{value}" for value in parameter.get("schema", {}).get("enum", []) if value != "json")
    others = {media_type for media_type in media if not media_type.endswith("json")}
    for response in operation.get("responses", {}).values():
        if "content" in response:
            for media_type in others - set(response["content"]):
                response["content"][media_type] = {"schema": {"type": "string"}}


#: DRF's TimeField reads and writes local times without an offset ("22:00:00"); JSON Schema's "time"
#: format requires one (RFC 3339), so a time is documented by its pattern.
LOCAL_TIME = {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$",
              "description": "Local time (Asia/Shanghai), HH:MM[:SS], no offset."}


def _local_times(node) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            node.pop("format")
            node.update({key: value for key, value in LOCAL_TIME.items() if key not in node or key == "pattern"})
        for value in node.values():
            _local_times(value)
    elif isinstance(node, list):
        for value in node:
            _local_times(value)


def document_errors(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorDetail", ERROR)
    schemas.setdefault("ValidationErrors", VALIDATION_ERRORS)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            _describe_path_parameters(path, operation)
            responses = operation.setdefault("responses", {})
            for status in _errors_of(path, method, operation):
                responses.setdefault(status, _answer(status))
            for status, response in responses.items():  # an error an operation describes in words alone
                if status in ANSWERS and "content" not in response:
                    response["content"] = _answer(status)["content"]
            _other_renderings(operation)
    _staff_only(schemas)
    _local_times(schemas)
    return result
