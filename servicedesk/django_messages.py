"""Django's own strings that its zh_Hans catalogue lacks in the pinned version (5.2), and those of
django-axes (the admin's login attempts and lockouts), which has none: listed here so that
`makemessages` puts them in the project's catalogue, which Django reads before the apps' own
(LOCALE_PATHS). Not imported: only `makemessages` reads this file."""

from django.utils.translation import gettext_noop

MISSING_FROM_DJANGOS_ZH_HANS = (
    # admin/app_list.html: the headings of each app's table of models (read out by screen readers)
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
)

MISSING_FROM_AXES = (  # axes/models.py and axes/admin.py, the pinned version
    gettext_noop("Access Attempt"), gettext_noop("Access lock out"), gettext_noop("Attempt Remaining"),
    gettext_noop("Attempt Time"), gettext_noop("Clean up expired attempts"), gettext_noop("Expires At"),
    gettext_noop("Failed Logins"), gettext_noop("Form Data"), gettext_noop("GET Data"), gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"), gettext_noop("Locked Out"), gettext_noop("Logout Time"), gettext_noop("Meta Data"),
    gettext_noop("Not set"), gettext_noop("POST Data"), gettext_noop("Path"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("The time when access attempt expires and is no longer valid."), gettext_noop("User Agent"),
    gettext_noop("access attempt expiration"), gettext_noop("access attempt expirations"),
    gettext_noop("access attempt"), gettext_noop("access attempts"), gettext_noop("access failure"),
    gettext_noop("access failures"), gettext_noop("access log"), gettext_noop("access logs"),
)
