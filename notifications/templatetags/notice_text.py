"""{{ notice.body|notice_links }}: a notice's text as the inbox shows it: escaped, its line breaks
kept, and the web addresses in it (a rating link) clickable. Django's urlize finds an address only
between spaces, and the Chinese notices run it straight on from a full-width colon ("打分：http…")."""

import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

#: An http(s) address up to a space, a quote, an angle bracket or Chinese punctuation.
ADDRESS = re.compile(r"https?://[^\s<>\"'（）【】，。；：、]+")
TRAILING = ".,;:!?)"


@register.filter
def notice_links(text: str) -> SafeString:
    parts, start = [], 0
    for match in ADDRESS.finditer(text or ""):
        address = match.group(0).rstrip(TRAILING)
        parts.append(escape(text[start:match.start()]))
        parts.append(format_html('<a href="{}">{}</a>', address, address))
        start = match.start() + len(address)
    parts.append(escape((text or "")[start:]))
    html = "".join(parts).replace("\r\n", "\n").replace("\r", "\n")
    return mark_safe(html.replace("\n", "<br>"))  # every part escaped above
