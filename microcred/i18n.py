"""Pages in the reader's language: which one, its catalog, and templates rendered in it.

One piece every page (and later every email) goes through:

* :func:`choose_language` (``LanguageDep``, a FastAPI dependency; it can be called with the
  request too): ``?lang=xx`` (remembered in the ``lang`` cookie), else the ``lang`` cookie,
  else ``Accept-Language`` (q-values respected, negotiated with Babel), else English.
* :class:`Pages`: Jinja templates rendered in that language (``jinja2.ext.i18n``: ``{% trans
  %}`` and ``_()``), with filters writing dates and numbers for the locale and
  :class:`~microcred.messages.Message` values (check messages, headlines) in its words; the
  response says its language (``Content-Language``, ``Vary: Accept-Language, Cookie``) and
  carries the cookie when the reader chose with ``?lang=``.

Translations are gettext catalogs, ``microcred/locales/<lang>/LC_MESSAGES/messages.po``,
extracted from the code and templates by ``pybabel`` (``make i18n``; ``babel.cfg`` says
where). The ``.po`` files are the only copies kept: each is compiled in memory (Babel's
``write_mo``, fuzzy entries left out) the first time its language is used, so no compiled
``.mo`` can be missing or older than its ``.po``, whichever way microcred was installed. A
language is offered as soon as its catalog exists; English is the source and needs none.
"""

from __future__ import annotations

import gettext
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from microcred.messages import Day, Instant, Message
from schemas.dates import parse_datetime

__all__ = [
    "COOKIE",
    "LOCALES",
    "SOURCE_LANGUAGE",
    "Language",
    "LanguageDep",
    "Pages",
    "add_vary",
    "available_languages",
    "choose_language",
    "language",
    "localize_response",
    "parse_accept_language",
]

#: Where the catalogs are: ``<lang>/LC_MESSAGES/messages.po``.
LOCALES = Path(__file__).parent / "locales"
DOMAIN = "messages"
#: The language the code and templates are written in (no catalog).
SOURCE_LANGUAGE = "en"
#: The cookie the language switch sets (``?lang=``).
COOKIE = "lang"
_COOKIE_MAX_AGE = 365 * 24 * 3600
_TAG = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")


@cache
def available_languages() -> tuple[str, ...]:
    """English, then every language with a catalog, by code."""
    found = sorted(path.parent.parent.name for path in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (SOURCE_LANGUAGE, *(code for code in found if code != SOURCE_LANGUAGE))


@cache
def _translations(code: str) -> gettext.NullTranslations:
    """The catalog of ``code``, compiled in memory once per process."""
    if code == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    with (LOCALES / code / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        catalog = read_po(po, locale=code, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def parse_accept_language(header: str | None) -> list[str]:
    """The language tags of an ``Accept-Language`` header, most wanted first (RFC 9110:
    ``q=0`` means "not this"; equal weights keep their order; ``*`` and junk are dropped)."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate((header or "").split(",")):
        tag, _, rest = item.strip().partition(";")
        tag = tag.strip()
        if not _TAG.match(tag):
            continue
        weight = 1.0
        for parameter in rest.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if 0 < weight <= 1:
            weighted.append((-weight, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def _supported(tag: str | None) -> str | None:
    """The offered language ``tag`` names (``es``, ``es-MX``, ``ES``), or ``None``."""
    if not tag:
        return None
    return _negotiate([tag.strip()])


def _negotiate(preferred: Sequence[str]) -> str | None:
    """The first offered language among ``preferred`` tags: the tag itself, its alias, or its
    language without the region (Babel's ``negotiate_locale``: ``es-MX`` gets ``es``)."""
    offered = {code.replace("_", "-").lower(): code for code in available_languages()}
    found = negotiate_locale([tag.replace("_", "-") for tag in preferred], list(offered), sep="-")
    return offered.get(found.lower()) if found is not None else None


# --------------------------------------------------------------------------- the language


@dataclass(frozen=True)
class Language:
    """The language one request is answered in, and everything written in it."""

    code: str
    #: ``?lang=`` chose it: the response sets the cookie so the next page keeps it.
    remember: bool = False
    locale: Locale = field(init=False, compare=False)
    translations: gettext.NullTranslations = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "locale", Locale.parse(self.code))
        object.__setattr__(self, "translations", _translations(self.code))

    def gettext(self, text: str) -> str:
        return self.translations.gettext(text)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def text(self, value: Any) -> str:
        """What a page shows for ``value``: a :class:`Message` in this language, anything else
        (a name, an id: data) as it is. English shows a message exactly as the report says it."""
        if value is None:
            return ""
        if isinstance(value, Message) and self.code != SOURCE_LANGUAGE:
            return value.localize(self.gettext, self.ngettext, self.render)
        return str(value)

    def render(self, value: Any) -> str:
        """A message's parameter for this reader: days, instants and numbers in the locale's
        format."""
        if isinstance(value, Day):
            return self.date(value.moment)
        if isinstance(value, Instant):
            return self.datetime(value.moment)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return self.decimal(value)
        return str(value)

    def date(self, value: Any, format: str = "long") -> str:
        """A date (or the date of an ISO date-time) in the locale's words; text that is not a
        date is shown as it is."""
        moment = _as_datetime(value)
        if moment is None:
            return "" if value is None else str(value)
        return format_date(moment, format=format, locale=self.locale)

    def datetime(self, value: Any, format: str = "long") -> str:
        """A date-time with its zone (UTC unless it says otherwise) in the locale's format."""
        moment = _as_datetime(value)
        if moment is None:
            return "" if value is None else str(value)
        return format_datetime(moment, format=format, tzinfo=moment.tzinfo, locale=self.locale)

    def decimal(self, value: Any) -> str:
        return format_decimal(value, locale=self.locale)

    def switch(self, request: Request) -> list[dict[str, Any]]:
        """The language switch: each language in its own name, with the link to this page in
        it (the same path and query, ``lang`` replaced; relative, so no Host is trusted)."""
        query = [(k, v) for k, v in request.query_params.multi_items() if k != COOKIE]
        links = []
        for code in available_languages():
            links.append(
                {
                    "code": code,
                    "name": language_name(code),
                    "href": f"{request.url.path}?{urlencode([*query, (COOKIE, code)])}",
                    "current": code == self.code,
                }
            )
        return links


def _as_datetime(value: Any) -> datetime | None:
    """``value`` read as the verifier and the issuer read dates (:func:`parse_datetime`: no
    zone means UTC, ``z`` too), so a page shows the instant the checks compared; a ``date`` is
    its midnight, UTC."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return parse_datetime(value)


def language_name(code: str) -> str:
    """``code`` (a BCP 47 tag) in its own language's words, capitalised ("es" → "Español",
    "es-MX" → "Español (México)"); the tag itself if Babel has no name for it."""
    try:
        name = Locale.parse(str(code).replace("-", "_")).get_display_name(str(code).split("-")[0])
    except (ValueError, TypeError, UnknownLocaleError):
        return str(code)
    return name[:1].upper() + name[1:] if name else str(code)


def language(code: str | None = None) -> Language:
    """The :class:`Language` for ``code`` (an offered one, else English): for emails and tests,
    which have no request to negotiate with."""
    return Language(_supported(code) or SOURCE_LANGUAGE)


def choose_language(request: Request) -> Language:
    """The request's language: ``?lang=``, the ``lang`` cookie, ``Accept-Language``, English.

    A FastAPI dependency (``LanguageDep``) that routes rendering only in part a page may also
    call directly; the answer is kept on the request, so it is worked out once.
    """
    chosen = getattr(request.state, "microcred_language", None)
    if isinstance(chosen, Language):
        return chosen
    asked = _supported(request.query_params.get(COOKIE))
    if asked is not None:
        chosen = Language(asked, remember=True)
    else:
        code = _supported(request.cookies.get(COOKIE)) or _negotiate(
            parse_accept_language(request.headers.get("accept-language"))
        )
        chosen = Language(code or SOURCE_LANGUAGE)
    request.state.microcred_language = chosen
    return chosen


LanguageDep = Annotated[Language, Depends(choose_language)]


# --------------------------------------------------------------------------- templates


class Pages:
    """A template directory rendered in the request's language.

    One Jinja environment per language (``jinja2.ext.i18n`` with that language's catalog
    installed, new-style gettext: ``_("… %(name)s", name=x)`` escapes ``x``), made on first use;
    ``configure`` adds a package's own filters to each. Filters: ``t`` (a message in the
    reader's words, anything else as is), ``date``, ``datetime``, ``decimal``. The
    context gets ``language`` (the :class:`Language`) and ``languages`` (the switch's links).
    """

    def __init__(
        self, directory: Path | str, *, configure: Callable[[Environment], None] | None = None
    ) -> None:
        self.directory = Path(directory)
        self._configure = configure
        self._templates: dict[str, Jinja2Templates] = {}
        self._lock = threading.Lock()

    def environment(self, language: Language) -> Environment:
        """The Jinja environment for ``language`` (also for text that is not a response)."""
        return self._for(language).env

    def _for(self, language: Language) -> Jinja2Templates:
        with self._lock:
            templates = self._templates.get(language.code)
            if templates is None:
                templates = Jinja2Templates(env=self._make_environment(language))
                self._templates[language.code] = templates
            return templates

    def _make_environment(self, language: Language) -> Environment:
        env = Environment(
            loader=FileSystemLoader(str(self.directory)),
            autoescape=True,
            extensions=["jinja2.ext.i18n"],
        )
        env.install_gettext_translations(  # type: ignore[attr-defined]
            language.translations, newstyle=True
        )
        env.filters.update(
            t=language.text,
            date=language.date,
            datetime=language.datetime,
            decimal=language.decimal,
        )
        if self._configure is not None:
            self._configure(env)
        return env

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any],
        *,
        status_code: int = 200,
        language: Language | None = None,
    ) -> HTMLResponse:
        """The page ``name`` in the request's language (or ``language``), saying which."""
        chosen = language if language is not None else choose_language(request)
        response = self._for(chosen).TemplateResponse(
            request,
            name,
            {**context, "language": chosen, "languages": chosen.switch(request)},
            status_code=status_code,
        )
        localize_response(response, chosen, secure=request.url.scheme == "https")
        return response


def localize_response(response: HTMLResponse, chosen: Language, *, secure: bool) -> None:
    """``Content-Language``, ``Vary`` (the page depends on both), and the cookie when the
    reader chose with ``?lang=`` (no script needed: the switch is a plain link)."""
    response.headers["Content-Language"] = chosen.code
    add_vary(response, "Accept-Language", "Cookie")
    if chosen.remember:
        response.set_cookie(
            COOKIE,
            chosen.code,
            max_age=_COOKIE_MAX_AGE,
            path="/",
            samesite="lax",
            httponly=True,
            secure=secure,
        )


def add_vary(response: Response, *headers: str) -> None:
    """Add ``headers`` to the response's ``Vary`` (kept once each, whatever their case), so a
    cache keeps apart what a request's ``Accept``, language or cookie changed."""
    vary = [v.strip() for v in response.headers.get("vary", "").split(",") if v.strip()]
    for header in headers:
        if header.lower() not in {v.lower() for v in vary}:
            vary.append(header)
    response.headers["Vary"] = ", ".join(vary)
