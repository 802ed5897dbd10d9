"""Text that fits a platform: cleaning, per-markup escaping, highlights, truncation.

Every formatter renders user text through `render`, which guarantees three things
whatever the input:

- the result fits `limit`, measured in UTF-16 code units (what JavaScript's
  `length` counts; never fewer than Python's code points), so one budget is safe
  for Slack, Discord and Teams alike;
- a cut falls between grapheme clusters (an emoji with its skin tone or ZWJ
  sequence, a flag, a letter with its combining accents stay whole), preferably
  at a word boundary, and never inside an escape such as `&amp;` or `\\*`;
- bold markers around highlighted spans stay balanced: a highlight that is cut
  is closed before the ellipsis.

Clusters are approximated with the standard library (combining marks, ZWJ,
variation selectors, emoji modifiers, tags, regional-indicator pairs, Hangul
jamo); full UAX #29 segmentation is not needed to keep a cut whole.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence

ELLIPSIS = "…"

Span = tuple[int, int]
Escaper = Callable[[Sequence[str]], list[str]]

_WORD_BACKOFF = 30  # look this many clusters back for a space to cut at
HIGHLIGHT_WINDOW = 20_000  # no format shows more of a snippet than this
_ZWJ = "\u200d"


def units(text: str) -> int:
    """Length in UTF-16 code units: astral characters (most emoji) count twice."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


_UNCLEAN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _replace_unclean(match: re.Match[str]) -> str:
    # A lone surrogate cannot be encoded as UTF-8; controls (terminal escapes, CR)
    # and bidi overrides are dropped.
    return "\ufffd" if "\ud800" <= match.group() <= "\udfff" else ""


def clean(text: str) -> str:
    """User text safe to serialise and show: no controls, no lone surrogates."""
    return _UNCLEAN.sub(_replace_unclean, text)


def one_line(text: str) -> str:
    """`clean`, with every run of whitespace (line breaks too) made one space."""
    return " ".join(clean(text).split())


def _is_extend(ch: str) -> bool:
    code = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or ch == _ZWJ
        or 0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
        or 0xE0100 <= code <= 0xE01EF
    )


def _is_regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _is_jamo_tail(ch: str) -> bool:
    return 0x1160 <= ord(ch) <= 0x11FF


def _is_jamo_or_syllable(ch: str) -> bool:
    code = ord(ch)
    return 0x1100 <= code <= 0x11FF or 0xAC00 <= code <= 0xD7A3


def iter_clusters(text: str) -> Iterator[Span]:
    """Approximate grapheme clusters of `text`, as (start, end) spans, lazily."""
    if not text:
        return
    start = 0
    regional_run = 0
    for i in range(1, len(text)):
        ch, prev = text[i], text[i - 1]
        regional_run = regional_run + 1 if _is_regional(prev) else 0
        joins = (
            _is_extend(ch)
            or prev == _ZWJ
            or (_is_regional(ch) and regional_run % 2 == 1)
            or (_is_jamo_tail(ch) and _is_jamo_or_syllable(prev))
        )
        if not joins:
            yield (start, i)
            start = i
    yield (start, len(text))


def clusters(text: str) -> list[Span]:
    return list(iter_clusters(text))


# Escapers: one rendered string per cluster, so a cut can never split an escape.


def escape_plain(parts: Sequence[str]) -> list[str]:
    return [clean(p) for p in parts]


def escape_slack(parts: Sequence[str]) -> list[str]:
    """Slack mrkdwn: only `&`, `<` and `>` are control characters."""
    return [clean(p).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for p in parts]


_DISCORD_ALWAYS = frozenset("\\*_~`|<>[]")
_DISCORD_LINE_START = frozenset("#->+")


_AUTOLINK = re.compile(r"https?://[^\s<>]+")


def escape_discord(parts: Sequence[str]) -> list[str]:
    """Discord markdown: backslash before every character that can start markup.

    `#` (headings), `-`/`+` (lists) and `>` (quotes) only matter at the start of a
    line, and the `.` of `2024. ` only after digits there (ordered lists). Bare
    URLs are left alone: Discord links them before reading markdown, and a
    backslash would become part of the link.
    """
    cleaned = [clean(p) for p in parts]
    joined = "".join(cleaned)
    in_url = bytearray(len(joined))
    for match in _AUTOLINK.finditer(joined):
        in_url[match.start() : match.end()] = b"\x01" * (match.end() - match.start())
    out: list[str] = []
    at = 0
    line_head = ""  # the current line so far, while it holds only spaces and digits
    line_plain = True
    for text in cleaned:
        rendered = []
        for ch in text:
            url = in_url[at]
            at += 1
            if ch == "\n":
                rendered.append(ch)
                line_head, line_plain = "", True
                continue
            head = line_head.strip(" \t") if line_plain else "x"
            if url:
                rendered.append(ch)
            elif ch in _DISCORD_ALWAYS or (not head and ch in _DISCORD_LINE_START):
                rendered.append("\\" + ch)
            elif ch == "." and head.isdigit():
                rendered.append("\\.")
            else:
                rendered.append(ch)
            if line_plain:
                line_head += ch
                line_plain = ch in " \t" or ch.isdigit()
        out.append("".join(rendered))
    return out


def normalise_spans(spans: Iterable[Span], text: str) -> list[Span]:
    """Sorted, merged, clipped spans with surrounding whitespace trimmed."""
    clipped: list[Span] = []
    for start, end in sorted(spans):
        start, end = max(0, start), min(len(text), end)
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start >= end:
            continue
        if clipped and start <= clipped[-1][1]:
            clipped[-1] = (clipped[-1][0], max(clipped[-1][1], end))
        else:
            clipped.append((start, end))
    return clipped


def find_highlights(
    text: str, terms: Iterable[str], *, window: int = HIGHLIGHT_WINDOW
) -> tuple[Span, ...]:
    """Where the matched terms occur in `text`, as whole words, ignoring case.

    A stand-in for spans reported by the rule engine: terms that the matcher found
    only after folding (typographic quotes, NFKC) are simply not highlighted.
    """
    found: list[Span] = []
    for term in terms:
        words = term.split()
        if not words:
            continue
        pattern = r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)"
        found.extend(m.span() for m in re.finditer(pattern, text[:window], re.IGNORECASE))
    return tuple(normalise_spans(found, text))


def _assemble(items: Sequence[tuple[str, bool]], bold: tuple[str, str]) -> str:
    out: list[str] = []
    in_bold = False
    for rendered, highlighted in items:
        if highlighted and not in_bold:
            out.append(bold[0])
        elif in_bold and not highlighted:
            out.append(bold[1])
        in_bold = highlighted
        out.append(rendered)
    if in_bold:
        out.append(bold[1])
    return "".join(out)


def render(
    text: str,
    limit: int,
    *,
    escaper: Escaper = escape_plain,
    highlights: Iterable[Span] = (),
    bold: tuple[str, str] = ("", ""),
    ellipsis: str = ELLIPSIS,
) -> str:
    """`text` escaped for a markup, highlights in `bold`, cut to `limit` units."""
    use_bold = bold != ("", "")
    if units(clean(text)) <= limit:  # it may fit whole: render it in a few pieces
        marks = normalise_spans(highlights, text) if use_bold else []
        whole = _assemble(_pieces(text, marks, escaper), bold)
        if units(whole) <= limit:
            return whole
    spans: list[Span] = []
    seen = 0  # escaping only lengthens text: past `limit` clean units the rest is cut anyway
    for span in iter_clusters(text):
        spans.append(span)
        seen += units(clean(text[span[0] : span[1]]))
        if seen > limit:
            break
    cut_short = bool(spans) and spans[-1][1] < len(text)
    rendered = escaper([text[a:b] for a, b in spans])
    end = spans[-1][1] if spans else 0
    shown = (h for h in highlights if h[0] < end)
    marks = normalise_spans(shown, text) if use_bold else []
    flags = _highlight_flags(spans, marks)
    items = [(r, f) for r, f in zip(rendered, flags, strict=True) if r]
    whole = _assemble(items, bold)
    if not cut_short and units(whole) <= limit:
        return whole
    budget = limit - units(ellipsis)
    if budget < 0:
        return ""
    lo, hi = 0, len(items)  # the largest prefix that fits: assembly length grows with it
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if units(_assemble(items[:mid], bold)) <= budget:
            lo = mid
        else:
            hi = mid - 1
    keep = lo
    for k in range(keep, max(0, keep - _WORD_BACKOFF), -1):
        if k < len(items) and k > 0 and items[k][0].isspace():
            keep = k
            break
    while keep > 0 and items[keep - 1][0].isspace():
        keep -= 1
    return _assemble(items[:keep], bold) + ellipsis


def _highlight_flags(spans: Sequence[Span], marks: Sequence[Span]) -> list[bool]:
    flags: list[bool] = []
    j = 0
    for start, _ in spans:
        while j < len(marks) and marks[j][1] <= start:
            j += 1
        flags.append(j < len(marks) and marks[j][0] <= start < marks[j][1])
    return flags


def _pieces(text: str, marks: Sequence[Span], escaper: Escaper) -> list[tuple[str, bool]]:
    """`text` split at highlight edges, escaped, each piece flagged bold or not."""
    cuts: list[tuple[int, int, bool]] = []
    at = 0
    for start, end in marks:
        if at < start:
            cuts.append((at, start, False))
        cuts.append((start, end, True))
        at = end
    if at < len(text):
        cuts.append((at, len(text), False))
    rendered = escaper([text[a:b] for a, b, _ in cuts])
    return [(r, flag) for r, (_, _, flag) in zip(rendered, cuts, strict=True) if r]


def join_limited(
    items: Sequence[str],
    limit: int,
    *,
    sep: str = ", ",
    escaper: Escaper = escape_plain,
    item_limit: int = 200,
) -> str:
    """Items joined by `sep` within `limit` units; those left out counted as `+N more`."""
    lines = [line for line in (one_line(i) for i in items) if line]
    pieces: list[str] = []
    best = ""
    used = 0
    for n in range(len(lines) + 1):
        if n:
            pieces.append(render(lines[n - 1], item_limit, escaper=escaper))
            used += units(pieces[n - 1]) + (units(sep) if n > 1 else 0)
        rest = len(lines) - n
        more = f"+{rest} more" if rest else ""
        total = used + (units(sep) if n and more else 0) + units(more)
        if used > limit:
            break
        if total <= limit:
            best = sep.join([*pieces[:n], more]) if more and n else (more or sep.join(pieces[:n]))
    return best


_URL_UNSAFE = re.compile(r"[\s<>|\"`{}\\^\x00-\x1f\x7f]")


def safe_url(url: str | None, limit: int) -> str | None:
    """An http(s) URL fit to put in a link, or None: other schemes (`javascript:`),
    URLs longer than `limit` and URLs without a host are dropped, never cut."""
    if not url:
        return None
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest or rest[0] in "/?#":
        return None
    url = _URL_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), url)
    try:
        url.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return url if units(url) <= limit else None
