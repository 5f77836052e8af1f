"""Production: HTTPS only, secure cookies, HSTS, and no default secrets or site address. `python manage.py
check --deploy --fail-level WARNING` with these settings is clean (tests/hardening/test_deploy_settings.py)."""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = False
DEMO_DATA_ALLOWED = False  # seed_demo refuses: its logins (a superuser among them) have a published password
SECRET_KEY = env("SECRET_KEY")  # required: no default in production
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith(("django-insecure", "insecure-dev")):
    raise ImproperlyConfigured("SECRET_KEY must be a random value of at least 50 characters "
                               "(python -c 'import secrets; print(secrets.token_urlsafe(50))').")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")  # required: the site's host names
# Required: where clients reach the site, for the links sent to them (e-mail, SMS); never base.py's
# http://127.0.0.1:8000 of the demo.
SITE_URL = env("SITE_URL", default="")
if not SITE_URL.startswith("https://") or not urlsplit(SITE_URL).hostname:
    raise ImproperlyConfigured("SITE_URL must be the https:// address where clients reach the site, "
                               "e.g. https://desk.example.com (it starts the links sent to them).")

# HTTPS: redirect plain HTTP; trust X-Forwarded-Proto from the TLS-terminating proxy (which must set it).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Except the health checks: probes (kubelet, a load balancer) ask the process itself over plain HTTP,
# where a redirect to https:// would reach no listener and fail them. Those pages set no cookie and
# show no data or secret (servicedesk/health.py); HSTS still goes with every HTTPS answer.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

# Cookies: over HTTPS only; the session cookie out of scripts' reach; Lax so links from e-mails
# still arrive logged in. The CSRF cookie stays readable: the API docs' "Try it out" sends it.
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A login lasts a working day, not Django's two weeks: a console left signed in on a shared desk, or a
# client's phone, is not open to the next person for a fortnight.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[f"https://{host}" for host in ALLOWED_HOSTS
                                                                 if host and not host.startswith(".")])

# Headers (base.py sets X-Frame-Options DENY, nosniff, Referrer-Policy and the CSP).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
