"""Several server processes on one port, each accepting on its own SO_REUSEPORT socket.

uvicorn's `workers=N` binds one socket in the parent and shares it: every worker wakes
for a new connection and the first to loop over accept() takes all that are waiting.
A burst of keep-alive connections (a proxy's upstream pool, a load test) then lands
mostly on one worker and stays there, while the other idles. With SO_REUSEPORT each
worker listens on a socket of its own and the kernel spreads connections across them.
uvicorn's supervisor (health checks, restarts, signals) still runs the workers.
"""

from __future__ import annotations

import logging
import socket
import sys
from typing import Any

from uvicorn import Config
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

log = logging.getLogger("uvicorn.error")


def reuse_port_supported() -> bool:
    """Whether the kernel balances connections across SO_REUSEPORT sockets (Linux does)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def bind_socket(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    """Return a socket bound to host:port, with SO_REUSEPORT if asked (not yet listening)."""
    # IPv6 only for an IPv6 literal, as uvicorn decides: "localhost" binds 127.0.0.1.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, family=family, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _bind_or_exit(
    host: str, port: int, *, reuse_port: bool, backlog: int | None = None
) -> socket.socket:
    """Bind (and listen, given a backlog), or log why not and stop with STARTUP_FAILURE.

    In a worker this runs as its listener unpickles; STARTUP_FAILURE makes the supervisor
    stop instead of restarting the worker forever.
    """
    try:
        sock = bind_socket(host, port, reuse_port=reuse_port)
        if backlog is not None:
            sock.listen(backlog)
    except OSError as exc:
        log.error("cannot listen on %s:%d: %s", host, port, exc)
        sys.exit(STARTUP_FAILURE)
    return sock


def _worker_socket(host: str, port: int, backlog: int) -> socket.socket:
    """Open this worker's own listening socket on the shared port."""
    return _bind_or_exit(host, port, reuse_port=True, backlog=backlog)


class WorkerListener:
    """What the supervisor hands each worker in place of a shared socket.

    Workers are spawned and receive their sockets pickled; this one unpickles as a new
    listening socket of the worker's own.
    """

    def __init__(self, host: str, port: int, backlog: int) -> None:
        self.host, self.port, self.backlog = host, port, backlog

    def __reduce__(self) -> tuple[Any, tuple[str, int, int]]:
        return (_worker_socket, (self.host, self.port, self.backlog))


def serve_workers(app: str, workers: int, options: dict[str, Any]) -> None:
    """Run `workers` processes of the app factory `app` on options' host and port."""
    config = Config(app, factory=True, workers=workers, **options)
    if not reuse_port_supported():
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    # Without SO_REUSEPORT this bind fails if anything holds the port, including another
    # instance's workers: two services never share a port by accident.
    _bind_or_exit(config.host, config.port, reuse_port=False).close()
    listener = WorkerListener(config.host, config.port, config.backlog)
    Multiprocess(config, sockets=[listener]).run()  # type: ignore[list-item]
