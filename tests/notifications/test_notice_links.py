"""The inbox's notice text (notice_links): its web addresses clickable, also straight after a Chinese
colon where Django's urlize finds none; everything else escaped, line breaks kept."""

import pytest

from notifications.templatetags.notice_text import notice_links


def test_an_address_after_a_full_width_colon_is_a_link():
    html = notice_links("请为我们的服务打分（1 至 5 分）：https://desk.example/rate/1:ab:CD/")
    assert html == ('请为我们的服务打分（1 至 5 分）：'
                    '<a href="https://desk.example/rate/1:ab:CD/">https://desk.example/rate/1:ab:CD/</a>')


def test_a_sentence_stop_after_an_address_stays_outside_the_link():
    assert notice_links("Rate us: https://desk.example/rate/9/.\nThanks") == (
        'Rate us: <a href="https://desk.example/rate/9/">https://desk.example/rate/9/</a>.<br>Thanks')


def test_hostile_text_is_escaped_and_cannot_leave_the_link():
    html = notice_links('<script>alert(1)</script> http://x.example/a"onmouseover="alert(1) javascript:alert(1)')
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="http://x.example/a"' in html and 'onmouseover="' not in html
    assert 'href="javascript' not in html


@pytest.mark.django_db
def test_the_rating_link_is_a_link_in_the_html_e_mail(client_profile, agent):
    """The rating e-mail's HTML part: the link straight after the Chinese colon is clickable (mail
    programs that link only what the HTML links left the client copying a 90-character address),
    and the text around it stays escaped, its paragraphs kept."""
    from cases.services import case_create, case_transition
    from notifications.channels.email import build_message
    from notifications.models import Notification

    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="开户 <咨询>")
    case = case_transition(case=case, user=agent, name="open")
    case = case_transition(case=case, user=agent, name="resolve", comment="已解答")
    notice = Notification.objects.get(case=case, event="rating_request", channel="email")
    link = notice.data["link"]
    html = build_message(notice).alternatives[0][0]
    assert f'<a href="{link}" rel="noopener noreferrer">{link}</a>' in html
    assert "（开户 &lt;咨询&gt;）" in html and "<咨询>" not in html
    assert html.count("<p>") >= 1
