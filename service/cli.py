"""The `feedwatch` command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from service.adapters.embedded_redis import EmbeddedRedis, EmbeddedRedisError, default_data_dir
from service.core.durations import parse_duration
from service.log_setup import setup_logging
from service.pipeline.delivering import replay_dead_letters
from service.rules_cli import rules_test_command
from service.runtime import Roles, Service, serve
from service.settings import ConfigError, Settings, load_settings
from service.wiring import build_pipeline

log = logging.getLogger("feedwatch")

DEFAULT_CONFIG = "config/feedwatch.yaml"


def _load(path: str) -> Settings:
    try:
        return load_settings(Path(path))
    except ConfigError as exc:
        print(
            f"feedwatch: the config {exc.source} has {len(exc.errors)} error(s):", file=sys.stderr
        )
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        raise SystemExit(2) from None


def _redis_url(args: argparse.Namespace, settings: Settings) -> str | None:
    return args.redis_url or settings.redis_url or os.environ.get("REDIS_URL") or None


def _announce(base: str) -> None:
    print(
        f"feedwatch is running: health {base}/healthz · ready {base}/readyz · "
        f"metrics {base}/metrics",
        flush=True,
    )


async def _run_service(settings: Settings, url: str, roles: Roles, config: str) -> None:
    service = Service(settings, url, roles=roles, config_path=Path(config), on_ready=_announce)
    await serve(service)


def cmd_run(args: argparse.Namespace) -> int:
    settings = _load(args.config)
    setup_logging(args.log_level or settings.log_level)
    url = _redis_url(args, settings)
    if url:
        asyncio.run(_run_service(settings, url, Roles(), args.config))
        return 0
    data_dir = Path(args.data_dir or settings.data_dir or default_data_dir())
    try:
        with EmbeddedRedis(data_dir) as server:
            log.info(
                "no Redis URL configured: using an embedded redis-server",
                extra={"data_dir": str(data_dir)},
            )
            asyncio.run(_run_service(settings, server.url, Roles(), args.config))
    except EmbeddedRedisError as exc:
        print(f"feedwatch: {exc}", file=sys.stderr)
        return 1
    return 0


def _external_only(args: argparse.Namespace, settings: Settings, command: str) -> str:
    url = _redis_url(args, settings)
    if not url:
        print(
            f"feedwatch {command}: needs a shared Redis (REDIS_URL or redis_url in the "
            "config); the embedded one is only for `feedwatch run`",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return url


def cmd_worker(args: argparse.Namespace) -> int:
    settings = _load(args.config)
    setup_logging(args.log_level or settings.log_level)
    url = _external_only(args, settings, "worker")
    queues = tuple(q.strip() for q in args.queues.split(",") if q.strip())
    unknown = set(queues) - {"fetch", "process", "deliver"}
    if unknown:
        print(f"feedwatch worker: unknown queue(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    roles = Roles(api=args.metrics_port is not None, scheduler=not args.no_scheduler, queues=queues)
    if args.metrics_port is not None:
        settings = settings.model_copy(
            update={"http": settings.http.model_copy(update={"port": args.metrics_port})}
        )
    asyncio.run(_run_service(settings, url, roles, args.config))
    return 0


def cmd_api(args: argparse.Namespace) -> int:
    settings = _load(args.config)
    setup_logging(args.log_level or settings.log_level)
    url = _external_only(args, settings, "api")
    asyncio.run(
        _run_service(settings, url, Roles(api=True, scheduler=False, queues=()), args.config)
    )
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    settings = _load(args.config)
    enabled = [n for n, d in settings.destinations.items() if d.enabled]
    print(
        f"{args.config}: OK — {len(settings.feed_list)} feeds, {len(settings.rules)} rules, "
        f"{len(enabled)} of {len(settings.destinations)} destinations enabled"
    )
    return 0


def _parse_since(value: str | None) -> float | None:
    """`2h` (that long ago) or an ISO time, UTC unless it names its offset."""
    if not value:
        return None
    try:
        return time.time() - parse_duration(value)
    except ValueError:
        moment = datetime.fromisoformat(value)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


async def _deliveries(args: argparse.Namespace, settings: Settings, url: str) -> int:

    pipeline, resources = build_pipeline(settings, url)
    try:
        records = await pipeline.deliveries.dead_letters(_parse_since(args.since))
        if args.destination:
            records = [r for r in records if r.destination == args.destination]
        if args.action == "list":
            for r in records:
                when = datetime.fromtimestamp(r.dead_at or 0, tz=UTC).isoformat()
                print(
                    f"{r.delivery_id}  {r.destination}  story={r.story_id}  {when}  "
                    f"attempts={r.attempts}  reason={r.last_error}"
                )
            print(f"{len(records)} dead letter(s)")
            return 0
        result = await replay_dead_letters(
            pipeline, destination=args.destination, since=_parse_since(args.since)
        )
        for name in result.unconfigured:
            print(f"destination {name} is not in the config: its dead letters stay as they are")
        for name in result.re_enabled:
            print(f"destination {name} re-enabled")
        print(f"replayed {result.replayed} dead letter(s)")
        return 0
    finally:
        await resources.close()


def cmd_deliveries(args: argparse.Namespace) -> int:
    settings = _load(args.config)
    setup_logging(args.log_level or "warning")
    url = _redis_url(args, settings)
    if url:
        return asyncio.run(_deliveries(args, settings, url))
    data_dir = Path(args.data_dir or settings.data_dir or default_data_dir())
    embedded = EmbeddedRedis(data_dir)
    if embedded.in_use():
        # A `feedwatch run` serves this data directory: its Redis holds the dead letters.
        return asyncio.run(_deliveries(args, settings, embedded.url))
    try:
        with embedded as server:
            return asyncio.run(_deliveries(args, settings, server.url))
    except EmbeddedRedisError as exc:
        print(f"feedwatch deliveries: {exc}", file=sys.stderr)
        return 1


def cmd_rules(args: argparse.Namespace, rest: Sequence[str]) -> int:

    return rules_test_command(list(rest))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="feedwatch", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("-c", "--config", default=os.environ.get("FEEDWATCH_CONFIG", DEFAULT_CONFIG))
        p.add_argument("--redis-url", help="overrides redis_url and REDIS_URL")
        p.add_argument("--log-level", choices=["debug", "info", "warning", "error"])

    run = sub.add_parser("run", help="everything in one process (embedded Redis by default)")
    common(run)
    run.add_argument("--data-dir", help="where the embedded Redis keeps its data")
    run.set_defaults(func=cmd_run)

    worker = sub.add_parser("worker", help="an arq worker (fetch, process, deliver, scheduler)")
    common(worker)
    worker.add_argument("--queues", default="fetch,process,deliver")
    worker.add_argument("--no-scheduler", action="store_true")
    worker.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve /healthz, /readyz and /metrics on this port",
    )
    worker.set_defaults(func=cmd_worker)

    api = sub.add_parser("api", help="HTTP only: health, metrics, admin API")
    common(api)
    api.set_defaults(func=cmd_api)

    check = sub.add_parser("check-config", help="validate a config file and exit")
    check.add_argument("config", nargs="?", default=DEFAULT_CONFIG)
    check.set_defaults(func=cmd_check_config)

    deliveries = sub.add_parser("deliveries", help="list or replay dead letters")
    deliveries.add_argument("action", choices=["list", "replay"])
    common(deliveries)
    deliveries.add_argument("--data-dir")
    deliveries.add_argument("--destination")
    deliveries.add_argument("--since", help="e.g. 2h, 3d or an ISO time (UTC)")
    deliveries.set_defaults(func=cmd_deliveries)

    rules = sub.add_parser(
        "rules", help="try a rule query: feedwatch rules test QUERY ...", add_help=False
    )
    rules.set_defaults(func=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["rules"]:
        return cmd_rules(argparse.Namespace(), args_list[1:])
    args = build_parser().parse_args(args_list)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
