"""The inbox's notice text (notice_links): its web addresses clickable, also straight after a Chinese
colon where Django's urlize finds none; everything else escaped, line breaks kept."""

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
