"""The fault tests' own servers: a PostgreSQL cluster, a Redis, Celery workers and beat, gunicorn,
and stub SMTP and SMS-gateway servers that count what they receive.

Nothing here touches the shared PostgreSQL (5432) or Redis (6379) other test runs use: each server
listens on a free port of 127.0.0.1 with its files in a temporary folder, and everything started
is stopped (process groups, SIGKILL if need be) and removed at the end, also when a test fails."""

import contextlib
import email
import glob
import json
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg

PROJECT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
SETTINGS = "tests.faults.settings"
QUEUES = "celery,sla,notifications,monitoring"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, timeout: float, what: str, interval: float = 0.2, explain=None):
    """condition() until it is truthy (returned), else AssertionError after `timeout` seconds
    (with what `explain()` returns, if given)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}"
                                 + (f": {explain()}" if explain else ""))
        time.sleep(interval)


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).resolve().parent if pg_ctl else None


def missing_tools() -> str | None:
    """Why the fault tests cannot run here (None: they can)."""
    if sys.platform != "linux":
        return "the fault tests start servers with Linux process groups"
    if postgres_bin() is None:
        return "needs PostgreSQL's server programs (initdb, pg_ctl)"
    if shutil.which("redis-server") is None:
        return "needs redis-server"
    return None


class PrivatePostgres:
    """A PostgreSQL cluster of our own (initdb in a temporary folder; as the postgres user when
    this runs as root, since the server refuses root)."""

    def __init__(self, root: Path):
        self.bin = postgres_bin()
        self.root = root
        self.data = root / "data"
        self.log = root / "postgres.log"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(root, "postgres", "postgres")
        os.chmod(root, 0o700)

    def _run(self, program: str, *args: str, timeout: float = 60) -> str:
        command = [str(self.bin / program), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, cwd=self.root, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{program} {' '.join(args)} failed: {done.stdout}\n{done.stderr}")
        return done.stdout

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale",
                  "--no-sync")

    def start(self) -> None:
        # fsync off: speed; the machine does not crash under the tests, so nothing committed is lost
        # even by an immediate (crash) shutdown. synchronous_commit stays on: a commit is on disk
        # (in the page cache) when the client hears of it.
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   f"-c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start",
                  timeout=90)

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", timeout=90)

    def running(self) -> bool:
        command = [str(self.bin / "pg_ctl"), "-D", str(self.data), "status"]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, timeout=30).returncode == 0

    def accepting(self) -> bool:
        try:
            with psycopg.connect(self.dsn("postgres"), connect_timeout=2):
                return True
        except psycopg.Error:
            return False

    def dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str, **kwargs) -> psycopg.Connection:
        return psycopg.connect(self.dsn(database), autocommit=True, **kwargs)

    def create_database(self, name: str, template: str | None = None) -> None:
        with self.connect("postgres") as conn:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))

    def drop_database(self, name: str) -> None:
        with self.connect("postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            if self.running():
                self.stop("immediate")


class PrivateRedis:
    """A Redis of our own, without persistence: stopping it loses whatever it held, as a crashed
    broker would."""

    def __init__(self, root: Path):
        self.dir = root / "redis"
        self.dir.mkdir()
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        log = open(self.dir / "redis.log", "a")
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir), "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        wait_for(self.ping, 20, "redis-server to answer")

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # a broker that dies, nothing saved
        self.process.wait(20)
        self.process = None


class Processes:
    """Subprocesses started by a test, each in its own process group with its output in a log
    file; all of them are ended when the test ends."""

    def __init__(self, root: Path):
        self.root = root
        self.started: list[subprocess.Popen] = []
        self.count = 0

    def start(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        self.count += 1
        path = self.root / f"{self.count:02d}-{name}.log"
        with open(path, "w") as log:
            process = subprocess.Popen(argv, cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        process.log_path = path
        process.name = name
        self.started.append(process)
        return process

    @staticmethod
    def log(process: subprocess.Popen) -> str:
        return process.log_path.read_text(errors="replace")

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL to the whole process group: a worker and its pool children die at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(20)

    def stop(self, process: subprocess.Popen, timeout: float = 15) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # whatever of the group is left
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)

    def stop_all(self) -> None:
        for process in reversed(self.started):
            self.stop(process)

    def logs(self) -> str:
        """Every log's tail, for an assertion message."""
        return "\n".join(f"--- {p.log_path.name} ---\n{self.log(p)[-4000:]}" for p in self.started)


class Stack:
    """One test's environment: a fresh database copied from the migrated template, the private
    Redis, the delivery stubs and the processes of the test, with helpers to start them."""

    def __init__(self, *, postgres: PrivatePostgres, redis: PrivateRedis, database: str, root: Path,
                 smtp: "SmtpStub", sms: "SmsGatewayStub"):
        self.postgres, self.redis, self.database, self.root = postgres, redis, database, root
        self.smtp, self.sms = smtp, sms
        self.processes = Processes(root)
        self.workers = 0
        self.extra_env: dict[str, str] = {}

    def env(self, **extra: str) -> dict:
        env = {name: value for name, value in os.environ.items()
               if not name.startswith(("DATABASE_", "CELERY_", "DJANGO_", "SMS_", "EMAIL_", "NOTIFICATION_"))}
        env.update(
            DJANGO_SETTINGS_MODULE=SETTINGS, PYTHONPATH=str(PROJECT), PYTHONUNBUFFERED="1",
            DATABASE_URL=self.postgres.url(self.database), CELERY_BROKER_URL=self.redis.url(),
            EMAIL_URL=f"smtp://127.0.0.1:{self.smtp.port}", EMAIL_TIMEOUT="10",
            SMS_BACKEND="notifications.channels.sms.HttpGatewaySmsBackend",
            SMS_GATEWAY_URL=f"http://127.0.0.1:{self.sms.port}/send", SMS_GATEWAY_TIMEOUT="60",
            MEDIA_ROOT=str(self.root / "media"), LOG_LEVEL="INFO",
        )
        env.update(self.extra_env)
        env.update(extra)
        return env

    def db(self) -> psycopg.Connection:
        return self.postgres.connect(self.database)

    def scalar(self, sql: str, params=()):
        with self.db() as conn:
            return conn.execute(sql, params).fetchone()[0]

    def rows(self, sql: str, params=()) -> list[tuple]:
        with self.db() as conn:
            return conn.execute(sql, params).fetchall()

    def unsent(self) -> list[tuple]:
        """The outbox rows not sent (yet), with what says why."""
        return self.rows("SELECT id, channel, event, status, attempts, claimed_at IS NOT NULL, queued_at, "
                         "next_attempt_at, error FROM notifications_notification WHERE status <> 'sent' ORDER BY id")

    def script(self, command: str, timeout: float = 180, **arguments) -> dict:
        """Run tests.faults.script `command` against this test's database; its JSON answer."""
        done = subprocess.run([PYTHON, "-m", "tests.faults.script", command, json.dumps(arguments)],
                              cwd=self.root, env=self.env(), capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise AssertionError(f"script {command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def start_worker(self, **env: str) -> subprocess.Popen:
        """A Celery worker on every queue, one prefork child (so the order of work is known);
        returns once it is consuming."""
        self.workers += 1
        process = self.processes.start("worker", [
            PYTHON, "-m", "celery", "-A", "servicedesk", "worker", "-Q", QUEUES, "-c", "1", "-P", "prefork",
            "-n", f"faults{self.workers}@%h", "--without-heartbeat", "--without-mingle", "--without-gossip",
            "-l", "INFO"], self.env(**env))
        wait_for(lambda: " ready." in self.processes.log(process) or process.poll() is not None, 60,
                 "the worker to be ready")
        assert process.poll() is None, self.processes.log(process)
        return process

    def start_beat(self, **env: str) -> subprocess.Popen:
        process = self.processes.start("beat", [
            PYTHON, "-m", "celery", "-A", "servicedesk", "beat", "-l", "INFO",
            "-S", "django_celery_beat.schedulers:DatabaseScheduler", "--pidfile", str(self.root / "beat.pid")],
            self.env(**env))
        wait_for(lambda: "beat: Starting" in self.processes.log(process) or process.poll() is not None, 60,
                 "beat to start")
        assert process.poll() is None, self.processes.log(process)
        return process

    def start_web(self, **env: str) -> "WebServer":
        port = free_port()
        process = self.processes.start("gunicorn", [
            PYTHON, "-m", "gunicorn", "servicedesk.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "2",
            "--timeout", "60", "--graceful-timeout", "5", "--access-logfile", "-"], self.env(**env))
        server = WebServer(process, f"http://127.0.0.1:{port}")
        wait_for(lambda: server.answers() or process.poll() is not None, 60, "gunicorn to answer")
        assert process.poll() is None, self.processes.log(process)
        return server

    def publish(self, task: str, *args, queue: str, **kwargs) -> None:
        """Publish a task by name to our broker, as beat or the web app would."""
        from celery import Celery

        # An explicit connection: Celery reads CELERY_BROKER_URL from the environment before the
        # `broker` argument, and CI sets it to the shared Redis, which our worker does not listen to.
        app = Celery("faults-publisher", broker=self.redis.url())
        try:
            with app.connection_for_write(self.redis.url()) as connection:
                app.send_task(task, args=args, kwargs=kwargs, queue=queue, connection=connection)
        finally:
            app.close()

    def close(self) -> None:
        self.processes.stop_all()


class WebServer:
    def __init__(self, process: subprocess.Popen, base: str):
        self.process, self.base = process, base

    def answers(self) -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(self.base + "/accounts/login/", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def worker_pids(self) -> set[int]:
        """The gunicorn workers (children of the master)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return {int(pid) for pid in children.read_text().split()}


# --- delivery stubs ---------------------------------------------------------------------------


class SmsGatewayStub:
    """An SMS gateway on 127.0.0.1 (HttpGatewaySmsBackend's protocol): every request is recorded;
    a message is delivered once per reference (a repeated reference is acknowledged, not sent
    again, as gateways that de-duplicate do). `hold(n)`: the n-th request (1-based) waits, having
    reached the gateway, until `release()`: time to kill the worker sending it."""

    def __init__(self):
        self.requests: list[dict] = []
        self.delivered: dict[str, dict] = {}
        self.lock = threading.Lock()
        self.hold_request: int | None = None
        self.holding = threading.Event()
        self.released = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with stub.lock:
                    stub.requests.append(body)
                    number = len(stub.requests)
                    stub.delivered.setdefault(body.get("reference", ""), body)
                if number == stub.hold_request:
                    stub.holding.set()
                    stub.released.wait(120)
                answer = json.dumps({"id": f"gw-{body.get('reference', number)}"}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the sender died meanwhile

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def hold(self, request_number: int) -> None:
        self.hold_request = request_number

    def release(self) -> None:
        self.released.set()

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


class SmtpStub:
    """An SMTP server on 127.0.0.1 that accepts every message and records its Message-ID."""

    def __init__(self):
        self.messages: list[email.message.Message] = []
        self.lock = threading.Lock()
        stub = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = 60

            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self):
                self.reply("220 stub ESMTP")
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
                    if verb == "EHLO":
                        self.reply("250-stub")
                        self.reply("250 8BITMIME")
                    elif verb == "DATA":
                        self.reply("354 go ahead")
                        data = bytearray()
                        while True:
                            chunk = self.rfile.readline()
                            if not chunk or chunk in (b".\r\n", b".\n"):
                                break
                            data += chunk[1:] if chunk.startswith(b"..") else chunk
                        with stub.lock:
                            stub.messages.append(email.message_from_bytes(bytes(data)))
                        self.reply("250 queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:  # HELO, MAIL, RCPT, RSET, NOOP
                        self.reply("250 ok")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def message_ids(self) -> list[str]:
        with self.lock:
            return [message["Message-ID"] for message in self.messages]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Api:
    """The REST API of a running server, as the firm's systems call it (token)."""

    def __init__(self, base: str, token: str):
        import requests

        self.base = base
        self.http = requests.Session()
        self.http.headers.update({"Authorization": f"Token {token}", "Accept": "application/json"})

    def post(self, path: str, payload: dict, timeout: float = 30):
        return self.http.post(self.base + path, json=payload, timeout=timeout)

    def get(self, path: str, timeout: float = 30):
        return self.http.get(self.base + path, timeout=timeout)
