"""Within a model no two fields read the same in either language: the admin's forms, lists and
filters show them side by side. The inbound e-mail's source and sender were both "来源"."""

import pytest
from django.apps import apps
from django.utils import translation

APPS = ("accounts", "cases", "risk", "notifications", "knowledge")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_two_fields_of_a_model_share_a_label(language):
    clashes = []
    with translation.override(language):
        for model in (m for label in APPS for m in apps.get_app_config(label).get_models()):
            seen: dict[str, str] = {}
            for field in model._meta.get_fields():
                if not hasattr(field, "verbose_name") or field.auto_created:
                    continue
                label = str(field.verbose_name).lower()
                if label in seen:
                    clashes.append(f"{model.__name__}: {seen[label]} and {field.name} both read “{label}”")
                seen[label] = field.name
    assert not clashes, "\n".join(clashes)
