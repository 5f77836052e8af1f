"""The roles people hold. Each role is a Django group of the same name (a user may hold several)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLIENT = "client", _("Client")
    AGENT = "agent", _("Agent")
    ADVISOR = "advisor", _("Advisor")
    TEAM_LEAD = "team_lead", _("Team lead")
    SUPERVISOR = "supervisor", _("Supervisor")
    RISK_OFFICER = "risk_officer", _("Risk officer")
    AUDITOR = "auditor", _("Auditor / compliance")


#: Roles that work cases in the console.
CASE_WORKERS = (Role.AGENT, Role.ADVISOR, Role.TEAM_LEAD, Role.SUPERVISOR, Role.RISK_OFFICER)
#: Roles that see every case and account.
SEE_EVERYTHING = (Role.SUPERVISOR, Role.RISK_OFFICER, Role.AUDITOR)
#: Roles that see a client's id number and phone unmasked (besides the client's own advisor).
SEE_PERSONAL_DATA = (Role.SUPERVISOR, Role.RISK_OFFICER, Role.AUDITOR)
STAFF_ROLES = tuple(role for role in Role if role != Role.CLIENT)

#: Model permissions each group holds (app_label.codename). Object scope is checked by rules.
GROUP_PERMISSIONS = {
    Role.CLIENT: ["cases.view_case", "cases.add_case", "cases.add_casemessage", "accounts.view_creditaccount"],
    Role.AGENT: [
        "cases.view_case", "cases.add_case", "cases.change_case", "cases.view_casemessage",
        "cases.add_casemessage", "cases.view_caseevent", "accounts.view_creditaccount",
        "accounts.view_clientprofile", "accounts.view_security", "accounts.view_position",
    ],
    Role.ADVISOR: [
        "cases.view_case", "cases.add_case", "cases.change_case", "cases.view_casemessage",
        "cases.add_casemessage", "cases.view_caseevent", "accounts.view_creditaccount",
        "accounts.view_clientprofile", "accounts.view_security", "accounts.view_position",
    ],
    Role.TEAM_LEAD: [
        "cases.view_case", "cases.add_case", "cases.change_case", "cases.view_casemessage",
        "cases.add_casemessage", "cases.view_caseevent", "accounts.view_creditaccount",
        "accounts.view_clientprofile", "accounts.view_security", "accounts.view_position",
        "accounts.view_queue",
    ],
    Role.SUPERVISOR: [
        "knowledge.view_category", "knowledge.add_category", "knowledge.change_category",
        "knowledge.view_article", "knowledge.add_article", "knowledge.change_article", "knowledge.delete_article",
        "cases.view_case", "cases.add_case", "cases.change_case", "cases.view_casemessage",
        "cases.add_casemessage", "cases.view_caseevent", "cases.approve_case",
        "accounts.view_creditaccount", "accounts.view_clientprofile", "accounts.change_clientprofile",
        "accounts.view_security", "accounts.view_position", "accounts.view_ratechange", "accounts.view_queue",
        "accounts.change_queue", "accounts.view_routingrule", "accounts.add_routingrule",
        "accounts.change_routingrule", "accounts.delete_routingrule", "accounts.view_user",
        "cases.view_businesscalendar", "cases.change_businesscalendar", "cases.view_calendaryear",
        "cases.add_calendaryear", "cases.change_calendaryear", "cases.view_calendarday", "cases.add_calendarday",
        "cases.change_calendarday", "cases.delete_calendarday", "cases.view_slapolicy", "cases.add_slapolicy",
        "cases.change_slapolicy", "cases.view_slatarget", "cases.add_slatarget", "cases.change_slatarget",
        "cases.delete_slatarget", "cases.view_slatimer",
        "risk.view_monitoringrun", "risk.view_ratiosnapshot", "risk.view_accountalert", "risk.view_margincall",
        "risk.view_margincallcontact", "risk.view_stressmode",
        "notifications.view_notification", "notifications.change_notification",
        "notifications.view_notificationtemplate", "notifications.add_notificationtemplate",
        "notifications.change_notificationtemplate", "notifications.view_clientpreference",
        "notifications.add_clientpreference", "notifications.change_clientpreference",
        "cases.view_returnvisit", "cases.change_returnvisit", "cases.view_satisfactionrating",
        "cases.view_contractchange", "cases.view_savedreply", "cases.add_savedreply", "cases.change_savedreply",
        "cases.delete_savedreply",
    ],
    Role.RISK_OFFICER: [
        "risk.view_monitoringrun", "risk.view_ratiosnapshot", "risk.view_accountalert", "risk.view_margincall",
        "risk.view_margincallcontact", "risk.view_stressmode",
        "cases.view_case", "cases.add_case", "cases.change_case", "cases.view_casemessage",
        "cases.add_casemessage", "cases.view_caseevent", "accounts.view_creditaccount",
        "accounts.change_creditaccount", "accounts.view_clientprofile", "accounts.view_security",
        "accounts.view_position", "accounts.view_ratechange", "accounts.add_ratechange",
        "accounts.change_ratechange", "accounts.delete_ratechange",
    ],
    Role.AUDITOR: [
        "cases.view_case", "cases.view_casemessage", "cases.view_caseevent",
        "accounts.view_creditaccount", "accounts.view_clientprofile", "accounts.view_security",
        "accounts.view_position", "accounts.view_ratechange", "accounts.view_queue", "accounts.view_routingrule",
        "cases.view_calendaryear", "cases.view_calendarday", "cases.view_slapolicy", "cases.view_slatarget",
        "cases.view_slatimer", "risk.view_monitoringrun", "risk.view_ratiosnapshot", "risk.view_accountalert",
        "risk.view_margincall", "risk.view_margincallcontact", "risk.view_stressmode",
        "notifications.view_notification", "notifications.view_notificationtemplate",
        "notifications.view_clientpreference",
    ],
}

#: Roles whose members may log in to the admin site.
ADMIN_ROLES = (Role.SUPERVISOR, Role.RISK_OFFICER, Role.AUDITOR, Role.TEAM_LEAD)
