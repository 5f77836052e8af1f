"""URLs of the console case lists (inside the console namespace)."""

urlpatterns: list = []
