"""HTML we send out: sanitised with nh3 (allow-listed tags and attributes, http/https/mailto links
only), however it was produced. Messages are plain text everywhere else, escaped when rendered."""

import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {"a", "b", "br", "div", "em", "i", "li", "ol", "p", "span", "strong", "ul"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(html: str) -> SafeString:
    """Only ALLOWED_TAGS survive; scripts, styles and event handlers go with their content,
    javascript:/data: links lose their href."""
    cleaned = nh3.clean(html or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                        link_rel="noopener noreferrer", clean_content_tags={"script", "style"})
    # bandit B308/B703: only nh3's allow-listed output is marked safe
    return mark_safe(cleaned)  # nosec B308, B703
