from .base import *  # noqa: F401,F403
from .base import MIDDLEWARE, env

DEBUG = env.bool("DEBUG", default=True)
# DEBUG answers a URL no route matches with Django's debug page, handler404 or not: under /api/ the
# API's JSON 404 instead, as in production (servicedesk.handlers.ApiNotFoundMiddleware).
MIDDLEWARE = [*MIDDLEWARE, "servicedesk.handlers.ApiNotFoundMiddleware"]
