"""What makes an SVG unsafe to serve back: script, event handlers and external references.

A baking service returns the SVG it was given (with a credential inside). An SVG opened as a
document runs its ``<script>``, its ``on*`` handlers and its ``javascript:`` links in the
origin that served it, and one that loads external documents, images or style sheets leaks
who opened it. So baking refuses such an SVG instead of trying to clean it: cleaning means
re-serialising, and baking keeps every other byte as it was (see :mod:`schemas.baking`).

The rules are judged on parser events (element and attribute names, attribute values, style
text, processing instructions), never on the raw text, so comments, CDATA and entity spelling
cannot hide anything from them; :class:`schemas.baking` feeds its expat pass through
:class:`SvgSafety`. Names are compared case-insensitively and without their namespace:
a browser does not care which prefix a ``script`` element was written with.

* elements ``script``, ``foreignObject``, ``handler``, ``listener``, ``iframe``, ``embed``,
  ``object`` are refused;
* attributes named ``on...`` are refused, and so are ``<set>``/``<animate*>`` targeting an
  ``on...`` or ``href`` attribute (they could write one);
* ``href``/``xlink:href`` may only point inside the document (``#id``), or, on ``<image>`` and
  ``<feImage>``, be a ``data:image/...`` URL; any other value (``javascript:``, http(s), ``//``,
  ``file:``, a relative path, a ``<use>`` of another document) is refused;
* any attribute value or style text containing ``javascript:``, any ``url(...)`` whose target
  is not ``#id`` or ``data:image/...``, and any ``@import`` are refused;
* ``<?xml-stylesheet?>`` (an external style sheet) is refused.
"""

from __future__ import annotations

import re

__all__ = ["SvgSafety"]

_ELEMENTS = frozenset(
    {"script", "foreignobject", "handler", "listener", "iframe", "embed", "object"}
)
_ANIMATIONS = frozenset({"set", "animate", "animatetransform", "animatemotion", "animatecolor"})
_IMAGE_ELEMENTS = frozenset({"image", "feimage"})
#: What browsers drop from a URL before reading it (C0 controls, space, DEL).
_IGNORED = re.compile(r"[\x00-\x20\x7f]")
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)


def _local(name: str, separator: str) -> str:
    return name.rsplit(separator, 1)[-1].lower()


def _squashed(value: str) -> str:
    return _IGNORED.sub("", value).lower()


def _internal(target: str, *, image: bool) -> bool:
    """``#id``, or (where an image is drawn) an inline ``data:image/...``."""
    target = _squashed(target)
    return target.startswith("#") or (image and target.startswith("data:image/"))


def _css_problem(text: str) -> str | None:
    squashed = _squashed(text)
    if "@import" in squashed:
        return "a CSS @import"
    if "javascript:" in squashed:
        return "a javascript: URL"
    for match in _CSS_URL.finditer(text):
        if not _internal(match[2], image=True):
            return f"an external CSS url({match[2].strip()!r})"
    return None


class SvgSafety:
    """Feed it an SVG's parser events; :attr:`problem` is the first unsafe thing seen."""

    def __init__(self, separator: str) -> None:
        self.separator = separator
        self.problem: str | None = None
        self._style_depth = 0
        self._style_text: list[str] = []

    def _refuse(self, problem: str) -> None:
        if self.problem is None:
            self.problem = problem

    def start(self, name: str, attrs: dict[str, str]) -> None:
        element = _local(name, self.separator)
        if element in _ELEMENTS:
            self._refuse(f"a <{element}> element")
        if element == "style":
            self._style_depth += 1
        for raw, value in attrs.items():
            attribute = _local(raw, self.separator)
            self._attribute(element, attribute, value)

    def _attribute(self, element: str, attribute: str, value: str) -> None:
        if attribute.startswith("on"):
            self._refuse(f"an event handler attribute {attribute!r} on <{element}>")
        elif attribute == "href" and not _internal(value, image=element in _IMAGE_ELEMENTS):
            self._refuse(f"an external or script reference {value.strip()[:80]!r} on <{element}>")
        elif attribute == "attributename" and element in _ANIMATIONS:
            target = _local(value.strip(), ":")
            if target.startswith("on") or target == "href":
                self._refuse(f"an animation of the {value!r} attribute")
        problem = _css_problem(value)
        if problem is not None:
            self._refuse(f"{problem} in the {attribute!r} attribute of <{element}>")

    def text(self, chunk: str) -> None:
        if self._style_depth:
            self._style_text.append(chunk)

    def end(self, name: str) -> None:
        if _local(name, self.separator) == "style" and self._style_depth:
            self._style_depth -= 1
            problem = _css_problem("".join(self._style_text))
            if problem is not None:
                self._refuse(f"{problem} in a <style> element")
            self._style_text = []

    def processing_instruction(self, target: str, _data: str) -> None:
        if target.lower() == "xml-stylesheet":
            self._refuse("an <?xml-stylesheet?> instruction")
