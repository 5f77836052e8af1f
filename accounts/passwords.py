"""Password validation as Django's, with one refusal in the project's catalogue."""

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, its refusal translated: Django 5.2 changed that message's msgid and its own zh_Hans
    catalogue holds only the former one, so Chinese readers were refused in English."""

    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short. It must contain at least %d character.",
            "This password is too short. It must contain at least %d characters.",
            self.min_length,
        ) % self.min_length
