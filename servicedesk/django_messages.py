"""Django's own strings that its zh_Hans catalogue lacks in the pinned version (5.2): listed here so
that `makemessages` puts them in the project's catalogue, which Django reads before its own
(LOCALE_PATHS). Not imported: only `makemessages` reads this file."""

from django.utils.translation import gettext_noop

MISSING_FROM_DJANGOS_ZH_HANS = (
    # admin/app_list.html: the headings of each app's table of models (read out by screen readers)
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
)
