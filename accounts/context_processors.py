from accounts.navigation import navigation_for


def navigation(request):
    """The navigation bar of the web pages (empty for anonymous visitors and the admin)."""
    user = getattr(request, "user", None)
    if user is None or request.path.startswith("/admin/") or request.path.startswith("/api/"):
        return {}
    items = navigation_for(user)
    current = request.resolver_match.view_name if request.resolver_match else ""
    namespace = current.partition(":")[0]
    for item in items:
        item["active"] = item["name"] == current or (
            item["name"].partition(":")[0] == namespace and item["name"].endswith((":home", ":cases", ":overview"))
        )
    return {"nav_items": items}
