"""URLs of the console case page (inside the console namespace, under /console/cases/)."""

urlpatterns: list = []
