#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings.local")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # A setting missing or refused (production: SECRET_KEY, ALLOWED_HOSTS, SITE_URL): the one line
        # that says which, not a trace through the settings module (`--traceback` still shows it).
        if "--traceback" in sys.argv:
            raise
        sys.exit(f"ImproperlyConfigured: {error}")


if __name__ == "__main__":
    main()
