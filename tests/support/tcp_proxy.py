"""A small TCP proxy on loopback for fault tests: pass through, delay, hang, refuse.

    with TcpProxy(("127.0.0.1", server_port)) as proxy:
        client(endpoint=proxy.endpoint)
        proxy.delay = 3.0        # every chunk from the server waits 3 s before it is sent on
        proxy.hang()             # connections accepted, nothing forwarded either way
        proxy.refuse()           # the port is closed: connect() gets ECONNREFUSED
        proxy.restore()          # back to passing through (on the same port)
        proxy.requests           # HTTP requests seen (client -> server "POST " lines)

It is bounded: at most ``max_connections`` open at once (more are closed at once), and it
stops itself after ``lifetime`` seconds even if a test forgets to. Threads are daemons;
``stop()`` closes every socket and joins them.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from types import TracebackType

CHUNK = 64 * 1024


class TcpProxy:
    def __init__(
        self,
        target: tuple[str, int],
        *,
        port: int = 0,
        max_connections: int = 256,
        lifetime: float = 300.0,
    ) -> None:
        self.target = target
        self.max_connections = max_connections
        self.delay = 0.0  # seconds added before each server -> client chunk
        self.request_delay = 0.0  # seconds added before each client -> server chunk
        self._hang = False
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._stopped = threading.Event()
        self.requests = 0
        self.connections = 0
        self._deadline = time.monotonic() + lifetime
        self._listener: socket.socket | None = None
        self.port = port
        self._listen()
        self._spawn(self._accept_loop)
        self._spawn(self._watchdog)

    # --- control --------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def hang(self) -> None:
        """Accept connections but forward nothing (a network that swallows packets)."""
        self._hang = True
        self._drop_connections()

    def refuse(self) -> None:
        """Close the listening port (and open connections): ECONNREFUSED from now on."""
        with self._lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        self._drop_connections()

    def restore(self) -> None:
        """Pass traffic through again, without delay, on the same port."""
        self.delay = self.request_delay = 0.0
        self._hang = False
        if self._listener is None:
            self._listen()

    def stop(self) -> None:
        self._stopped.set()
        self.refuse()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(5)

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- internals ------------------------------------------------------------------------

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener

    def _watchdog(self) -> None:
        while not self._stopped.wait(0.5):
            if time.monotonic() > self._deadline:
                self.stop()
                return

    def _drop_connections(self) -> None:
        with self._lock:
            conns, self._conns = set(self._conns), set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            with self._lock:
                listener = self._listener
            if listener is None:
                time.sleep(0.05)
                continue
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                continue  # closed by refuse(); restore() opens a new one
            with self._lock:
                full = len(self._conns) >= self.max_connections * 2
            if full:
                client.close()
                continue
            self.connections += 1
            self._spawn(self._serve, client)

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        with self._lock:
            self._conns |= {client, upstream}
        pair = {client: upstream, upstream: client}
        try:
            while not self._stopped.is_set():
                readable, _, _ = select.select(list(pair), [], [], 0.1)
                for sock in readable:
                    data = sock.recv(CHUNK)
                    if not data:
                        return
                    if self._hang:
                        continue  # swallowed
                    to_client = sock is upstream
                    wait = self.delay if to_client else self.request_delay
                    if not to_client and data[:5] in (b"POST ", b"GET /", b"PUT /"):
                        self.requests += 1
                    if wait and self._stopped.wait(wait):
                        return
                    pair[sock].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for sock in pair:
                with self._lock:
                    self._conns.discard(sock)
                with contextlib.suppress(OSError):
                    sock.close()
