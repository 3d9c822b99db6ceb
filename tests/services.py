"""Real servers for the tests: a throwaway PostgreSQL cluster, a moto S3 server and a llama.cpp model
server, on 127.0.0.1.

Both can be stopped and started again in the middle of a test, which is how outage tests inject
faults for real.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, TypeVar

import psycopg

S = TypeVar("S", bound="Service")


class Service(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


@contextmanager
def running(service: S) -> Iterator[S]:
    """The service started for the ``with`` block, and stopped after it whatever happens."""
    service.start()
    try:
        yield service
    finally:
        service.stop()


def answers(url: str, process: subprocess.Popen[bytes], *, timeout: float) -> bool:
    """Whether ``url`` answers before ``process`` exits or ``timeout`` seconds pass (servers we start
    take a moment to listen)."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return True
        except OSError:
            time.sleep(0.5)
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_bin(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    found = candidates[-1] if candidates else shutil.which(name)
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed: run the README's test command")
    return found


class PostgresCluster:
    """A PostgreSQL cluster in a temporary folder, fsync off, trust auth, on a free local port.

    ``initdb`` refuses to run as root, so as root the cluster belongs to the ``postgres`` user.
    """

    def __init__(self, *, durable: bool = False) -> None:
        """``durable``: a commit survives ``stop`` (an immediate shutdown, like a crash); the
        default trades that for speed, which tests that never stop the cluster do not need."""
        self.durable = durable
        self.root = Path(tempfile.mkdtemp(prefix="aizoomdoc-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self._run(_postgres_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")

    def _run(self, *cmd: str) -> None:
        if self._as_postgres:
            cmd = ("runuser", "-u", "postgres", "--", *cmd)
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
            f"-c synchronous_commit={'on' if self.durable else 'off'} -c full_page_writes=off -c max_connections=200"
        )
        self._run(_postgres_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"),
                  "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run(_postgres_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def create_database(self) -> str:
        """A new empty database; returns its URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def destroy(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class S3Server:
    """moto's S3 in server mode: reached over HTTP by boto3 like any S3-compatible endpoint."""

    access_key = "testing-access-key"
    secret_key = "testing-secret-key"

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self.port = free_port()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    def create_bucket(self) -> str:
        import boto3

        name = "aizoomdoc-" + uuid.uuid4().hex[:12]
        boto3.client(
            "s3", endpoint_url=self.endpoint_url, region_name="us-east-1",
            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
        ).create_bucket(Bucket=name)
        return name


class StreamlitServer:
    """``streamlit run`` on a free local port over one data directory; can be restarted."""

    def __init__(self, data: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "S3_", "OPENAI_"))}
        self.env["AIZOOMDOC_DATA_DIR"] = str(data)
        self.options: list[str] = []  # more Streamlit options, e.g. --secrets.files
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true", *self.options],
            cwd=Path(__file__).resolve().parents[1], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        assert answers(f"{self.url}/_stcore/health", self.process, timeout=60), "streamlit did not start"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None


class LlamaServer:
    """llama-cpp-python's OpenAI-compatible server over a GGUF file, on a free local port.

    The real thing a user would run for a local model, so the tool loop meets a real server's wire
    format (its streaming, its handling of ``tools`` and ``stream_options``), not our scripted one.
    Its output goes to a log file whose end is shown if it does not start.
    """

    def __init__(self, model: Path, alias: str, *, context: int = 3072, seed: int = 1) -> None:
        """``context``: tokens of prompt and answer together; the small model writes until it
        fills them, so this bounds the answer's time. ``seed`` makes its sampling repeatable."""
        self.model, self.alias = model, alias
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.log = Path(tempfile.mkdtemp(prefix="aizoomdoc-llama-")) / "server.log"
        self.command = [
            sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", alias,
            "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(context), "--seed", str(seed),
        ]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120) -> None:
        """Start the server and wait until ``/v1/models`` answers (loading the model takes seconds)."""
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT)
        if not answers(f"{self.base_url}/models", self.process, timeout=timeout):
            tail = self.log.read_text(errors="replace")[-2000:]
            self.stop()
            raise RuntimeError(f"llama_cpp.server did not start: {' '.join(self.command)}\n{tail}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        shutil.rmtree(self.log.parent, ignore_errors=True)
