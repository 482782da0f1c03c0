"""Private Redis and PostgreSQL servers that a fault test may stop and start, and the web app as a real process.

Every server here is the test's own (its own port, its own data directory), so stopping it never disturbs the
shared services other tests use. A missing binary skips with the reason (and fails in CI, which has them).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from ..conftest import in_ci
from ..integration.conftest import ROOT, wait_for

# The web app as production runs it (DEBUG off), but on plain HTTP on loopback.
SERVER_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "fault-test-" + "k" * 60,
    "FIELD_ENCRYPTION_KEYS": "q3VlYtlC0n0rq7bM6Ts6I0w1n0cM6p2mXo7Zq1S3b4E=",
    "FIELD_HASH_KEY": "fault-test-" + "h" * 40,
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "AXES_ENABLED": "false",
    # These tests sign in with a password alone; two-factor sign-in has its own tests (tests/accounts).
    "OTP_REQUIRED": "false",
    "LOG_LEVEL": "WARNING",
    # The monitor's token: /health/ shows the broker and the job backlog only to it (or a signed-in manager).
    "HEALTH_TOKEN": "fault-test-health-" + "t" * 20,
}


def missing(what: str):
    if in_ci():
        pytest.fail(f"CI needs {what} for the fault tests.")
    pytest.skip(f"{what} is not installed; the fault tests need it.")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen, timeout: float = 15) -> str:
    """Stop a child process (SIGTERM, then SIGKILL) and return what it printed."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    return out or ""


class PrivateRedis:
    """A redis-server on a free port, without persistence: `kill()` loses what it held, like a crashed Redis."""

    def __init__(self, binary: str):
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [*command, "--daemonize", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if not wait_for(self.answers, timeout=10, interval=0.05):
            raise RuntimeError(f"redis-server did not start on port {self.port}")

    def answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def private_redis():
    binary = shutil.which("redis-server")
    if binary is None:
        missing("redis-server")
    server = PrivateRedis(binary)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(re.findall(r"/(\d+)/", p)[0]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PrivatePostgres:
    """A throw-away PostgreSQL cluster in a temporary directory (run as the postgres user when we are root)."""

    def __init__(self, bindir: Path, directory: Path):
        self.bindir = bindir
        self.directory = directory
        self.data = directory / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        argv = [str(self.bindir / command[0]), *command[1:]]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=check)

    def init(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")

    def ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.directory / "server.log")
        self.run("pg_ctl", action, "-D", str(self.data), "-o", options, "-l", log, "-w", "-t", "60", *extra)

    def stop(self) -> None:
        self.run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w", "-t", "60")


@pytest.fixture
def private_postgres():
    bindir = _postgres_bin()
    if bindir is None:
        missing("PostgreSQL's server binaries (initdb, pg_ctl)")
    directory = Path(tempfile.mkdtemp(prefix="shopops-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    server = PrivatePostgres(bindir, directory)
    try:
        server.init()
        server.ctl("start")
        yield server
    finally:
        server.run("pg_ctl", "stop", "-D", str(server.data), "-m", "immediate", check=False)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """The static files collected once, as production serves them (DEBUG off needs the manifest)."""
    root = tmp_path_factory.mktemp("static")
    environment = dict(os.environ, **SERVER_ENV, STATIC_ROOT=str(root))
    environment.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return root


class WebApp:
    """gunicorn serving ShopOps on a free loopback port (one sync worker, persistent database connections)."""

    def __init__(self, environment: dict):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.environment = environment
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "gunicorn", "shop_ops.wsgi:application", "--workers", "1"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--timeout", "60", "--graceful-timeout", "5"]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        try:
            up = wait_for(self._up, timeout=60, interval=0.2)
        except BaseException:
            stop(self.process)  # never leave a server behind
            raise
        if not up:
            raise RuntimeError(f"gunicorn did not start:\n{stop(self.process)}")

    def _up(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{self.process.communicate()[0]}")
        try:
            requests.get(f"{self.base}/accounts/login/", timeout=10)
        except requests.RequestException:  # not listening yet, or the worker still loading Django
            return False
        return True

    def log(self) -> str:
        return stop(self.process) if self.process else ""

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.base + path, timeout=30, allow_redirects=False, **kwargs)

    def health(self) -> requests.Response:
        """/health/ as the operator's monitor sees it (with HEALTH_TOKEN): database, broker, jobs waiting."""
        return self.get("/health/", headers={"X-Health-Token": SERVER_ENV["HEALTH_TOKEN"]})

    def post(self, path: str, **kwargs) -> requests.Response:
        return requests.post(self.base + path, timeout=30, allow_redirects=False, **kwargs)

    def log_in(self, username: str, password: str) -> dict:
        """Sign in through the login page; returns the cookies to send (the server marks them Secure, so they are
        passed by hand over this plain-HTTP loopback)."""
        page = self.get("/accounts/login/")
        csrf = page.cookies["csrftoken"]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        answer = self.post(
            "/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
            cookies={"csrftoken": csrf},
            headers={"Referer": self.base + "/accounts/login/"},
        )
        assert answer.status_code == 302, answer.text[:500]
        return {"csrftoken": csrf, "sessionid": answer.cookies["sessionid"]}

    def token(self, username: str, password: str) -> str:
        answer = self.post("/api/auth/token/", json={"username": username, "password": password})
        assert answer.status_code == 200, answer.text
        return answer.json()["token"]


def web_app(static_root, **variables) -> WebApp:
    environment = dict(os.environ, **SERVER_ENV, STATIC_ROOT=str(static_root), **variables)
    return WebApp(environment)


def timed(call):
    """(result, seconds) of a call."""
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started
