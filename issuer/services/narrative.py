"""A criteria narrative as HTML: paragraphs and (nested) lists, and nothing from the text itself.

OB 3.0 calls ``criteria.narrative`` Markdown, and the narratives people write (and the ones
:func:`schemas.stack_rule.rule_narrative` writes) are lists: "- Classroom Environment, ...",
"1. Submit a video". Shown as one paragraph, a licensure clerk reads a wall of dashes. This is
the small, safe part of Markdown that criteria need — not a Markdown renderer:

* lines starting ``-``, ``*``, ``+`` or ``•`` are items of a ``<ul>``, ``1.`` / ``1)`` of an
  ``<ol>`` (its ``start`` kept); a deeper indent opens a list inside the item above it, and an
  indented line that is not an item continues the item;
* other lines are paragraphs (a blank line ends one; a line break inside one is kept);
* an ``http(s)`` URL becomes a link (``rel="nofollow noopener"``), trailing punctuation left out.

Every character of the text is escaped: a narrative holding ``<script>`` or ``<a href=…>``
shows those characters, never markup. The markup is built here, from escaped pieces, so the
result is a :class:`markupsafe.Markup` the templates insert as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["narrative_html"]

_ITEM = re.compile(r"^(?:(?P<bullet>[-*+•])|(?P<number>\d{1,9})[.)])\s+(?P<text>.*)$")
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""


@dataclass
class _List:
    indent: int
    tag: str  # "ul" or "ol"


def _inline(text: str) -> Markup:
    """``text`` escaped, with its http(s) URLs as links."""
    out = Markup()
    at = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        end = match.start() + len(url)
        out += escape(text[at : match.start()])
        out += Markup('<a href="{0}" rel="nofollow noopener">{0}</a>').format(url)
        at = end
    return out + escape(text[at:])


def _indent(line: str) -> int:
    expanded = line.expandtabs(4)
    return len(expanded) - len(expanded.lstrip(" "))


def narrative_html(text: str | None) -> Markup:
    """``text`` (a criteria narrative) as paragraphs and lists; see the module docstring."""
    parts: list[Markup | str] = []
    paragraph: list[Markup] = []
    lists: list[_List] = []

    def end_paragraph() -> None:
        if paragraph:
            parts.append(Markup("<p>") + Markup("<br>\n").join(paragraph) + Markup("</p>\n"))
            paragraph.clear()

    def close_list() -> None:
        parts.append(Markup("</li></{}>\n").format(lists.pop().tag))

    for line in (text or "").splitlines():
        stripped = line.strip()
        if not stripped:
            end_paragraph()
            continue
        indent = _indent(line)
        item = _ITEM.match(stripped)
        if item is None:
            if lists and indent > lists[0].indent:  # continues the open item
                parts.append(Markup(" ") + _inline(stripped))
                continue
            while lists:
                close_list()
            paragraph.append(_inline(stripped))
            continue
        end_paragraph()
        tag = "ul" if item.group("bullet") else "ol"
        while lists and lists[-1].indent > indent:
            close_list()
        if lists and lists[-1].indent == indent and lists[-1].tag != tag:
            close_list()
        if lists and lists[-1].indent == indent:
            parts.append(Markup("</li>\n<li>"))
        else:
            number = item.group("number")
            start = Markup(' start="{}"').format(int(number)) if number and number != "1" else ""
            parts.append(Markup("<{}{}>\n<li>").format(Markup(tag), start))
            lists.append(_List(indent, tag))
        parts.append(_inline(item.group("text")))
    end_paragraph()
    while lists:
        close_list()
    return Markup("").join(parts)
