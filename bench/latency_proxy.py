"""A TCP proxy on the loopback that delays everything it forwards by a fixed time in each direction:
a database on another host, for benchmarks (not part of pytest).

    with DelayProxy("127.0.0.1", 5432, one_way_ms=0.5) as port:
        ...  # connect to 127.0.0.1:port; each round trip takes about 1 ms more

Each direction of a connection is a reader thread that stamps every chunk with the time it may
leave and a writer thread that sends it then, so chunks keep their order and the delay does not
add up over a pipeline of statements.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from types import TracebackType


def _pump(src: socket.socket, dst: socket.socket, delay: float) -> None:
    """Forward src to dst, each chunk `delay` seconds after it arrived."""
    queue: deque[tuple[float, bytes]] = deque()
    ready = threading.Condition()

    def writer() -> None:
        while True:
            with ready:
                while not queue:
                    ready.wait()
                due, data = queue.popleft()
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            try:
                if not data:
                    dst.shutdown(socket.SHUT_WR)
                    return
                dst.sendall(data)
            except OSError:
                return

    threading.Thread(target=writer, daemon=True).start()
    while True:
        try:
            data = src.recv(65536)
        except OSError:
            data = b""
        with ready:
            queue.append((time.perf_counter() + delay, data))
            ready.notify()
        if not data:
            return


class DelayProxy:
    """Listens on a free loopback port and forwards each connection to host:port with a delay."""

    def __init__(self, host: str, port: int, one_way_ms: float) -> None:
        self.target = (host, port)
        self.delay = one_way_ms / 1000
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            upstream = socket.create_connection(self.target)
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=_pump, args=(client, upstream, self.delay), daemon=True).start()
            threading.Thread(target=_pump, args=(upstream, client, self.delay), daemon=True).start()

    def __enter__(self) -> int:
        threading.Thread(target=self._serve, daemon=True).start()
        return self.port

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._listener.close()
