"""SMS backends for the tests, selected with override_settings(SMS_BACKEND=...)."""

from notifications.channels.sms import SmsBackend

SENT: list[tuple[str, str]] = []


class FailingSmsBackend(SmsBackend):
    def send(self, to, text, *, reference=""):
        raise ConnectionError("gateway down (test)")


class RecordingSmsBackend(SmsBackend):
    def send(self, to, text, *, reference=""):
        SENT.append((to, text))
        return f"rec-{len(SENT)}"


class SlowFileSmsBackend(SmsBackend):
    """For a real worker: announces it started (with its process id) in SMS_TEST_DIR/started,
    waits while SMS_TEST_DIR/slow exists (time to kill the worker), then "delivers" by appending
    a line to SMS_TEST_DIR/sent."""

    def send(self, to, text, *, reference=""):
        import os
        import time
        from pathlib import Path

        folder = Path(os.environ["SMS_TEST_DIR"])
        (folder / "started").write_text(str(os.getpid()))
        deadline = time.monotonic() + 60
        while (folder / "slow").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        with open(folder / "sent", "a", encoding="utf-8") as file:
            file.write(f"{reference} {to} {text}\n")
        return f"file-{reference}"
