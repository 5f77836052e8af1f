"""What may be attached to a case message, wherever it comes from (the client portal, the API):
at most MAX_FILES files, none empty, each at most ATTACHMENT_MAX_BYTES (10 MB by default, the
inbound e-mail limit), of a type recognised from its content, not its name: PDF, images, Office
documents, plain text or CSV. The name's extension must fit the content (a PNG called page.html
is refused), and the stored content type is the detected one, not what the browser claimed."""

import os

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

MAX_FILES = 10
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
#: Detected content type → the extensions a file of that type may have.
ALLOWED_TYPES = {
    "application/pdf": {"pdf"},
    "image/png": {"png"},
    "image/jpeg": {"jpg", "jpeg"},
    "image/gif": {"gif"},
    "image/webp": {"webp"},
    "application/msword": {"doc"},
    "application/vnd.ms-excel": {"xls"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"docx"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"xlsx"},
}
#: Text has no signature: recognised by its extension and by decoding as UTF-8 or GB18030.
TEXT_TYPES = {"txt": "text/plain", "csv": "text/csv"}
TEXT_ENCODINGS = ("utf-8", "gb18030")


def max_bytes() -> int:
    return int(getattr(settings, "ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _extension(name: str) -> str:
    return os.path.splitext(name or "")[1].lower().lstrip(".")


def _read(upload, limit: int | None = None) -> bytes:
    upload.seek(0)
    data = upload.read(limit) if limit is not None else upload.read()
    upload.seek(0)
    return data


def _is_text(upload) -> bool:
    data = _read(upload)
    if b"\x00" in data:
        return False
    for encoding in TEXT_ENCODINGS:
        try:
            data.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def detected_type(upload) -> str | None:
    """The file's content type if it is one we accept under its name, else None."""
    extension = _extension(upload.name)
    if extension in TEXT_TYPES:
        return TEXT_TYPES[extension] if _is_text(upload) else None
    kind = filetype.guess(_read(upload, 8192))
    if kind is None or extension not in ALLOWED_TYPES.get(kind.mime, ()):
        return None
    return kind.mime


def validate_attachments(uploads) -> list:
    """The uploads, each with its detected content type; ValidationError listing every problem."""
    uploads = list(uploads or [])
    errors = []
    if len(uploads) > MAX_FILES:
        errors.append(_("Attach at most %(max)d files.") % {"max": MAX_FILES})
    limit = max_bytes()
    for upload in uploads:
        name = os.path.basename(upload.name or "")
        if not upload.size:
            errors.append(_("“%(name)s” is empty.") % {"name": name})
        elif upload.size > limit:
            errors.append(_("“%(name)s” is %(size)s; a file may be at most %(limit)s.")
                          % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)})
        else:
            content_type = detected_type(upload)
            if content_type is None:
                errors.append(_("“%(name)s” is not a PDF, image, Office document or text file, or its name does "
                                "not match its content.") % {"name": name})
            else:
                upload.content_type = content_type
    if errors:
        raise ValidationError(errors)
    return uploads
