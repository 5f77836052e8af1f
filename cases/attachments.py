"""The one check every attachment passes, whichever way it arrives (the API and the portal through
`validate_attachments`, inbound e-mail and every other caller of `message_create` through
`attachment_check`): size, type by content, file name.

- Number: at most MAX_FILES per message.
- Size: at most settings.ATTACHMENT_MAX_BYTES (default 10 MB; env ATTACHMENT_MAX_BYTES); empty
  files are refused.
- Type, from the bytes (the `filetype` package's magic numbers, never the name or the uploader's
  Content-Type), one of ALLOWED:
  PDF; PNG, JPEG, GIF, WebP images; Word .docx and Excel .xlsx (a zip whose [Content_Types].xml names
  the main document of that kind: macro-enabled .docm/.xlsm and other zips are refused); plain
  text and CSV (.txt, .csv, .log: no binary signature, decodes strictly as UTF-8 or GB18030, no
  control characters but tab, CR, LF, form feed).
  Anything else (executables, HTML, SVG, archives, old binary .doc/.xls files, which carry
  macros) is refused.
- Name: the last path part only, no control or format characters (e.g. right-to-left
  overrides), no characters Windows refuses, at most NAME_MAX characters (extension kept);
  Chinese and other letters stay. Its extension must be one of the detected type's.

The stored content type is the allow-list's, and it is what the download view sends."""

import io
import os
import unicodedata
import zipfile
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from servicedesk.errors import ValidationFailed

MAX_FILES = 10
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
NAME_MAX = 150
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: content type → the extensions a name of that type may have (the first is the usual one).
ALLOWED = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    DOCX: (".docx",),
    XLSX: (".xlsx",),
    "text/plain": (".txt", ".log"),
    "text/csv": (".csv",),
}
#: Text has no signature: it must decode strictly as one of these (its bytes are kept as they came).
TEXT_CHARSETS = ("utf-8", "gb18030")
_OFFICE_MAIN = {DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
                XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"}
_FORBIDDEN_IN_NAMES = set('<>:"/\\|?*')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)), *(f"LPT{n}" for n in range(1, 10))}
_TEXT_CONTROLS_ALLOWED = {"\t", "\n", "\r", "\f"}


class AttachmentRefused(ValidationFailed):
    """One attachment is not accepted; `reason` says why (shown to the person who sent it)."""

    def __init__(self, name: str, reason: str):
        message = _("The attachment “%(name)s” was refused: %(reason)s") % {"name": name, "reason": reason}
        super().__init__(message, extra={"attachments": [message]})
        self.name = name
        self.reason = reason


@dataclass(frozen=True)
class CheckedAttachment:
    name: str  # sanitised
    content_type: str  # from ALLOWED
    size: int


def max_bytes() -> int:
    return int(getattr(settings, "ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def sanitize_filename(name: str, default_stem: str = "attachment") -> str:
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = []
    for char in name:
        category = unicodedata.category(char)
        if category[0] == "C" or category in ("Zl", "Zp"):  # controls, format (bidi overrides), unassigned
            continue
        kept.append("_" if char in _FORBIDDEN_IN_NAMES else (" " if char.isspace() else char))
    name = " ".join("".join(kept).split()).strip(" .")
    stem, extension = os.path.splitext(name)
    if not extension.strip(".") or len(extension) > 16 or " " in extension:
        stem, extension = name, ""
    stem = stem.strip(" .") or default_stem
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    extension = extension.lower()
    return stem[: NAME_MAX - len(extension)].rstrip(" .") + extension


def _office_type(content: bytes) -> str | None:
    """DOCX or XLSX when the zip's [Content_Types].xml names that main document, else None."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > 1024 * 1024:
                return None
            with archive.open(info) as stream:
                types = stream.read(1024 * 1024 + 1).decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, NotImplementedError,
            ValueError, EOFError):
        return None
    for content_type, main in _OFFICE_MAIN.items():
        if f'ContentType="{main}"' in types:
            return content_type
    return None


def _text_charset(content: bytes) -> str | None:
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    for charset in TEXT_CHARSETS:
        try:
            text = content.decode(charset)
        except UnicodeDecodeError:
            continue
        if any(unicodedata.category(char) == "Cc" and char not in _TEXT_CONTROLS_ALLOWED for char in text):
            return None
        return charset
    return None


def detect_type(content: bytes, extension: str) -> str | None:
    """The allow-list's content type of `content`, or None."""
    kind = filetype.guess(content[:8192])
    mime = kind.mime if kind is not None else None
    if mime in ("application/zip", DOCX, XLSX):
        return _office_type(content)
    if mime is not None:
        return mime if mime in ALLOWED else None
    if _text_charset(content) is None:
        return None
    return "text/csv" if extension == ".csv" else "text/plain"


def _read(upload, limit: int) -> bytes:
    upload.seek(0)
    content = upload.read(limit + 1)
    upload.seek(0)
    return content


def attachment_check(upload) -> CheckedAttachment:
    """The checked name, type and size of an uploaded file (Django UploadedFile or File), or
    AttachmentRefused. Reads at most ATTACHMENT_MAX_BYTES + 1 bytes."""
    original = getattr(upload, "name", "") or ""
    name = sanitize_filename(original)
    limit = max_bytes()
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        if filesizeformat(size) == filesizeformat(limit):  # "it is 10.0 MB; at most 10.0 MB" reads as no reason
            raise AttachmentRefused(name, _("a file may be at most %(limit)s.") % {"limit": filesizeformat(limit)})
        raise AttachmentRefused(name, _("it is %(size)s; a file may be at most %(limit)s.")
                                % {"size": filesizeformat(size), "limit": filesizeformat(limit)})
    content = _read(upload, limit)
    if len(content) > limit:
        raise AttachmentRefused(name, _("a file may be at most %(limit)s.") % {"limit": filesizeformat(limit)})
    if not content:
        raise AttachmentRefused(name, _("the file is empty."))
    extension = os.path.splitext(name)[1]
    content_type = detect_type(content, extension)
    if content_type is None:
        raise AttachmentRefused(name, _("this kind of file is not accepted (accepted: PDF, PNG, JPEG, GIF, WebP, "
                                        "Word .docx, Excel .xlsx, text and CSV)."))
    allowed_extensions = ALLOWED[content_type]
    if extension not in allowed_extensions:
        raise AttachmentRefused(name, _("the file's content is %(type)s but its name ends in “%(extension)s”; "
                                        "name it …%(expected)s.")
                                % {"type": content_type, "extension": extension or _("(nothing)"),
                                   "expected": " / …".join(allowed_extensions)})
    return CheckedAttachment(name=name, content_type=content_type, size=len(content))


def detected_type(upload) -> str | None:
    """The file's content type if it is one we accept under its name, else None."""
    try:
        return attachment_check(upload).content_type
    except AttachmentRefused:
        return None


def validate_attachments(uploads) -> list:
    """Forms and serializers: the uploads, each renamed to its sanitised name and given its
    detected content type; ValidationError listing every problem (and too many files)."""
    uploads = list(uploads or [])
    errors = []
    if len(uploads) > MAX_FILES:
        errors.append(_("Attach at most %(max)d files.") % {"max": MAX_FILES})
    for upload in uploads:
        try:
            checked = attachment_check(upload)
        except AttachmentRefused as refused:
            errors.append(str(refused.message))
            continue
        upload.name, upload.content_type = checked.name, checked.content_type
    if errors:
        raise ValidationError(errors)
    return uploads


def served_content_type(stored: str) -> str:
    """What the download sends: the stored type when it is on the allow-list (rows written before
    the check kept the uploader's header), else a download nothing renders."""
    return stored if (stored or "").split(";")[0].strip() in ALLOWED else "application/octet-stream"
