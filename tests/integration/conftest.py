import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from celery import Celery

from ..conftest import in_ci

ROOT = Path(__file__).resolve().parents[2]


def own_database(url: str) -> str:
    """The Redis URL with a database number of this pytest-xdist worker's own (gw0 keeps the one named, gw1 the
    next, and so on; unchanged without xdist). Each test has its own queue, but kombu keeps the unacknowledged
    messages of all queues of one database in one hash, and a worker with a short visibility timeout
    (test_worker_faults) would hand a long task of a test running at the same time back to its queue."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    number = (int(parts.path.strip("/") or 0) + int(worker[2:])) % 16  # Redis has databases 0-15 by default
    return urlunsplit(parts._replace(path=f"/{number}"))


_BROKER = os.environ.get("CELERY_BROKER_URL", "")
REDIS_URL = own_database(
    _BROKER if _BROKER.startswith("redis") else os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
)


def redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_reachable():
    if not redis_available():
        if in_ci():
            pytest.fail(f"CI needs Redis at {REDIS_URL} for the Celery integration tests.")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}; start it to run the Celery integration tests.")


@pytest.fixture
def redis_url(redis_reachable, monkeypatch):
    # Celery's client reads CELERY_BROKER_URL (and CELERY_RESULT_BACKEND) from the environment ahead of any
    # argument, so while the test runs the environment names the same Redis database as the workers it starts.
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        if os.environ.get(name, "").startswith("redis"):
            monkeypatch.setenv(name, REDIS_URL)
    return REDIS_URL


def worker_database_url() -> str | None:
    """The URL of the test database, for a worker process that must see what the test wrote (PostgreSQL only:
    SQLite's test database lives in the test process's memory)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    settings = connection.settings_dict
    user = settings.get("USER") or ""
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


@pytest.fixture
def shared_database(transactional_db):
    """A committed test database the worker process can read; skips on SQLite with the reason."""
    url = worker_database_url()
    if url is None:
        pytest.skip("A worker process cannot see SQLite's in-memory test database; this runs on PostgreSQL (CI).")
    return url


@pytest.fixture
def celery_worker_process(redis_url, request):
    """A real `celery worker` process on its own queue; yields (client app, queue name, process)."""
    queue = f"shopops-test-{uuid.uuid4().hex[:8]}"
    environment = dict(os.environ, CELERY_BROKER_URL=redis_url, CELERY_RESULT_BACKEND=redis_url)
    if "shared_database" in request.fixturenames:
        environment["DATABASE_URL"] = request.getfixturevalue("shared_database")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "shop_ops",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    client = Celery("shopops-test-client", broker=redis_url, backend=redis_url)
    client.conf.task_default_queue = queue
    try:
        yield client, queue, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        client.close()


def start_worker(*, queue: str, environment: dict, log: Path, pool: str = "solo") -> subprocess.Popen:
    """A `celery worker` for one queue, in a process group of its own so a test can SIGKILL it together with its
    pool children (`kill_worker`); its log goes to a file (a pipe nobody reads would block a chatty worker)."""
    command = [sys.executable, "-m", "celery", "-A", "shop_ops", "worker", f"--pool={pool}", "--concurrency=1"]
    command += ["-Q", queue, "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    with log.open("a") as output:
        return subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


def kill_worker(process: subprocess.Popen) -> None:
    """SIGKILL the worker and every process of its group (a crash or the OOM killer: nothing is cleaned up)."""
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=20)


def child_pids(pid: int) -> list[int]:
    """The ids of the processes whose parent is `pid` (a prefork worker's pool processes)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its closing parenthesis.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry.name))
    return children


def unacked_since(redis_url: str, task_id: str) -> float | None:
    """When a worker took the task's message, while the message is still unacknowledged in Redis (kombu keeps
    such messages in the `unacked` hash, scored by delivery time in `unacked_index`); None once acknowledged."""
    client = redis.Redis.from_url(redis_url)
    try:
        for tag, raw in client.hgetall("unacked").items():
            message = json.loads(raw)[0]
            if message.get("headers", {}).get("id") == task_id:
                return client.zscore("unacked_index", tag)
        return None
    finally:
        client.close()


def wait_for(predicate, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None
