import os

from django.core.wsgi import get_wsgi_application

from servicedesk.startup import freeze_loaded_objects

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings.local")
application = get_wsgi_application()
freeze_loaded_objects()
