from .base import *  # noqa: F401,F403
from .base import VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = VAR_DIR / "test-media"
LANGUAGE_CODE = "zh-hans"

# Unit tests run tasks in-process; tests that start a real worker set their own environment.
CELERY_TASK_ALWAYS_EAGER = True

# django-axes stays on; only calls without a request (the test client's login()) skip its check.
from .base import AUTHENTICATION_BACKENDS  # noqa: E402

AUTHENTICATION_BACKENDS = ["tests.auth_backends.AxesBackendForTestClient",
                           *(backend for backend in AUTHENTICATION_BACKENDS if not backend.startswith("axes."))]
