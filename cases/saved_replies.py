"""Saved replies for a case: those offered for its kind, in the client's language, with the
case's values filled in. Only the named placeholders are replaced (plain text, no template
language: a reply can never reach anything but these four values)."""

from django.utils import translation
from django.utils.translation import gettext

from cases.models import Case
from cases.models.saved_replies import SavedReply

PLACEHOLDERS = ("client_name", "case_number", "account_no", "agent_name")


def fill(text: str, values: dict[str, str]) -> str:
    for name in PLACEHOLDERS:
        text = text.replace("{" + name + "}", values.get(name, ""))
    return text


def replies_for(case: Case, agent) -> list[dict]:
    """[{id, title, body}] for the case page, titles in the page's language, bodies in the client's."""
    from django.utils.translation import get_language

    from knowledge.search import language_of

    english_client = language_of(case.client.language) == "en"
    english_page = language_of(get_language()) == "en"
    if case.credit_account_id:
        account_no = case.credit_account.account_no
    else:  # no account on the case: the words for one, not a gap in the sentence
        with translation.override("en" if english_client else "zh-hans"):
            account_no = gettext("your credit account")
    values = {"client_name": case.client.name, "case_number": case.number, "account_no": account_no,
              "agent_name": agent.display_name}
    return [{"id": reply.pk, "title": reply.title_en if english_page else reply.title,
             "body": fill(reply.body_en if english_client else reply.body_zh, values)}
            for reply in SavedReply.objects.filter(is_active=True)
            if not reply.kind_list or case.kind in reply.kind_list]


#: The demo's saved replies (seed_demo); supervisors write the firm's own in the admin.
DEMO_REPLIES = [
    ("已收到", "Received", "",
     "{client_name}您好，我们已收到您的事项 {case_number}，会尽快处理，并及时告知进展。\n{agent_name}",
     "Dear {client_name}, we have received your case {case_number}. We will deal with it promptly and keep you "
     "informed.\n{agent_name}"),
    ("请补充材料", "Documents needed", "ticket,dispute,extension,relief",
     "{client_name}您好，为处理事项 {case_number}，请在客户门户回复并上传相关材料（如交易确认单、转账凭证）。\n{agent_name}",
     "Dear {client_name}, to deal with case {case_number} we need the related documents (trade confirmations, "
     "transfer receipts). Please reply on the client portal and attach them.\n{agent_name}"),
    ("利息计算说明", "How interest is computed", "ticket,dispute",
     "{client_name}您好，融资利息按日计算：融资负债 × 年利率 × 天数 ÷ 360，借款当日计息、还款当日不计息。"
     "您可在客户门户的账户 {account_no} 页面查看逐日利息明细。\n{agent_name}",
     "Dear {client_name}, financing interest is charged daily: debt × annual rate × days ÷ 360; the day you draw "
     "counts, the day you repay does not. The day-by-day lines are on the page of account {account_no} in the "
     "client portal.\n{agent_name}"),
    ("追保提醒", "Top-up reminder", "margin_call",
     "{client_name}您好，您的信用账户 {account_no} 的维持担保比例已低于警戒线。请在截止时间前追加担保物或偿还负债；"
     "如需更多时间，可在客户门户申请纾困。\n{agent_name}",
     "Dear {client_name}, the maintenance ratio of your credit account {account_no} is below the warning line. "
     "Please add collateral or repay before the deadline; if you need more time, you can ask for relief on the "
     "client portal.\n{agent_name}"),
]


def demo_replies_seed() -> None:
    for position, (title, title_en, kinds, body_zh, body_en) in enumerate(DEMO_REPLIES):
        SavedReply.objects.get_or_create(title=title, defaults={
            "title_en": title_en, "case_kinds": kinds, "body_zh": body_zh, "body_en": body_en, "position": position})
