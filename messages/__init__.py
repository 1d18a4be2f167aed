"""Message catalogues: every sentence Jol says, one JSON file per language.

Both sides read the same files: the page embeds them (web/page.py) and the
server phrases directions with `say`. A message is a template with `{name}`
placeholders; a number that a noun follows is a plural block in the ICU style,
`{n, plural, one {# метр} few {# метра} many {# метров} other {# метра}}`,
where `#` is the number. Plural categories follow CLDR: Russian has one, few,
many and other; Kazakh puts the singular after a numeral ("5 метр"), so its
blocks need only `other`; English has one and other. No sentence is built in
code: code chooses keys and passes params.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

LANGUAGES = ("ru", "kk", "en")
_DIR = Path(__file__).resolve().parent
# `{name}` or the start of `{name, plural,` - the block's forms are parsed by hand
# because they nest braces.
_OPEN = re.compile(r"\{(\w+)(\s*,\s*plural\s*,)?")
_FORM = re.compile(r"\s*(=\d+|zero|one|two|few|many|other)\s*\{")


@cache
def catalogue(lang: str) -> dict[str, str]:
    """{key: template} of one language, read once."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}")
    return json.loads((_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def plural_category(lang: str, n: float) -> str:
    """CLDR plural category of `n` in `lang` (integers; fractions are `other`)."""
    if n != int(n):
        return "other"
    i = abs(int(n))
    if lang == "ru":
        if i % 10 == 1 and i % 100 != 11:
            return "one"
        if 2 <= i % 10 <= 4 and not 12 <= i % 100 <= 14:
            return "few"
        return "many"
    if lang == "en":
        return "one" if i == 1 else "other"
    # Kazakh: CLDR has one/other, but a noun after a numeral stays singular.
    return "other"


def say(lang: str, key: str, **params: object) -> str:
    """The message `key` of `lang` with `params` filled in.

    A missing key is an error (KeyError), never the key itself: a test checks
    that every key the server uses is in every catalogue.
    """
    return fill(lang, catalogue(lang)[key], params)


def fill(lang: str, template: str, params: dict[str, object]) -> str:
    """Fill `{name}` placeholders and plural blocks of one template."""
    return "".join(_render(lang, _compile(template), params))


# A compiled template: literal text, a ("=", name) placeholder, or a
# ("plural", name, {form: compiled}) block. Directions fill thousands of
# templates a second, so each is parsed once.
_Part = str | tuple


@cache
def _compile(template: str) -> tuple[_Part, ...]:
    parts: list[_Part] = []
    pos = 0
    while (match := _OPEN.search(template, pos)) is not None:
        if match.start() > pos:
            parts.append(template[pos : match.start()])
        name = match.group(1)
        if not match.group(2):
            parts.append(("=", name))
            pos = template.index("}", match.end()) + 1
            continue
        forms, pos = _plural_forms(template, match.end())
        parts.append(("plural", name, {k: _compile(v) for k, v in forms.items()}))
    if pos < len(template):
        parts.append(template[pos:])
    return tuple(parts)


def _render(lang: str, parts: tuple[_Part, ...], params: dict[str, object]) -> list[str]:
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif part[0] == "=":
            out.append(_text(params[part[1]]))
        else:
            value = params[part[1]]
            if not isinstance(value, int | float):
                raise TypeError(f"{part[1]} must be a number for a plural block")
            forms = part[2]
            chosen = forms.get(f"={value}") or forms.get(plural_category(lang, value))
            chosen = chosen if chosen is not None else forms["other"]
            number = _text(value)
            out.extend(x.replace("#", number) for x in _render(lang, chosen, params))
    return out


def _plural_forms(template: str, start: int) -> tuple[dict[str, str], int]:
    """{form: text} of a plural block starting after `plural,`; and where it ends."""
    forms: dict[str, str] = {}
    pos = start
    while True:
        match = _FORM.match(template, pos)
        if match is None:
            close = template.index("}", pos)
            return forms, close + 1
        depth, i = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(template[i], 0)
            i += 1
        forms[match.group(1)] = template[match.end() : i - 1]
        pos = i


def _text(value: object) -> str:
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value)


def placeholders(template: str) -> set[str]:
    """Names a template needs (plain and plural, and those inside plural forms)."""
    names: set[str] = set()
    pos = 0
    while (match := _OPEN.search(template, pos)) is not None:
        names.add(match.group(1))
        if not match.group(2):
            pos = template.index("}", match.end()) + 1
            continue
        forms, pos = _plural_forms(template, match.end())
        for text in forms.values():
            names |= placeholders(text)
    return names
