"""Configuration: YAML with `${VAR}` from the environment, validated by pydantic.

A bad config is refused with every error listed, each naming its key path
(`rules[2].query: unbalanced quote at column 14`). Values are never echoed in
errors, since they may hold secrets.
"""

from __future__ import annotations

import os
import re
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    SecretStr,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from service.adapters.opml import OpmlError, load_opml
from service.config_env import EnvError, interpolate
from service.core.delivery_policy import DEFAULT_STEPS, Jitter, RetrySchedule
from service.core.durations import parse_duration
from service.core.entries import feed_id_for
from service.core.rules import STEM_LANGUAGES, QueryError, validate_query
from service.core.signing import SecretError, secret_bytes


def _duration(value: Any) -> Any:
    """Seconds as a number, or a string such as `90s`, `5m`, `2h`, `3d`."""
    if isinstance(value, str):
        try:
            return parse_duration(value)
        except ValueError:
            raise ValueError("a duration is a number of seconds or like 30s, 5m, 2h, 3d") from None
    return value


Duration = Annotated[float, BeforeValidator(_duration), Field(ge=0)]
PositiveDuration = Annotated[float, BeforeValidator(_duration), Field(gt=0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HttpSettings(_Model):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)


class PollingSettings(_Model):
    """How feeds are polled; docs/scheduling.md explains each knob and its default."""

    # The check interval of a feed whose publishing rate is not known yet.
    interval: Duration = Field(300.0, gt=0)
    # Bounds of the adaptive interval; a feed may set its own.
    min_interval: Duration = Field(300.0, gt=0)
    max_interval: Duration = Field(6 * 3600.0, gt=0)
    max_error_backoff: Duration = Field(24 * 3600.0, gt=0)
    unconditional_every: Duration = Field(24 * 3600.0, gt=0)
    tick: Duration = Field(1.0, gt=0)
    batch: int = Field(1000, ge=1)
    # Backpressure: the tick never lets the fetch queue grow past this many jobs.
    max_queue: int = Field(5000, ge=1)
    # Feeds fetched (concurrently) by one fetch job: arq's per-job cost is shared.
    feeds_per_job: int = Field(8, ge=1, le=50)
    # Politeness, shared by all workers: fetches in flight and seconds between starts.
    per_host_concurrency: int = Field(2, ge=1)
    per_host_spacing: Duration = 1.0
    connect_timeout: Duration = 10.0
    total_timeout: Duration = 30.0
    max_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    user_agent: str = "feedwatch/0.1 (+https://github.com/feedwatch/feedwatch)"
    seen_per_feed: int = Field(5000, ge=100)

    @model_validator(mode="before")
    @classmethod
    def _min_follows_interval(cls, data: Any) -> Any:
        """A default interval below the default minimum lowers the minimum with it."""
        if isinstance(data, dict) and "interval" in data and "min_interval" not in data:
            try:
                interval = float(_duration(data["interval"]))
            except (TypeError, ValueError):
                return data
            if 0 < interval < 300.0:
                return {**data, "min_interval": interval}
        return data

    @model_validator(mode="after")
    def _bounds(self) -> PollingSettings:
        if self.max_interval < self.min_interval:
            raise ValueError("max_interval must not be below min_interval")
        return self


class FeedSettings(_Model):
    url: str
    name: str | None = None
    tags: tuple[str, ...] = ()
    # A fixed check interval; without it the interval adapts to the publish rate.
    interval: Duration | None = Field(None, gt=0)
    min_interval: Duration | None = Field(None, gt=0)
    max_interval: Duration | None = Field(None, gt=0)
    backfill: int = Field(0, ge=0, le=1000)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @property
    def feed_id(self) -> str:
        return feed_id_for(self.url)


class OpmlSource(_Model):
    """`- opml: FILE` (relative to the config file): every feed of an OPML list.

    Its feeds are tagged with their OPML folders plus this entry's own `tags`.
    """

    opml: str
    tags: tuple[str, ...] = ()
    backfill: int = Field(0, ge=0, le=1000)
    min_interval: Duration | None = Field(None, gt=0)
    max_interval: Duration | None = Field(None, gt=0)


def _feed_kind(value: Any) -> str:
    return "opml" if isinstance(value, dict) and "opml" in value else "feed"


FeedSource = Annotated[
    Annotated[FeedSettings, Tag("feed")] | Annotated[OpmlSource, Tag("opml")],
    Discriminator(_feed_kind),
]

DestinationType = Literal["console", "slack", "webhook", "discord", "teams"]
_NEEDS_URL = {"slack", "webhook", "discord", "teams"}


# Sends per second, burst, and the flood guard (alerts per window before the rest are
# folded into one digest) that each type gets unless its destination says otherwise.
# Slack allows about 1 message per second per webhook; Discord 30 per minute per channel.
TYPE_DEFAULTS: dict[str, tuple[float, int, int]] = {
    "slack": (1.0, 1, 20),
    "discord": (0.5, 5, 20),
    "teams": (1.0, 2, 20),
    "webhook": (0.0, 1, 0),
    "console": (0.0, 1, 0),
}


class DestinationSettings(_Model):
    type: DestinationType
    url: SecretStr | None = None
    secret: tuple[SecretStr, ...] = ()
    timeout: Duration | None = None
    rate: float | None = Field(None, ge=0, description="sends per second; 0: no limit")
    burst: int | None = Field(None, ge=1)
    flood_max: int | None = Field(None, ge=0, description="alerts per window; 0: no guard")
    flood_window: Duration = Field(300.0, gt=0)

    @property
    def limits(self) -> tuple[float, int, int]:
        """(sends per second, burst, flood max) with the type's defaults filled in."""
        rate, burst, flood = TYPE_DEFAULTS[self.type]
        return (
            rate if self.rate is None else self.rate,
            burst if self.burst is None else self.burst,
            flood if self.flood_max is None else self.flood_max,
        )

    @field_validator("secret", mode="before")
    @classmethod
    def _split_secrets(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(value.split())
        return value

    @model_validator(mode="after")
    def _check(self) -> DestinationSettings:
        url = self.url.get_secret_value() if self.url else ""
        if url and not re.match(r"^https?://[^\s/]+", url):
            raise ValueError("url must be an http:// or https:// URL")
        if self.type == "webhook" and url and not self.secret:
            raise ValueError("a webhook destination needs a secret (whsec_...)")
        for secret in self.secret:
            try:
                secret_bytes(secret.get_secret_value())
            except SecretError as exc:
                raise ValueError(str(exc)) from None
        if self.type != "webhook" and self.secret:
            raise ValueError(f"secret is only used by webhook destinations, not {self.type}")
        return self

    @property
    def enabled(self) -> bool:
        """A destination whose URL came out empty (`${VAR:-}` unset) is off."""
        return self.type not in _NEEDS_URL or bool(self.url and self.url.get_secret_value())


class RuleSettings(_Model):
    name: str = Field(min_length=1, pattern=r"^[\w.-]+$")
    # stem and language come before query: pydantic validates in this order, and
    # the query's check needs them.
    stem: bool = False
    language: str = "english"
    query: str
    notify: tuple[str, ...] = Field(min_length=1)
    feeds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in STEM_LANGUAGES:
            raise ValueError(
                f"no Snowball stemmer for {value!r}; one of: " + ", ".join(sorted(STEM_LANGUAGES))
            )
        return value

    @field_validator("query")
    @classmethod
    def _query(cls, value: str, info: ValidationInfo) -> str:
        try:
            validate_query(
                value,
                stem=bool(info.data.get("stem", False)),
                language=str(info.data.get("language", "english")),
            )
        except QueryError as exc:
            raise ValueError(str(exc)) from None
        return value


class StorySettings(_Model):
    window: Duration = Field(72 * 3600.0, gt=0)
    capacity: int = Field(100_000, ge=1000)  # stories expected per window: sizes the index


class DeliverySettings(_Model):
    timeout: Duration = 15.0
    hold: Duration = 3.0
    retry_schedule: tuple[PositiveDuration, ...] = Field(DEFAULT_STEPS, min_length=1)
    retry_jitter: Literal["full", "equal", "none"] = "full"
    rate_limit_floor: Duration = 1.0

    @property
    def schedule(self) -> RetrySchedule:
        return RetrySchedule(self.retry_schedule, Jitter(self.retry_jitter), self.rate_limit_floor)


class Settings(_Model):
    redis_url: str | None = None
    data_dir: str | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    http: HttpSettings = HttpSettings()
    polling: PollingSettings = PollingSettings()
    stories: StorySettings = StorySettings()
    delivery: DeliverySettings = DeliverySettings()
    feeds: tuple[FeedSource, ...] = ()
    destinations: dict[str, DestinationSettings] = {}
    rules: tuple[RuleSettings, ...] = ()

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not re.match(r"^(redis|rediss|unix)://", value):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @property
    def feed_list(self) -> tuple[FeedSettings, ...]:
        return tuple(f for f in self.feeds if isinstance(f, FeedSettings))


class ConfigError(Exception):
    """Every problem found in a config, each naming its key path."""

    def __init__(self, source: str, errors: list[str]) -> None:
        self.source = source
        self.errors = errors
        super().__init__(f"{source}: {len(errors)} error(s)\n" + "\n".join(errors))


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("feed", "opml") and out.endswith("]"):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _pydantic_errors(exc: ValidationError) -> list[str]:
    errors: list[str] = []
    for err in exc.errors(include_input=False, include_url=False):
        message = str(err["msg"]).removeprefix("Value error, ")
        errors.append(f"{_loc(tuple(err['loc']))}: {message}")
    return list(dict.fromkeys(errors))


@dataclass(frozen=True, slots=True)
class _FeedRefs:
    """What the cross-checks read of a plain feed (from raw YAML when the config is invalid)."""

    url: object
    name: object
    tags: Sequence[object] = ()


@dataclass(frozen=True, slots=True)
class _RuleRefs:
    """What the cross-checks read of a rule (from raw YAML when the config is invalid)."""

    name: object
    notify: Sequence[object]
    feeds: Sequence[object]
    tags: Sequence[object] = ()


def _feed_checks(feeds: Sequence[object]) -> list[str]:
    """Duplicates among the feeds as written (indexes are the config's own)."""
    errors: list[str] = []
    names: dict[str, int] = {}
    urls: dict[str, int] = {}
    for i, feed in enumerate(feeds):
        if isinstance(feed, (FeedSettings, _FeedRefs)):
            if isinstance(feed.url, str):
                if feed.url in urls:
                    errors.append(f"feeds[{i}].url: the same URL as feeds[{urls[feed.url]}]")
                urls.setdefault(feed.url, i)
            if isinstance(feed.name, str) and feed.name:
                if feed.name in names:
                    errors.append(f"feeds[{i}].name: the same name as feeds[{names[feed.name]}]")
                names.setdefault(feed.name, i)
    return errors


def _rule_checks(
    rules: Sequence[RuleSettings | _RuleRefs | None],
    destinations: Container[str],
    feeds: Sequence[FeedSettings | _FeedRefs] | None,
) -> list[str]:
    """Rules' references: to destinations, and to `feeds` once OPML lists are
    expanded (None: the feeds are not known, so those references are not checked)."""
    errors: list[str] = []
    known: set[object] | None = None
    tags: set[str] = set()
    if feeds is not None:
        known = {f.url for f in feeds} | {f.name for f in feeds if f.name}
        tags = {t.lower() for f in feeds for t in f.tags if isinstance(t, str)}
    seen_rules: dict[str, int] = {}
    for i, rule in enumerate(rules):
        if rule is None:
            continue
        if isinstance(rule.name, str):
            if rule.name in seen_rules:
                errors.append(f"rules[{i}].name: the same name as rules[{seen_rules[rule.name]}]")
            seen_rules.setdefault(rule.name, i)
        for j, dest in enumerate(rule.notify):
            if isinstance(dest, str) and dest not in destinations:
                errors.append(f"rules[{i}].notify[{j}]: unknown destination '{dest}'")
        if known is not None:
            for j, feed_ref in enumerate(rule.feeds):
                if isinstance(feed_ref, str) and feed_ref not in known:
                    errors.append(f"rules[{i}].feeds[{j}]: no feed has this name or URL")
            # A rule scoped to a tag no feed has would never fire.
            for j, tag in enumerate(rule.tags):
                if isinstance(tag, str) and tag.lower() not in tags:
                    errors.append(f"rules[{i}].tags[{j}]: no feed has this tag")
    return errors


def _listed(value: object) -> Sequence[object]:
    """A YAML value that should be a list, or no items (pydantic reports it)."""
    return value if isinstance(value, list) else []


def _raw_cross_checks(raw: Mapping[str, Any]) -> list[str]:
    """The cross-checks on a config that pydantic refused, so that one run lists
    a bad reference beside the other errors (each part is read as far as its
    YAML allows; what pydantic reported is not reported again)."""
    raw_feeds = _listed(raw.get("feeds"))
    # Each feed as written (None where it is not a plain feed), indexes kept.
    plain = [
        _FeedRefs(f.get("url"), f.get("name"), _listed(f.get("tags")))
        if isinstance(f, dict) and "opml" not in f
        else None
        for f in raw_feeds
    ]
    feeds = [f for f in plain if f is not None]
    has_opml = any(isinstance(f, dict) and "opml" in f for f in raw_feeds)
    destinations = raw.get("destinations")
    names = set(destinations) if isinstance(destinations, dict) else set()
    rules = [
        _RuleRefs(
            r.get("name"), _listed(r.get("notify")), _listed(r.get("feeds")), _listed(r.get("tags"))
        )
        if isinstance(r, dict)
        else None
        for r in _listed(raw.get("rules"))
    ]
    return _feed_checks(plain) + _rule_checks(rules, names, None if has_opml else feeds)


def _expand_opml(settings: Settings, base_dir: Path) -> tuple[Settings, list[str]]:
    """Settings whose `feeds` are plain feeds only, each OPML entry replaced by its feeds.

    A URL listed both plainly and in an OPML file (or in two files) is one feed:
    the first listing keeps its settings and gains the other's tags.
    """
    if not any(isinstance(f, OpmlSource) for f in settings.feeds):
        return settings, []
    errors: list[str] = []
    merged: dict[str, FeedSettings] = {
        f.url: f for f in settings.feeds if isinstance(f, FeedSettings)
    }
    order: list[str] = []
    for i, source in enumerate(settings.feeds):
        if isinstance(source, FeedSettings):
            order.append(source.url)
            continue
        try:
            listed = load_opml(base_dir / source.opml)
        except OpmlError as exc:
            errors.append(f"feeds[{i}].opml: {exc}")
            continue
        for item in listed:
            tags = tuple(dict.fromkeys((*item.tags, *source.tags)))
            known = merged.get(item.url)
            if known is not None:
                union = tuple(dict.fromkeys((*known.tags, *tags)))
                merged[item.url] = known.model_copy(update={"tags": union})
                continue
            merged[item.url] = FeedSettings(
                url=item.url,
                tags=tags,
                backfill=source.backfill,
                min_interval=source.min_interval,
                max_interval=source.max_interval,
            )
            order.append(item.url)
    feeds = tuple(merged[url] for url in dict.fromkeys(order))
    return settings.model_copy(update={"feeds": feeds}), errors


def parse_settings(
    text: str, env: Mapping[str, str], source: str = "config", base_dir: Path | None = None
) -> Settings:
    """`base_dir` is where OPML files are looked up (the config file's directory)."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(source, [f"(yaml){where}: {problem}"]) from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(source, ["(top level): the config must be a mapping of keys"])
    env_errors: list[EnvError] = []
    raw = interpolate(raw, env, "", env_errors)
    errors = [str(e) for e in env_errors]
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        found = errors + _pydantic_errors(exc) + _raw_cross_checks(raw)
        raise ConfigError(source, list(dict.fromkeys(found))) from None
    errors += _feed_checks(settings.feeds)
    settings, opml_errors = _expand_opml(settings, base_dir or Path.cwd())
    errors += opml_errors
    errors += _rule_checks(settings.rules, settings.destinations, settings.feed_list)
    if errors:
        raise ConfigError(source, errors)
    return settings


def load_settings(path: Path, env: Mapping[str, str] | None = None) -> Settings:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), [f"(file): cannot read: {exc.strerror}"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            str(path), [f"(file): not UTF-8 text: byte {exc.start} cannot be read"]
        ) from None
    return parse_settings(text, os.environ if env is None else env, str(path), path.parent)
