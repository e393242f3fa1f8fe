"""`signpost serve` as a real process: migrations, embedded or external Postgres, /readyz."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
SIGNPOST = str(Path(sys.executable).parent / "signpost")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 90) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"server exited early: {proc.stdout.read() if proc.stdout else ''}"
            )
        try:
            resp = httpx.get(url, timeout=2)
            if resp.status_code == 200:
                return resp
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    out = stop(proc)
    raise AssertionError(f"{url} not ready in {timeout}s; server output:\n{out[-4000:]}")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNPOST_", "OPENAI_"))}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def stop(proc: subprocess.Popen) -> str:
    """Stop the server and return its output; a hung one is killed with its workers.

    Killing only the parent would leave workers holding the output pipe open, so a
    server started with start_new_session=True is killed as a process group.
    """
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        if os.getpgid(proc.pid) == proc.pid:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
        out, _ = proc.communicate()
    return out or ""


@pytest.mark.slow
def test_serve_on_a_fresh_data_dir_starts_embedded_postgres_and_is_ready(tmp_path):
    data = Path(f"/tmp/signpost-serve-{os.getpid()}")
    shutil.rmtree(data, ignore_errors=True)
    port = free_port()
    proc = subprocess.Popen(
        [SIGNPOST, "serve", "--port", str(port), "--seed-demo"],
        cwd=tmp_path,
        env=clean_env(SIGNPOST_DATA_DIR=str(data)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        ready = wait_ready(f"http://127.0.0.1:{port}/readyz", proc)
        assert ready.json()["database"] == "ok"
        assert httpx.get(f"http://127.0.0.1:{port}/schema/openapi.json").status_code == 200
        assert (data / "pg" / "PG_VERSION").exists()
        # Generated once into the data dir at start-up (no SIGNPOST_SECRET_KEY set).
        assert (data / "secret_key").stat().st_mode & 0o777 == 0o600
        state = data / "demo.json"
        assert state.exists(), "the demo is seeded into an empty store"
    finally:
        out = stop(proc)
    assert "Demo API key" in out, out
    # The first start prints the URLs before the demo's sources finish ingesting.
    assert "demo sources are still ingesting" in out, out
    key = next(line.split()[-1] for line in out.splitlines() if "Demo API key" in line)
    assert key.startswith("sp_")
    # a second start on the same data dir keeps the data and prints the same key
    proc = subprocess.Popen(
        [SIGNPOST, "serve", "--port", str(port), "--seed-demo"],
        cwd=tmp_path,
        env=clean_env(SIGNPOST_DATA_DIR=str(data)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", proc)
        bots = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/chatbots", headers={"Authorization": f"Bearer {key}"}
        )
        assert bots.status_code == 200 and bots.json()["total"] == 1
    finally:
        out = stop(proc)
        shutil.rmtree(data, ignore_errors=True)
    assert key in out


@pytest.mark.slow
def test_serve_uses_database_url_when_set(tmp_path, db_dsn):
    port = free_port()
    proc = subprocess.Popen(
        [SIGNPOST, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=clean_env(SIGNPOST_DATA_DIR=str(tmp_path / "d"), DATABASE_URL=db_dsn),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", proc)
        assert not (tmp_path / "d" / "pg").exists()
    finally:
        stop(proc)


def test_invalid_setting_stops_start_up_with_the_variable_named(tmp_path):
    result = subprocess.run(
        [SIGNPOST, "serve"],
        cwd=tmp_path,
        env=clean_env(SIGNPOST_PORT="eighty"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "SIGNPOST_PORT" in result.stderr


def test_workspace_create_prints_id_and_key_once(tmp_path, db_dsn):
    result = subprocess.run(
        [SIGNPOST, "workspace", "create", "Acme"],
        cwd=tmp_path,
        env=clean_env(DATABASE_URL=db_dsn, SIGNPOST_DATA_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(": ", 1) for line in result.stdout.strip().splitlines())
    assert set(lines) == {"workspace_id", "api_key"}
    key = lines["api_key"]
    import psycopg

    with psycopg.connect(db_dsn) as conn:
        stored = conn.execute(
            "SELECT key_hash, prefix FROM api_keys WHERE workspace_id = %s",
            (lines["workspace_id"],),
        ).fetchone()
    assert stored is not None and key not in str(stored[0]) and key.startswith(stored[1])


def test_docker_compose_file_wires_the_four_services():
    import yaml

    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = spec["services"]
    assert set(services) == {"postgres", "redis", "api", "worker"}
    assert "pgvector" in services["postgres"]["image"]
    assert services["postgres"]["healthcheck"]["test"]
    for name in ("api", "worker"):
        env = services[name]["environment"]
        assert (
            env["DATABASE_URL"].startswith("postgresql://") and "@postgres:" in env["DATABASE_URL"]
        )
        assert env["REDIS_URL"].startswith("redis://redis:")
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["worker"]["command"] == ["signpost", "worker"]
    assert (ROOT / "Dockerfile").exists()

    docker = shutil.which("docker")
    if (
        docker is None
        or subprocess.run([docker, "compose", "version"], capture_output=True).returncode
    ):
        return  # no compose plugin here: the structural checks above are what can run
    result = subprocess.run(
        [docker, "compose", "-f", str(ROOT / "docker-compose.yml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _tcp_sockets(port: int) -> dict[str, str]:
    """Return inode → state ('listen' or 'established') of the TCP sockets on a local port."""
    states = {"0A": "listen", "01": "established"}
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            cols = line.split()
            if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] in states:
                found[cols[9]] = states[cols[3]]
    return found


@pytest.mark.slow
@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="SO_REUSEPORT balancing is Linux's"
)
def test_workers_listen_on_sockets_of_their_own_and_share_a_burst_of_connections(tmp_path, db_dsn):
    port = free_port()
    proc = subprocess.Popen(
        [SIGNPOST, "serve", "--port", str(port), "--workers", "2"],
        cwd=tmp_path,
        env=clean_env(SIGNPOST_DATA_DIR=str(tmp_path / "d"), DATABASE_URL=db_dsn),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the workers go down with the group, whatever happens
    )
    clients: list[socket.socket] = []
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", proc)
        deadline = time.monotonic() + 60
        while True:  # the second worker may still be starting
            workers = _children(proc.pid)
            sockets = _tcp_sockets(port)
            listening = {
                pid: {i for i in _socket_inodes(pid) if sockets.get(i) == "listen"}
                for pid in workers
            }
            if sum(1 for inodes in listening.values() if inodes) == 2:
                break
            assert time.monotonic() < deadline, f"listening sockets per worker: {listening}"
            time.sleep(0.2)
        listening = {pid: inodes for pid, inodes in listening.items() if inodes}
        held = list(listening.values())
        assert all(len(inodes) == 1 for inodes in held) and held[0] != held[1]
        assert not {i for i in _socket_inodes(proc.pid) if sockets.get(i) == "listen"}

        # A burst of keep-alive connections, opened at once, as a proxy's pool would.
        for _ in range(16):
            clients.append(socket.create_connection(("127.0.0.1", port)))
        request = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
        for client in clients:
            client.sendall(request)
        for client in clients:
            assert client.recv(65536).startswith(b"HTTP/1.1 ")
        sockets = _tcp_sockets(port)
        per_worker = sorted(
            sum(1 for i in _socket_inodes(pid) if sockets.get(i) == "established")
            for pid in listening
        )
        assert sum(per_worker) == 16
        assert per_worker[0] >= 1, per_worker  # all 16 on one worker: p = 2^-15 by hashing
    finally:
        for client in clients:
            client.close()
        stop(proc)


def test_workers_do_not_start_on_a_port_another_process_holds(tmp_path, db_dsn):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [SIGNPOST, "serve", "--port", str(port), "--workers", "2"],
            cwd=tmp_path,
            env=clean_env(SIGNPOST_DATA_DIR=str(tmp_path / "d"), DATABASE_URL=db_dsn),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.stdout + result.stderr


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="SO_REUSEPORT balancing is Linux's"
)
def test_worker_sockets_share_a_port_that_a_plain_bind_then_cannot_take():
    from signpost.serving import bind_socket

    first = bind_socket("localhost", 0, reuse_port=True)
    port = first.getsockname()[1]
    second = bind_socket("localhost", port, reuse_port=True)
    first.listen()
    second.listen()
    try:
        assert first.family == second.family == socket.AF_INET  # as uvicorn binds "localhost"
        with pytest.raises(OSError):
            bind_socket("127.0.0.1", port, reuse_port=False).close()
    finally:
        first.close()
        second.close()
    assert bind_socket("::1", 0, reuse_port=False).family == socket.AF_INET6
