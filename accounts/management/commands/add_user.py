"""manage.py add_user USERNAME --role ROLE [--role ROLE…] [--client-no NO] [--queue CODE…] --password-stdin"""

import getpass
import sys

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Role
from accounts.services import user_provision
from servicedesk.commands import OperatorCommand
from servicedesk.errors import ApplicationError


#: What `user_provision` reports it changed (User.provision_changes), as the output names it.
CHANGE_LABELS = {
    "password": gettext_lazy("password"),
    "is_staff": gettext_lazy("admin site access"),
    "roles": gettext_lazy("roles"),
    "client unlinked": gettext_lazy("client unlinked"),
    "client linked": gettext_lazy("client linked"),
    "queues": gettext_lazy("queues"),
}


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


class Command(OperatorCommand):
    help = _("Create or update a login with exactly the given roles (idempotent). The password is read "
             "from standard input with --password-stdin.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", "--roles", dest="roles", action="append", metavar="ROLE",
                            help=_("A role to hold (repeat for several): %(roles)s.")
                            % {"roles": ", ".join(Role.values)})
        parser.add_argument("--client-no", dest="client_no", metavar="NO",
                            help=_("Link the login to this client (role client only)."))
        parser.add_argument("--queue", "--queues", dest="queues", action="extend", nargs="+", metavar="CODE",
                            help=_("Make the user a member of these queues (staff only)."))
        parser.add_argument("--password-stdin", dest="password_stdin", action="store_true",
                            help=_("Read the password from standard input (one line)."))

    def handle(self, *args, username, roles=None, client_no=None, queues=None, password_stdin=False, **options):
        password = self._read_password() if password_stdin else None
        try:
            user = user_provision(username=username, roles=_as_list(roles), password=password,
                                  client_no=client_no, queue_codes=_as_list(queues))
        except ApplicationError as error:
            raise CommandError(str(error.message)) from None
        summary = _("roles: %(roles)s") % {"roles": ", ".join(sorted(user.role_codes))}
        if not user.provision_changes:
            self.stdout.write(_("User “%(username)s” unchanged (%(summary)s).") % {"username": username,
                                                                                    "summary": summary})
        elif "created" in user.provision_changes:
            self.stdout.write(self.style.SUCCESS(_("User “%(username)s” created (%(summary)s).")
                                                 % {"username": username, "summary": summary}))
        else:
            self.stdout.write(self.style.SUCCESS(_("User “%(username)s” updated: %(changes)s (%(summary)s).") % {
                "username": username, "summary": summary,
                "changes": ", ".join(str(CHANGE_LABELS.get(change, change)) for change in user.provision_changes),
            }))

    @staticmethod
    def _read_password() -> str:
        if sys.stdin.isatty():
            return getpass.getpass(_("Password: "))
        line = sys.stdin.readline()
        if line.endswith("\n"):
            line = line[:-1]
        if line.endswith("\r"):
            line = line[:-1]
        try:
            line.encode()  # bytes that are not UTF-8 come in as lone surrogates, which no hash takes
        except UnicodeEncodeError:
            raise CommandError(_("The password read from standard input is not UTF-8 text.")) from None
        return line
