"""User-facing text in three languages: English (the msgids), Simplified and Traditional Chinese.

A message is written once, in English, as a gettext msgid with named placeholders:

    raise invalid(T("at most {n} requirements", n=MAX_REQUIREMENTS), "requirements")

`T(...)` is a `Text`: a `str` whose value is the English sentence (so logs, `str(error)` and every
English comparison stay as they were) that also remembers its msgid and parameters, so the boundary
(mutation payloads, GraphQL errors, CSV headers, KPI labels) can `render` it in the request's
language. Parameters may be texts themselves (`T("{what} not found", what=T("ticket"))`). Services
stay language-free; only the boundary knows the caller's language.

Plain string literals given to the helpers that build messages (`invalid`, `not_found`,
`DomainError`, the `Validator`'s labels …) are msgids too: Babel extracts them by those keywords
(pyproject.toml `[tool.tandem.messages]`, `make messages`), and tests/services/test_message_catalogs.py
fails while one of them lacks a translation.

The catalogs are services/locales/<language>/LC_MESSAGES/tandem.po, read with Babel once per process.
"""

from __future__ import annotations

import logging
import re
import string
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from services.negotiation import weighted

log = logging.getLogger("tandem.i18n")

ENGLISH = "en"
SIMPLIFIED = "zh-Hans"
TRADITIONAL = "zh-Hant"
LANGUAGES = (ENGLISH, SIMPLIFIED, TRADITIONAL)

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "tandem"
CATALOG_FOLDERS = {SIMPLIFIED: "zh_Hans", TRADITIONAL: "zh_Hant"}

# OPERATIONS.md "Language": which tags mean which script. A bare `zh` is Simplified (mainland usage).
_SIMPLIFIED_TAGS = {"zh", "zh-cn", "zh-hans", "zh-sg"}
_TRADITIONAL_TAGS = {"zh-tw", "zh-hk", "zh-mo", "zh-hant"}


class Text(str):
    """A translatable message: its `str` value is English; `render(language)` gives it in another."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Text:
        self = super().__new__(cls, _format(msgid, params, ENGLISH) if params else msgid)
        self.msgid = msgid
        self.params = params
        return self

    def render(self, language: str) -> str:
        if language == ENGLISH:
            return str.__str__(self)
        return _format(translate(self.msgid, language), self.params, language)

    def __reduce__(self) -> tuple[Any, ...]:  # pickling (multiprocessing, caches) keeps it lazy
        return (_rebuild, (self.msgid, self.params))


class Joined(str):
    """Several texts joined by a separator (a validation error's summary), each rendered on its own."""

    parts: tuple[str, ...]
    separator: str

    def __new__(cls, separator: str, parts: list[str]) -> Joined:
        self = super().__new__(cls, separator.join(parts))
        self.separator = separator
        self.parts = tuple(parts)
        return self

    def render(self, language: str) -> str:
        return self.separator.join(render(part, language) for part in self.parts)


T = Text  # the marker Babel extracts by (keyword `T`)


def _rebuild(msgid: str, params: dict[str, Any]) -> Text:
    return Text(msgid, **params)


def text(value: str) -> str:
    """`value` as a message: a Text already stays one; a plain string literal is its own msgid."""
    return value if isinstance(value, (Text, Joined)) else Text(value)


def render(value: Any, language: str) -> Any:
    """`value` in `language` when it is a message (Text, Joined); anything else as it is."""
    if isinstance(value, (Text, Joined)):
        return value.render(language)
    return value


def _format(pattern: str, params: dict[str, Any], language: str) -> str:
    rendered = {key: render(value, language) for key, value in params.items()}
    try:
        return pattern.format(**rendered)
    except (KeyError, IndexError, ValueError):
        # A broken translation must not turn a refusal into a 500: say it in English and log it.
        log.error("message %r does not format in %s with %s", pattern, language, sorted(rendered))
        return pattern


def translate(msgid: str, language: str) -> str:
    """The msgid's translation in `language`, the English msgid when the catalog lacks one."""
    translated = catalog(language).get(msgid)
    if translated is None:
        if language != ENGLISH:
            _missing(msgid, language)
        return msgid
    return translated


@cache
def _missing(msgid: str, language: str) -> None:
    log.warning("no %s translation of %r (add it to its catalog: make messages)", language, msgid)


@cache
def catalog(language: str) -> dict[str, str]:
    """msgid → translation of one language's .po file (non-empty, non-fuzzy entries only)."""
    folder = CATALOG_FOLDERS.get(language)
    if folder is None:
        return {}
    path = LOCALES / folder / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        messages = read_po(po)
    return {
        m.id: m.string
        for m in messages
        if isinstance(m.id, str) and m.id and isinstance(m.string, str) and m.string and not m.fuzzy
    }


def placeholders(pattern: str) -> set[str]:
    """The named placeholders of a message pattern (`{what} not found` → {"what"})."""
    return {name for _, name, _, _ in string.Formatter().parse(pattern) if name}


_TAG = re.compile(r"^[A-Za-z]{1,8}([-_][A-Za-z0-9]{1,8})*$|^\*$")


def language_of_tag(tag: str) -> str | None:
    """The language a single BCP 47 tag asks for, None when we have nothing for it."""
    tag = tag.strip().lower().replace("_", "-")
    if tag in _SIMPLIFIED_TAGS or tag.startswith("zh-hans-"):
        return SIMPLIFIED
    if tag in _TRADITIONAL_TAGS or tag.startswith("zh-hant-"):
        return TRADITIONAL
    if tag.startswith(("zh-cn-", "zh-sg-")):
        return SIMPLIFIED
    if tag.startswith(("zh-tw-", "zh-hk-", "zh-mo-")):
        return TRADITIONAL
    if tag == "en" or tag.startswith("en-"):
        return ENGLISH
    return None


def negotiate(accept_language: str | None, default: str = ENGLISH) -> str:
    """The language to answer in for an `Accept-Language` value (RFC 9110 §12.5.4): the highest
    q-value among the tags we can serve wins, the earlier tag on a tie; `*`, nothing we know, or no
    header at all give `default`. A malformed q-value drops its tag, not the whole header."""
    best: tuple[float, int] | None = None
    chosen = default
    for tag, q, position in weighted(accept_language, max_length=1000):
        if not _TAG.match(tag) or q == 0.0:  # q=0 means "not this one"
            continue
        language = default if tag == "*" else language_of_tag(tag)
        if language is None:
            continue
        key = (q, -position)
        if best is None or key > best:
            best, chosen = key, language
    return chosen


def supported(language: str) -> str:
    """A configured language (TANDEM_DEFAULT_LANGUAGE) as one of LANGUAGES; ValueError otherwise."""
    found = language if language in LANGUAGES else language_of_tag(language)
    if found is None:
        raise ValueError(f"unsupported language {language!r}: use one of {', '.join(LANGUAGES)}")
    return found
