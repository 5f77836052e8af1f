from django.utils.translation import gettext as _

from cases.models import Case
from servicedesk.errors import Conflict

#: The code of a refusal because someone else changed the case at the same time.
CONCURRENT = "concurrent_change"


def changed_meanwhile(**extra) -> Conflict:
    """The refusal of a write made on what the case was before someone else changed it."""
    return Conflict(_("The case was changed by someone else at the same time; reload and try again."),
                    extra={**extra, "code": CONCURRENT})


def lock_case(case: Case) -> Case:
    """The case's current row, locked for this transaction, as its workflow. If its state moved
    since the caller read it, someone else changed it at the same time: a conflict, never a
    silent overwrite.

    The case row alone (`of`): its client's profile, read with it, stays unlocked. Locked too, a step
    on one case held the profile against every transaction writing a row that names the client (a
    case, a notice: their foreign key's check locks it at commit), and a monitoring run that had
    written the client's notices and locked the margin call this step then waited for (a relief's
    approval) deadlocked with it."""
    locked = Case.objects.select_for_update(of=("self",)).select_related("client").get(pk=case.pk)
    if locked.state != case.state:
        raise changed_meanwhile(state=locked.state)
    return locked.as_workflow()
