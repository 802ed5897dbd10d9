"""The Dockerfile's steps without Docker: as close to `docker build && docker run`
as this machine allows (it has no container engine).

It builds the image's venv exactly as the build stage does (the lock with
--require-hashes, wheels only, then feedwatch with --no-deps), runs `pip check`
on it, then starts the `api`, `worker` and `run` roles from that venv with only the
environment the image sets (ENV lines of the final stage, read from the
Dockerfile) plus REDIS_URL, against a throwaway redis-server and a config
without feeds (the image's own config is only checked: its feeds are on the
internet); it runs the
image's HEALTHCHECK command verbatim, reads /readyz and /metrics, and stops
each role with SIGTERM, which must exit 0.

Not covered: the base image itself, the non-root user and the read-only root
(the Kubernetes manifests and deploy/validate_manifests.py cover those).
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()


LOCAL_CONFIG = """\
redis_url: ${REDIS_URL:-}
http: {host: "${FEEDWATCH_HTTP_HOST:-127.0.0.1}", port: "${FEEDWATCH_HTTP_PORT:-8080}"}
feeds: []
destinations: {console: {type: console}}
rules: [{name: nato, query: NATO, notify: [console]}]
"""


def say(message: str) -> None:
    print(f"rehearse-image: {message}", flush=True)


def run(*args: str | Path, **kwargs: object) -> None:
    subprocess.run([str(a) for a in args], check=True, **kwargs)  # type: ignore[call-overload]


def final_stage_env() -> dict[str, str]:
    final = DOCKERFILE.split("\nFROM ")[-1]
    joined = final.replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in joined.splitlines():
        if line.startswith("ENV "):
            for key, value in re.findall(r"(\w+)=(\S+)", line[4:]):
                env[key] = value
    return env


def healthcheck_command() -> list[str]:
    joined = DOCKERFILE.replace("\\\n", " ")
    match = re.search(r"^HEALTHCHECK .*?CMD (\[.*\])\s*$", joined, re.MULTILINE)
    assert match, "no HEALTHCHECK CMD in the Dockerfile"
    command: list[str] = json.loads(match.group(1))
    return command


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                return int(resp.status)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="feedwatch-image-"))
    venv = work / "opt/feedwatch"
    redis_proc: subprocess.Popen[bytes] | None = None
    try:
        say("build stage: venv, the lock with hashes (wheels only), then feedwatch")
        run(sys.executable, "-m", "venv", venv)
        pip: list[str | Path] = [venv / "bin/pip", "install", "--quiet", "--no-cache-dir"]
        run(*pip, "--require-hashes", "--only-binary=:all:", "--no-deps", "-r",
            ROOT / "requirements.lock")  # fmt: skip
        src = work / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(ROOT / name, src / name)
        for name in ("service", "workers"):
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        run(*pip, "--no-deps", src)
        run(venv / "bin/pip", "check")
        (work / "etc").mkdir()
        # The image's config is checked; the roles run on one without feeds, so
        # that nothing here reaches for the internet.
        run(venv / "bin/feedwatch", "check-config", ROOT / "config/feedwatch.yaml",
            env={"PATH": f"{venv / 'bin'}:/usr/bin:/bin"})  # fmt: skip
        (work / "etc/feedwatch.yaml").write_text(LOCAL_CONFIG)
        state = work / "state"
        state.mkdir()

        redis_bin = shutil.which("redis-server", path=str(Path(sys.executable).parent))
        assert redis_bin, "redis-server not found next to this python (feedwatch[embedded])"
        sock = work / "redis.sock"
        redis_proc = subprocess.Popen(
            [redis_bin, "--port", "0", "--unixsocket", str(sock), "--save", "",
             "--appendonly", "no", "--dir", str(work)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(100):
            if sock.exists():
                break
            time.sleep(0.05)

        image_env = final_stage_env()
        roles = (("api", ["api"]), ("worker", ["worker", "--metrics-port"]), ("run", ["run"]))
        for role, args in roles:
            port = free_port()
            env = dict(image_env)
            env["PATH"] = env["PATH"].replace("/opt/feedwatch/bin", str(venv / "bin")).replace(
                "$PATH", "/usr/bin:/bin"
            )
            env.update(
                FEEDWATCH_CONFIG=str(work / "etc/feedwatch.yaml"),
                FEEDWATCH_HTTP_HOST="127.0.0.1",  # the image listens on 0.0.0.0
                FEEDWATCH_HTTP_PORT=str(port),
                XDG_STATE_HOME=str(state),
                REDIS_URL=f"unix://{sock}",
            )
            argv = [str(venv / "bin/feedwatch"), *args] + ([str(port)] if role == "worker" else [])
            proc = subprocess.Popen(argv, env=env, cwd=state, stderr=subprocess.PIPE)
            try:
                base = f"http://127.0.0.1:{port}"
                assert wait_http(f"{base}/healthz") == 200
                health = healthcheck_command()
                health[0] = str(venv / "bin" / health[0])
                run(*health, env=env)
                assert wait_http(f"{base}/readyz") == 200
                with urllib.request.urlopen(f"{base}/metrics", timeout=5) as resp:
                    assert b"feedwatch_build_info" in resp.read()
                say(f"{role}: healthz, the image's HEALTHCHECK, readyz and metrics answer")
            finally:
                proc.send_signal(signal.SIGTERM)
                _, err = proc.communicate(timeout=40)
            if proc.returncode != 0:
                say(f"{role} exited {proc.returncode} on SIGTERM:\n{err.decode()}")
                return 1
            say(f"{role}: stopped cleanly on SIGTERM")
        say("OK")
        return 0
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
