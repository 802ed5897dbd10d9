"""Turning feed HTML into plain, comparable text. Pure and Unicode-aware."""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset(
    {
        "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr",
        "table", "section", "article", "header", "footer", "figure", "figcaption", "pre", "hr",
        "dd", "dt",
    }
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template"})

_QUOTES = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u00b4": "'", "\u0060": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00ab": '"', "\u00bb": '"', "\u2039": "'", "\u203a": "'",
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-", "\u00ad": None, "\u200b": None, "\ufeff": None,
    }
)
_QUOTE_CHARS = re.compile("[" + "".join(chr(c) for c in _QUOTES) + "]")


def _fold_quote(m: re.Match[str]) -> str:
    return _QUOTES.get(ord(m.group(0))) or ""


_SPACE_CHARS = r" \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000"
# runs of spaces other than one plain space (those need no rewriting)
_ODD_SPACE = re.compile(rf"[{_SPACE_CHARS[1:]}]")
_SPACES = re.compile(rf"[{_SPACE_CHARS[1:]}][{_SPACE_CHARS}]*| [{_SPACE_CHARS}]+")
_WORD = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Text of an HTML fragment, one line per block; entities decoded."""
    if "<" not in markup and "&" not in markup:
        return markup
    if "<" not in markup:
        return html.unescape(markup)
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    return "".join(extractor.parts)


def fold(text: str) -> str:
    """NFKC, typographic quotes and dashes folded to ASCII ones, spaces folded.

    Line breaks are kept (one per block), since boilerplate is found line by line.
    """
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = _QUOTE_CHARS.sub(_fold_quote, text)
    if "  " in text or _ODD_SPACE.search(text):
        text = _SPACES.sub(" ", text)
    if "\n" not in text:
        return text.strip()
    return "\n".join(line for line in (part.strip() for part in text.split("\n")) if line)


def plain_text(markup: str) -> str:
    """HTML fragment to folded plain text."""
    return fold(html_to_text(markup))


def words(text: str) -> list[str]:
    """Lower-cased word tokens, letters and digits of any script."""
    return _WORD.findall(text.casefold().replace("’", "'"))


_SENTENCE_END = re.compile(r"[.!?…][\"')\]]*\s+|\n")


def sentences(text: str) -> list[str]:
    """Sentences and lines of folded text, in order; empty pieces dropped.

    Crude on purpose (abbreviations split too): it only has to cut the same text
    the same way every time, for any script. The closing punctuation stays with
    its sentence; quotes and brackets after it are dropped.
    """
    out: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.start() if text[m.start()] == "\n" else m.start() + 1
        piece = text[start:end].strip()
        if piece:
            out.append(piece)
        start = m.end()
    piece = text[start:].strip()
    if piece:
        out.append(piece)
    return out
