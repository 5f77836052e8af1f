"""`manage.py ingest_email FILE.eml|DIR …`: ingest saved e-mails (a DIR: every *.eml in it).

One line per message: the file, what became of it, the case number. Held e-mails are a normal
outcome (exit status 0); a path that cannot be read, an empty file (not an e-mail: nothing is
recorded) or an e-mail that cannot be ingested at all makes the exit status 1, after the other
files are done."""

from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from notifications.inbound import email_ingest
from servicedesk.commands import OperatorCommand


class Command(OperatorCommand):
    help = _("Ingest e-mails saved as .eml files: a file, or every *.eml in a directory.")

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="FILE.eml|DIR", help=_("An .eml file or a directory."))

    def handle(self, *args, paths=(), **options):
        failed = []
        for given in paths:
            path = Path(given)
            if path.is_dir():
                # *.EML as well: the name Outlook and other tools on Windows give an export
                files = sorted(child for child in path.iterdir() if child.suffix.lower() == ".eml" and child.is_file())
                if not files:
                    self.stderr.write(_("%(path)s: no .eml files.") % {"path": path})
            else:
                files = [path]
            for file in files:
                try:
                    raw = file.read_bytes()
                except OSError as error:
                    failed.append(str(file))
                    self.stderr.write(_("%(path)s: cannot be read (%(error)s).")
                                      % {"path": file, "error": error.strerror or error})
                    continue
                if not raw.strip():  # a file still being copied, or a failed export: not an e-mail to review
                    failed.append(str(file))
                    self.stderr.write(_("%(path)s: the file is empty: it is not an e-mail.") % {"path": file})
                    continue
                try:
                    result = email_ingest(raw, source="file")
                except Exception as error:  # one bad e-mail does not stop the rest; it is reported
                    failed.append(str(file))
                    self.stderr.write(_("%(path)s: could not be ingested (%(error)s).")
                                      % {"path": file, "error": repr(error)})
                    continue
                self.stdout.write(f"{file}\t{result.status}\t{result.case.number if result.case else '-'}")
        if failed:
            raise CommandError(_("%(count)d file(s) could not be read or ingested.") % {"count": len(failed)})
