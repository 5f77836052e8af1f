"""Who may take a transition: small pure predicates of (case, user). A user of None is the
system itself (the monitoring, the SLA sweep, a client's reply arriving by e-mail)."""

from accounts.roles import Role


def is_system(case, user) -> bool:
    return user is None


def is_worker(case, user) -> bool:
    return user is not None and user.works_cases


def is_case_client(case, user) -> bool:
    return user is not None and user.has_role(Role.CLIENT) and case.client.user_id == user.pk


def is_worker_or_client(case, user) -> bool:
    return is_worker(case, user) or is_case_client(case, user)


def is_worker_or_system(case, user) -> bool:
    return user is None or is_worker(case, user)


def is_client_or_worker_or_system(case, user) -> bool:
    return user is None or is_worker_or_client(case, user)


def is_checker(case, user) -> bool:
    """A supervisor who is not the one who proposed (four-eyes; that one was proposed at all is
    the transition's condition, so a supervisor deciding before any proposal gets a conflict
    saying so, not a refusal of their role)."""
    return is_supervisor(case, user) and case.proposed_by_id != user.pk


def is_supervisor(case, user) -> bool:
    return user is not None and (user.is_superuser or user.has_role(Role.SUPERVISOR))


def is_risk_officer(case, user) -> bool:
    return user is not None and (user.is_superuser or user.has_role(Role.RISK_OFFICER))


def is_risk_checker(case, user) -> bool:
    """A risk officer who did not propose the liquidation (four-eyes; that one was proposed at
    all is the transition's condition, so its absence reads as such)."""
    return is_risk_officer(case, user) and case.proposed_by_id != user.pk
