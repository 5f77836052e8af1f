"""Reading an e-mail as received: sender, subject, Message-ID and the case numbers it refers to,
its text (plain text preferred, else HTML turned into text; any charset, GB18030/GBK included,
even raw 8-bit headers from older Chinese mail clients), its attachments, and whether it is an
auto-reply or a bounce (and which e-mail a bounce returns: notifications.bounce_report). Pure functions,
no database: notifications.inbound acts on the result."""

import datetime
import hashlib
import logging
import mimetypes
import os
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

import authres

from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.bounce_report import BounceReport, bounce_report

logger = logging.getLogger(__name__)

#: Our case e-mails' Message-IDs: <CS-2026-000123.<notification id>@NOTIFICATION_MAIL_DOMAIN>.
CASE_IN_MESSAGE_ID = re.compile(r"<(CS-\d{4}-\d{6})\.", re.IGNORECASE)
#: Their subjects carry the number: "[CS-2026-000123] …".
CASE_IN_SUBJECT = re.compile(r"(?<![\w-])\[?(CS-\d{4}-\d{6})\]?(?!\d)", re.IGNORECASE)


@dataclass(frozen=True)
class InboundAttachment:
    name: str
    content_type: str
    content: bytes


@dataclass
class ParsedEmail:
    message_id: str
    from_address: str
    from_name: str
    subject: str
    sent_at: datetime.datetime | None
    in_reply_to: str
    references: str
    text: str  # the whole text, HTML turned into text
    attachments: list[InboundAttachment] = field(default_factory=list)
    auto_reply_reason: str = ""
    bounce_reason: str = ""
    #: For a bounce by its strong signs (a delivery report, the mailer daemon writing): which e-mail
    #: it returns and what the mail system said (notifications.bounce_report). None otherwise: the
    #: empty envelope sender alone is an auto-reply's sign too.
    bounce: BounceReport | None = None
    #: The receiving mail server's checks of the sender failed (SPF, DKIM, DMARC in its
    #: Authentication-Results): the From may be forged. Empty when they passed or were not reported.
    authentication_failure: str = ""

    @property
    def reply_text(self) -> str:
        """The text without the quoted mail it answers."""
        return strip_quoted_reply(self.text)

    def case_numbers_in_headers(self) -> list[str]:
        """Case numbers in In-Reply-To, then References from the newest end."""
        found = CASE_IN_MESSAGE_ID.findall(self.in_reply_to)
        found += list(reversed(CASE_IN_MESSAGE_ID.findall(self.references)))
        return _unique_upper(found)

    def case_numbers_in_subject(self) -> list[str]:
        return _unique_upper(CASE_IN_SUBJECT.findall(self.subject))


def _unique_upper(numbers: list[str]) -> list[str]:
    return list(dict.fromkeys(number.upper() for number in numbers))


#: Labels mail clients use for the Chinese national charsets; GB18030 decodes all of them.
_CHARSET_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "gb_2312-80": "gb18030",
    "euc-cn": "gb18030", "x-euc-cn": "gb18030", "ks_c_5601-1987": "cp949",
}
_ENCODED_WORD_CHARSET = re.compile(r"=\?(gb2312|gbk|x-gbk|cp936|euc-cn)\?", re.IGNORECASE)


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """Text in the declared charset, else UTF-8, else GB18030; never an exception."""
    candidates = []
    if charset:
        name = charset.strip().strip('"').lower()
        candidates.append(_CHARSET_ALIASES.get(name, name))
    candidates += ["utf-8", "gb18030"]
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def _unescape_raw_bytes(value: str) -> str:
    """Header text parsed from raw 8-bit bytes (not RFC 2047) carries them as surrogates."""
    if not any("\udc80" <= char <= "\udcff" for char in value):
        return value
    return _decode_bytes(value.encode("utf-8", "surrogateescape"), None)


def _header_object(msg: EmailMessage, name: str):
    """The first `name` header, with raw 8-bit text (GBK mail clients) and GB2312 encoded words
    that are really GBK decoded properly; None when absent or unreadable."""
    raw = next((value for key, value in msg.raw_items() if key.lower() == name.lower()), None)
    if raw is None:
        return None
    value = _ENCODED_WORD_CHARSET.sub("=?gb18030?", _unescape_raw_bytes(str(raw)))
    try:
        return policy.default.header_factory(name, value)
    except Exception:  # a header the parser chokes on is read as plain text
        return value


def _header(msg: EmailMessage, name: str) -> str:
    header = _header_object(msg, name)
    return " ".join(str(header).split()) if header is not None else ""


def _all_headers(msg: EmailMessage, name: str) -> str:
    return " ".join(str(value) for key, value in msg.raw_items() if key.lower() == name.lower())


_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")


def _sender(msg: EmailMessage) -> tuple[str, str]:
    """(address, display name) of From; the address empty unless it looks like one."""
    header = _header_object(msg, "From")
    try:
        first = header.addresses[0]
        address, name = first.addr_spec, first.display_name
    except (AttributeError, IndexError):
        name, address = parseaddr(str(header or ""))
    address = address.strip()
    return (address if _ADDRESS.match(address) else ""), name.strip()


def _message_id(msg: EmailMessage, raw_bytes: bytes) -> str:
    value = _header(msg, "Message-ID")
    match = re.search(r"<[^<>\s]+>", value)
    message_id = match.group(0) if match else value.strip()
    if not message_id:  # no Message-ID: the same bytes are still the same e-mail
        return f"<{hashlib.sha256(raw_bytes).hexdigest()}@no-message-id.invalid>"
    if len(message_id) > 255:
        return f"<{hashlib.sha256(message_id.encode()).hexdigest()}@long-message-id.invalid>"
    return message_id


def _sent_at(msg: EmailMessage):
    try:
        value = parsedate_to_datetime(_header(msg, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.timezone.utc)
    return value


class _HtmlToText(HTMLParser):
    """Only the text of an HTML body: no tags, scripts, styles or links survive."""

    BLOCKS = {"p", "div", "br", "li", "tr", "table", "ul", "ol", "blockquote", "pre", "hr",
              "h1", "h2", "h3", "h4", "h5", "h6"}
    SKIPPED = {"script", "style", "head", "title", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _HtmlToText()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


#: Where the quoted earlier mail starts: "On … wrote:", Outlook's "-----Original Message-----"
#: and From/Sent block, Chinese clients' "在 … 写道：" and "----- 原始邮件 -----".
_QUOTE_MARKERS = [
    re.compile(r"^[ \t>]*On\b[^\n]*(?:\n[^\n]*){0,2}?\bwrote:[ \t]*$", re.MULTILINE | re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}", re.MULTILINE | re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*原始邮件\s*-{2,}", re.MULTILINE),
    re.compile(r"^[ \t]*在[^\n]*(?:\n[^\n]*){0,2}?写道\s*[:：][ \t]*$", re.MULTILINE),
    re.compile(r"^\s*_{10,}\s*\n\s*(?:From|发件人)\s*[:：]", re.MULTILINE | re.IGNORECASE),
    re.compile(r"^\s*(?:From|发件人)\s*[:：][^\n]*\n\s*(?:Sent|Date|发送时间|日期|时间)\s*[:：]",
               re.MULTILINE | re.IGNORECASE),
]


def strip_quoted_reply(text: str) -> str:
    """The new text of a reply: cut at the first quote marker, lines quoted with '>' dropped.
    A reply that is nothing but quotes keeps its whole text."""
    cut = min((match.start() for pattern in _QUOTE_MARKERS if (match := pattern.search(text))), default=len(text))
    kept = "\n".join(line for line in text[:cut].splitlines() if not line.lstrip().startswith(">"))
    kept = re.sub(r"\n{3,}", "\n\n", kept).strip()
    return kept or text.strip()


def _part_text(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True) or b""
    text = _decode_bytes(payload, part.get_content_charset())
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _leaves(part: EmailMessage):
    """Every non-multipart part; an attached e-mail (message/rfc822) is one leaf, not opened."""
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        yield part
        return
    for child in part.iter_parts():
        yield from _leaves(child)


def _filename(part: EmailMessage) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    if not name or "\ufffd" in name:  # raw GBK bytes in the parameter: decode them ourselves
        for header_name, parameter in (("Content-Disposition", "filename"), ("Content-Type", "name")):
            header = _header_object(part, header_name)
            params = getattr(header, "params", None) or {}
            if params.get(parameter):
                name = params[parameter]
                break
    return name


def _safe_filename(name: str, content_type: str, number: int) -> str:
    name = os.path.basename(name.replace("\\", "/"))
    name = "".join(char for char in name if char.isprintable()).strip().strip(".")
    if not name:
        extension = mimetypes.guess_extension(content_type) or ".bin"
        name = f"attachment-{number}{extension}"
    stem, extension = os.path.splitext(name)
    return stem[: 200 - len(extension[:20])] + extension[:20]


def _attachment_content(part: EmailMessage) -> bytes:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload(0)
        try:
            return inner.as_bytes()
        except Exception:
            return inner.as_string().encode("utf-8", "surrogateescape")
    return part.get_payload(decode=True) or b""


def _body_and_attachments(msg: EmailMessage) -> tuple[str, list[InboundAttachment]]:
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    body_parts = {id(part) for part in (plain, html) if part is not None}
    text = _part_text(plain) if plain is not None else ""
    if not text.strip() and html is not None:
        text = html_to_text(_part_text(html))
    more_text, attachments = [], []
    for part in _leaves(msg):
        if id(part) in body_parts:
            continue
        name = _filename(part)
        is_attachment = (part.get_content_disposition() == "attachment" or bool(name)
                         or part.get_content_maintype() != "text")
        if not is_attachment:
            if part.get_content_type() == "text/plain" and plain is not None:
                more_text.append(_part_text(part))  # Apple Mail: text, picture, more text
            continue
        content_type = part.get_content_type()
        attachments.append(InboundAttachment(
            name=_safe_filename(name, content_type, len(attachments) + 1), content_type=content_type,
            content=_attachment_content(part),
        ))
    text = "\n\n".join(chunk.strip() for chunk in [text, *more_text] if chunk.strip())
    return text, attachments


_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(?:(?:re|aw|回复|答复)\s*[:：]\s*)*[\[【]?(?:auto(?:matic)?[\s_-]*(?:reply|response|answer)|autoreply|"
    r"out of (?:the )?office|自动回复|自动答复|自动应答)", re.IGNORECASE)


def _auto_reply_reason(msg: EmailMessage, subject: str) -> str:
    auto_submitted = _header(msg, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "X-Autogenerated"):
        if _header_object(msg, name) is not None:
            return f"{name}: {_header(msg, name)}"
    precedence = _header(msg, "Precedence").lower()
    if precedence in ("bulk", "junk", "auto_reply", "auto-reply"):
        return f"Precedence: {precedence}"
    if _AUTO_REPLY_SUBJECT.search(subject):
        return f"Subject: {subject}"
    return ""


def _bounce_reason(msg: EmailMessage, from_address: str, *, weak: bool) -> str:
    """Strong signs (a delivery report, the mailer daemon writing) or, with `weak`, the empty
    envelope sender (which RFC 3834 auto-replies use too, so it is checked after them)."""
    if weak:
        return "Return-Path: <>" if _header(msg, "Return-Path").replace(" ", "") == "<>" else ""
    if (msg.get_content_type() == "multipart/report"
            and (msg.get_param("report-type") or "").lower() == "delivery-status"):
        return "Content-Type: multipart/report; report-type=delivery-status"
    if from_address.split("@")[0].lower() in ("mailer-daemon", "postmaster"):
        return f"From: {from_address}"
    return ""


def _parsed_results(value: str):
    """One Authentication-Results header as authres reads it; None when it is not readable."""
    try:
        return authres.AuthenticationResultsHeader.parse(f"Authentication-Results: {value}")
    except (authres.AuthResError, ValueError, IndexError):  # malformed: no result
        return None


def _authentication_results(msg: EmailMessage, authserv_id: str) -> list[dict[str, str]]:
    """The results ({method: result}) of each readable Authentication-Results header (RFC 8601, read by
    authres); with `authserv_id`, only our own mail server's (a sender can write such a header too)."""
    found = []
    for key, value in msg.raw_items():
        if key.lower() != "authentication-results":
            continue
        header = _parsed_results(str(value))
        if header is None or (authserv_id and (header.authserv_id or "").lower() != authserv_id.lower()):
            continue
        methods: dict[str, str] = {}
        for result in header.results:  # one passing result of a method is enough (several DKIM signatures)
            if methods.get(result.method.lower()) != "pass":
                methods[result.method.lower()] = (result.result or "").lower()
        found.append(methods)
    return found


def authentication_failure(msg: EmailMessage, authserv_id: str = "") -> str:
    """Why the sender is not to be trusted, from the receiving mail server's Authentication-Results,
    or "" when nothing says so. DMARC decides where it was checked; else SPF failing without a DKIM
    signature that passed. With our server's `authserv_id` configured (INBOUND_AUTHSERV_ID) its
    header must be there and pass; without it, any header's failure counts (a failure a sender
    writes only holds the sender's own e-mail) and no header is no failure."""
    results = _authentication_results(msg, authserv_id)
    if authserv_id and not results:
        return _("no Authentication-Results from %(server)s") % {"server": authserv_id}
    for methods in results:
        shown = " ".join(f"{method}={methods[method]}" for method in ("dmarc", "spf", "dkim") if method in methods)
        dmarc = methods.get("dmarc")
        if dmarc is not None and dmarc != "none":
            failed = dmarc != "pass"
        else:
            passed = methods.get("spf") == "pass" or methods.get("dkim") == "pass"
            failed = (not passed) if authserv_id else (methods.get("spf") in ("fail", "softfail")
                                                       and methods.get("dkim") != "pass")
        if failed:
            return shown or _("no result")
    return ""


def _storable(text: str) -> str:
    """Text a database takes: no NUL characters (PostgreSQL refuses them), no lone surrogates."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _bounce_report(msg: EmailMessage, parsed: ParsedEmail) -> BounceReport:
    """What the bounce says; a report no reader makes sense of names no e-mail (and matches none)."""
    try:
        report = bounce_report(msg, in_reply_to=parsed.in_reply_to, references=parsed.references)
    except Exception:
        logger.warning("Unreadable bounce %s", parsed.message_id, exc_info=True)
        return BounceReport()
    return BounceReport(message_ids=tuple(_storable(found) for found in report.message_ids),
                        action=_storable(report.action), status=_storable(report.status),
                        diagnostic=_storable(report.diagnostic))


def parse_email(raw_bytes: bytes, *, authserv_id: str = "") -> ParsedEmail:
    """Read an e-mail as received (bytes); every header and charset problem becomes text.
    `authserv_id`: our receiving mail server's name in Authentication-Results (authentication_failure)."""
    msg = message_from_bytes(raw_bytes, policy=policy.default)
    from_address, from_name = _sender(msg)
    subject = _storable(_header(msg, "Subject"))
    parsed = ParsedEmail(
        message_id=_storable(_message_id(msg, raw_bytes)), from_address=_storable(from_address),
        from_name=_storable(from_name), subject=subject, sent_at=_sent_at(msg),
        in_reply_to=_all_headers(msg, "In-Reply-To"), references=_all_headers(msg, "References"), text="",
    )
    parsed.bounce_reason = _storable(_bounce_reason(msg, from_address, weak=False))
    if parsed.bounce_reason:
        parsed.bounce = _bounce_report(msg, parsed)
    else:
        parsed.auto_reply_reason = _storable(_auto_reply_reason(msg, subject))
    if not (parsed.bounce_reason or parsed.auto_reply_reason):
        parsed.bounce_reason = _bounce_reason(msg, from_address, weak=True)
    parsed.authentication_failure = _storable(authentication_failure(msg, authserv_id))
    text, attachments = _body_and_attachments(msg)
    parsed.text = _storable(text)
    parsed.attachments = [InboundAttachment(_storable(a.name), a.content_type, a.content) for a in attachments]
    return parsed
