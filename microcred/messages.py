"""Sentences for people that can be shown in any language the pages offer.

A :class:`Message` *is* its English text (a ``str``), so the JSON report, the CLI, logs and
every comparison see exactly the words they always saw, and the JSON contract stays English.
It also keeps the template it was made from (``msgid``, marked for ``pybabel extract``) and the
named parameters it was filled with, so a page can show it in another language:
``gettext(msgid) % params``, each parameter itself translated when it is a message. One string
per sentence, written once, never an English copy and a translated copy.

Anything that turns a message into another ``str`` (``+``, an f-string, ``.strip()``) gives
plain English: a page then shows that part in English rather than losing it. Compose messages
with parameters, :func:`joined` and :meth:`Message.sentence` instead.

Parameters are data (an issuer's URL, a library's technical reason) and stay as they are, but
an :class:`Instant` (a date-time quoted in a sentence), a :class:`Day` and numbers are
formatted for the reader's locale by the page (:mod:`microcred.i18n`). This module has no
dependencies: every package may import it (``tests/test_architecture.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Self

__all__ = [
    "Day",
    "Gettext",
    "Instant",
    "Message",
    "Ngettext",
    "Render",
    "as_clause",
    "as_sentence",
    "joined",
    "plural_message",
]

#: ``gettext(msgid) -> translation`` (a catalog's, or the identity for English).
Gettext = Callable[[str], str]
#: ``ngettext(singular, plural, n) -> translation``.
Ngettext = Callable[[str, str, int], str]
#: How a parameter that is not a message is written for the reader (dates, numbers).
Render = Callable[[Any], str]


def _english_ngettext(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


class Instant(str):
    """A date-time quoted in a sentence: the exact text it was made with in English (the JSON
    report's instants), and :attr:`moment` for a page to write in its reader's format."""

    moment: datetime

    def __new__(cls, text: str, moment: datetime) -> Self:
        self = super().__new__(cls, text)
        self.moment = moment
        return self


class Day(Instant):
    """A calendar day quoted in a sentence ("expired on 30 June 2026"): written as a date, not a
    date-time, in every language (English: day, month name, year)."""

    def __new__(cls, moment: datetime) -> Self:
        return super().__new__(cls, f"{moment.day} {moment:%B %Y}", moment)


class Message(str):
    """A sentence: its English text, plus ``msgid`` and ``params`` to translate it.

    ``Message("The issuer %(issuer)s is not trusted.", issuer=url)`` is the ``str`` ``"The
    issuer https://… is not trusted."``; :meth:`localize` gives it in another language. A
    message without parameters is its ``msgid`` verbatim (a ``%`` in it is literal).
    """

    msgid: str
    plural: str | None
    n: int | None
    params: Mapping[str, Any]

    def __new__(cls, msgid: str, /, **params: Any) -> Message:
        return cls._make(msgid, None, None, params)

    @classmethod
    def _make(
        cls, msgid: str, plural: str | None, n: int | None, params: Mapping[str, Any]
    ) -> Message:
        template = msgid if plural is None or n is None else _english_ngettext(msgid, plural, n)
        self = super().__new__(cls, _fill(template, params))
        self.msgid, self.plural, self.n, self.params = msgid, plural, n, dict(params)
        return self

    def localize(
        self, gettext: Gettext, ngettext: Ngettext | None = None, render: Render = str
    ) -> str:
        """The sentence in the language of ``gettext`` / ``ngettext``, its parameters
        translated (messages) or written by ``render`` (anything else). A translation whose
        placeholders do not fit (a translator's slip) gives the English rather than an error."""
        if self.plural is not None and self.n is not None:
            template = (ngettext or _english_ngettext)(self.msgid, self.plural, self.n)
        else:
            template = gettext(self.msgid)
        params = {
            name: _translated(value, gettext, ngettext, render)
            for name, value in self.params.items()
        }
        try:
            return _fill(template, params)
        except (KeyError, ValueError, TypeError):
            return str(self)

    def sentence(self) -> Message:
        """This message as a sentence: capital first letter, full stop at the end (in English
        and in the translation), for a clause that is also used inside other sentences."""
        return _Shaped(self, "sentence")

    def clause(self) -> Message:
        """This message without its final full stop (in English and in the translation), to
        quote a sentence inside another."""
        return _Shaped(self, "clause")

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickle and copy rebuild the message, not a bare str holding its English.
        return (_rebuild, (type(self), self.msgid, self.plural, self.n, dict(self.params)))


def _rebuild(
    kind: type[Message], msgid: str, plural: str | None, n: int | None, params: dict[str, Any]
) -> Message:
    if kind is Message:
        return Message._make(msgid, plural, n, params)
    if kind is _Joined:
        return joined(params["separator"], params["parts"])
    return _Shaped(params["inner"], params["shape"])


def plural_message(singular: str, plural: str, n: int, /, **params: Any) -> Message:
    """A message whose words depend on the number ``n`` (``ngettext``): ``n`` is also given to
    the templates as ``%(n)s`` unless ``params`` names it otherwise."""
    return Message._make(singular, plural, n, {"n": n, **params})


class _Joined(Message):
    """Messages (or data) one after the other, each translated on its own."""

    def __new__(cls, separator: str, parts: Iterable[str]) -> _Joined:
        items = list(parts)
        self = str.__new__(cls, separator.join(items))
        self.msgid, self.plural, self.n = "", None, None
        self.params = {"separator": separator, "parts": items}
        return self

    def localize(
        self, gettext: Gettext, ngettext: Ngettext | None = None, render: Render = str
    ) -> str:
        parts = self.params["parts"]
        return str(self.params["separator"]).join(
            _translated(part, gettext, ngettext, render) for part in parts
        )


class _Shaped(Message):
    """A message made a sentence (capital, full stop) or a clause (no final full stop)."""

    def __new__(cls, inner: Message, shape: str) -> _Shaped:
        self = str.__new__(cls, _SHAPES[shape](str(inner)))
        self.msgid, self.plural, self.n = "", None, None
        self.params = {"inner": inner, "shape": shape}
        return self

    def localize(
        self, gettext: Gettext, ngettext: Ngettext | None = None, render: Render = str
    ) -> str:
        inner = self.params["inner"].localize(gettext, ngettext, render)
        return _SHAPES[self.params["shape"]](inner)


def joined(separator: str, parts: Iterable[str]) -> Message:
    """``separator.join(parts)`` that a page can still translate part by part."""
    return _Joined(separator, parts)


def as_sentence(text: str) -> str:
    """``text`` with a capital first letter and a final full stop; a message stays one (its
    translation is shaped the same way)."""
    if isinstance(text, Message):
        return text.sentence()
    return _as_sentence(text)


def as_clause(text: str) -> str:
    """``text`` without its final full stop(s), to quote inside another sentence; a message
    stays one (its translation loses its full stop the same way)."""
    if isinstance(text, Message):
        return text.clause()
    return text.rstrip(".")


def _as_sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


_SHAPES: dict[str, Callable[[str], str]] = {
    "sentence": _as_sentence,
    "clause": lambda text: text.rstrip("."),
}


def _translated(value: Any, gettext: Gettext, ngettext: Ngettext | None, render: Render) -> Any:
    if isinstance(value, Message):
        return value.localize(gettext, ngettext, render)
    if isinstance(value, Instant | int | float) and not isinstance(value, bool):
        return render(value)
    return value


def _fill(template: str, params: Mapping[str, Any]) -> str:
    return template % params if params else template
