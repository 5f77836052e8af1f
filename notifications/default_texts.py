"""Data migrations of the built-in notice texts: rows still holding a former built-in body take the
current one (notifications.defaults), and back; a text a supervisor edited is left as it is."""

from django.db import migrations


def body_replaced(event: str, former: dict[str, str]) -> migrations.RunPython:
    """The migration step giving `event`'s stored bodies that still read `former` (per language) the
    current built-in body, and back."""
    def replace(apps, old, new):
        NotificationTemplate = apps.get_model("notifications", "NotificationTemplate")
        for language in former:
            NotificationTemplate.objects.filter(event=event, language=language,
                                                body=old(language)).update(body=new(language))

    def current(language: str) -> str:
        from notifications.defaults import DEFAULT_TEMPLATES

        return DEFAULT_TEMPLATES[event][language][1]

    return migrations.RunPython(lambda apps, schema_editor: replace(apps, former.get, current),
                                lambda apps, schema_editor: replace(apps, current, former.get))
