"""The SMS backends (console/file and HTTP gateway) and the e-mail conventions."""

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.test import override_settings

from notifications.channels import DeliveryError
from notifications.channels.sms import ConsoleSmsBackend, HttpGatewaySmsBackend, get_backend


class Gateway(BaseHTTPRequestHandler):
    requests: list = []
    answer = (200, b'{"id": "gw-42"}')
    delay = 0.0

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Gateway.requests.append((dict(self.headers), json.loads(body)))
        time.sleep(Gateway.delay)
        status, payload = Gateway.answer
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    Gateway.requests, Gateway.answer, Gateway.delay = [], (200, b'{"id": "gw-42"}'), 0.0
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sms"
    server.shutdown()
    server.server_close()


def test_the_http_gateway_posts_json_with_credentials(gateway):
    with override_settings(SMS_GATEWAY_URL=gateway, SMS_GATEWAY_USER="desk", SMS_GATEWAY_PASSWORD="s3cret",
                           SMS_BACKEND="notifications.channels.sms.HttpGatewaySmsBackend"):
        backend = get_backend()
        assert isinstance(backend, HttpGatewaySmsBackend)
        assert backend.send("13800000000", "追保通知", reference="notification-7") == "gw-42"
    [(headers, body)] = Gateway.requests
    assert body == {"to": "13800000000", "text": "追保通知", "reference": "notification-7"}
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"desk:s3cret").decode()
    assert headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("answer, message", [
    ((500, b'{"error": "busy"}'), "HTTP 500"),
    ((200, b"not json"), "JSON"),
    ((200, b'{"ok": true}'), "no message id"),
])
def test_gateway_errors_raise(gateway, answer, message):
    Gateway.answer = answer
    with pytest.raises(DeliveryError, match=message):
        HttpGatewaySmsBackend(url=gateway, user="", password="", timeout=5).send("1", "x")


def test_a_slow_gateway_times_out(gateway):
    Gateway.delay = 1.0
    with pytest.raises(DeliveryError, match="unreachable"):
        HttpGatewaySmsBackend(url=gateway, user="", password="", timeout=0.2).send("1", "x")


def test_an_unreachable_gateway_raises():
    with pytest.raises(DeliveryError, match="unreachable"):
        HttpGatewaySmsBackend(url="http://127.0.0.1:1/sms", user="", password="", timeout=1).send("1", "x")


def test_the_console_backend_is_the_default_and_can_write_to_a_file(tmp_path, capsys):
    assert isinstance(get_backend(), ConsoleSmsBackend)
    provider_id = ConsoleSmsBackend().send("13800000000", "你好")
    out = capsys.readouterr().out
    assert provider_id.startswith("console-") and "138****0000" in out and "13800000000" not in out
    path = tmp_path / "sms.jsonl"
    with override_settings(SMS_FILE_PATH=str(path)):
        ConsoleSmsBackend().send("13900000000", "第二条", reference="notification-9")
    [line] = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["text"] == "第二条" and json.loads(line)["reference"] == "notification-9"


@pytest.mark.parametrize("backend, url, problem", [
    ("notifications.channels.sms.HttpGatewaySmsBackend", "", "SMS_GATEWAY_URL is not set"),
    ("notifications.channels.sms.HttpGatewaySmsBackend", "ftp://gateway.example/sms", "must be an http(s) URL"),
    ("notifications.channels.sms.NoSuchBackend", "", "cannot be imported"),
])
@pytest.mark.django_db  # the other checks read the calendars
def test_an_sms_backend_that_cannot_send_is_said_at_start(backend, url, problem):
    """Set up without a gateway address, every SMS gave up one by one, margin calls' too, and nothing
    said so before the first client went untold: `manage.py check` (every command) warns."""
    import io

    from django.core.management import call_command
    from django.utils import translation

    out = io.StringIO()
    with override_settings(SMS_BACKEND=backend, SMS_GATEWAY_URL=url), translation.override("en"):
        call_command("check", stdout=out, stderr=out)
    assert "notifications.W001" in out.getvalue() and problem in out.getvalue()
    out = io.StringIO()
    call_command("check", stdout=out, stderr=out)  # the console backend (tests, demo): nothing to say
    assert "notifications.W001" not in out.getvalue()
