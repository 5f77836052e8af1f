"""The base of the project's management commands: each speaks the operator's language.

`--language en` (or zh-hans) for one run; without it the site's language (LANGUAGE_CODE). Messages,
refusals (bad arguments too) and summaries come out in it; what is written to the database does not
depend on it.
"""

import argparse

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from servicedesk.i18n import language_codes


def _asked_language(arguments: list[str]) -> str | None:
    """The --language of a command line, read before the command's own parser (whose refusals are
    then in it); an unknown one is left to that parser to refuse."""
    reader = argparse.ArgumentParser(add_help=False)
    reader.add_argument("--language")
    known, _rest = reader.parse_known_args(arguments)
    return known.language if known.language in language_codes() else None


class OperatorCommand(BaseCommand):
    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument("--language", choices=language_codes(), default=None,
                            help=_("The language of this command's messages (default: the site's, %(language)s).")
                            % {"language": settings.LANGUAGE_CODE})
        return parser

    def run_from_argv(self, argv):
        with translation.override(_asked_language(argv[2:]) or settings.LANGUAGE_CODE):
            return super().run_from_argv(argv)

    def execute(self, *args, **options):
        with translation.override(options.get("language") or translation.get_language() or settings.LANGUAGE_CODE):
            return super().execute(*args, **options)
