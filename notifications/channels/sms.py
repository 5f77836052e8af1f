"""SMS through a pluggable backend (settings.SMS_BACKEND, a dotted path to an SmsBackend):

- ConsoleSmsBackend (default): writes each message to stdout, or appends it as a JSON line to
  settings.SMS_FILE_PATH when that is set (e.g. var/sms.jsonl): for development and the demo.
- HttpGatewaySmsBackend: POSTs JSON {"to", "text", "reference"} to settings.SMS_GATEWAY_URL with
  HTTP basic auth (SMS_GATEWAY_USER / SMS_GATEWAY_PASSWORD) and SMS_GATEWAY_TIMEOUT seconds;
  expects a 2xx JSON answer with the provider's message id ("id" or "message_id"). Anything
  else raises DeliveryError and the task retries. `reference` (notification-<id>) lets a
  gateway that supports it drop a message it has already accepted.

A backend is `send(to, text, *, reference="") -> provider_id`; errors are exceptions."""

import base64
import json
import sys
import threading
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.selectors import mask_phone
from notifications.channels import DeliveryError


class SmsBackend:
    def send(self, to: str, text: str, *, reference: str = "") -> str:
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    _lock = threading.Lock()

    def send(self, to: str, text: str, *, reference: str = "") -> str:
        provider_id = f"console-{uuid.uuid4().hex[:16]}"
        path = getattr(settings, "SMS_FILE_PATH", "")
        if path:
            line = json.dumps({"id": provider_id, "to": to, "text": text, "reference": reference,
                               "at": timezone.now().isoformat()}, ensure_ascii=False)
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            with self._lock, open(path, "a", encoding="utf-8") as file:
                file.write(line + "\n")
        else:
            # A console may end up in a log: the number masked, as everywhere a person's number is shown.
            sys.stdout.write(f"SMS to {mask_phone(to)} [{provider_id}]: {text}\n")
            sys.stdout.flush()
        return provider_id


class HttpGatewaySmsBackend(SmsBackend):
    def __init__(self, url: str | None = None, user: str | None = None, password: str | None = None,
                 timeout: float | None = None):
        self.url = url if url is not None else settings.SMS_GATEWAY_URL
        self.user = user if user is not None else settings.SMS_GATEWAY_USER
        self.password = password if password is not None else settings.SMS_GATEWAY_PASSWORD
        self.timeout = timeout if timeout is not None else settings.SMS_GATEWAY_TIMEOUT
        if not self.url:
            raise DeliveryError("SMS_GATEWAY_URL is not set")
        if not self.url.lower().startswith(("https://", "http://")):  # never file:, ftp: or custom schemes
            raise DeliveryError("SMS_GATEWAY_URL must be an http(s) URL")

    def send(self, to: str, text: str, *, reference: str = "") -> str:
        payload = json.dumps({"to": to, "text": text, "reference": reference}, ensure_ascii=False).encode()
        request = urllib.request.Request(self.url, data=payload, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "Accept": "application/json",
        })
        if self.user:
            token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            # bandit B310: the URL is http(s), checked in __init__
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # nosec B310
                answer = response.read(65536)
        except urllib.error.HTTPError as error:
            raise DeliveryError(f"SMS gateway answered HTTP {error.code}: "
                                f"{error.read(500).decode(errors='replace')}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise DeliveryError(f"SMS gateway unreachable: {getattr(error, 'reason', error)}") from None
        try:
            body = json.loads(answer or b"{}")
        except ValueError:
            raise DeliveryError(f"SMS gateway answered something else than JSON: {answer[:200]!r}") from None
        provider_id = body.get("id") or body.get("message_id") if isinstance(body, dict) else None
        if not provider_id:
            raise DeliveryError(f"SMS gateway gave no message id: {answer[:200]!r}")
        return str(provider_id)[:100]


def get_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()


def send(notification) -> str:
    return get_backend().send(notification.address, notification.body, reference=f"notification-{notification.pk}")
