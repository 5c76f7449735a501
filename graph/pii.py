"""Likely personal details in free text: e-mail addresses, phone numbers and personal names.

Participants write what they saw, and sometimes whom: "call Mr Okafor on +234 803 123 4567".
:func:`find_pii` finds the likely ones in any text (a contribution, a label, a link's evidence, a
session title) and :func:`redact` replaces each with a marker such as ``[redacted: phone]``.
Detection is by pattern, deliberately simple and documented here, with no language model:

- **e-mail**: ``local@domain.tld`` in ASCII letters and digits, found whatever script is around it;
- **phone**: 7 to 15 digits, written with a ``+``/``00`` country code, or in groups joined by
  spaces, hyphens, dots or brackets (not slashes), or as one run of 10 or 11 digits starting with 0. Not phones:
  dates (``2026-03-17``), years and year ranges (``2014-2025``), numbers grouped in thousands
  (``58,641``, ``1 234 567``, ``1.234.567``), dotted quads and anything joined to a letter (ISO
  codes, case references such as ``TIP-2019-0042`` stay);
- **name**: a capitalised name after an honorific (Mr, Mrs, Ms, Miss, Dr, Prof, Sr., Sra., Srta.,
  Herr, Frau, M., Mme, Mlle; г-н, г-жа, господин, госпожа; السيد, السيدة, الدكتور), a name of two to
  four kanji or two to eight katakana before さん or 氏, and the name after "my name is" (mi nombre
  es, me llamo, je m'appelle, меня зовут, اسمي, 我叫, 私の名前は, ผมชื่อ, ฉันชื่อ, ดิฉันชื่อ). Only
  the name is replaced; the honorific stays, and an Arabic name takes the word after it too ("Dr
  Congo", the country, is not a name). Thai นาย/นาง are left alone (they begin นายหน้า,
  "broker", and นายจ้าง, "employer"), as are Chinese 先生/女士 after a name (Chinese runs words
  together, so the name's start cannot be told).

Digits in other forms count as digits: full-width (``０３－１２３４``, with full-width ``＋`` and
``＠``), Arabic-Indic (``٠٣``) and Thai (``๐๓``). These are *likely* findings: a name without an
honorific, or a number written in an unusual way, is not found, and the facilitator still reads
the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["KINDS", "Finding", "find_pii", "marker", "redact", "summarise"]

#: The kinds of finding, in the order they are looked for.
KINDS = ("e-mail", "phone", "name")

# one character for one character, so a span found in the folded text is the same in the original
_FOLD = {**{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)},  # full-width ASCII
         **{0x0660 + i: 0x30 + i for i in range(10)}, **{0x06F0 + i: 0x30 + i for i in range(10)},  # Arabic-Indic
         **{0x0E50 + i: 0x30 + i for i in range(10)}, 0x3000: 0x20}  # Thai digits, ideographic space

_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![A-Za-z0-9])")
# a candidate: digits in groups, joined by one separator (a space, - or .) and brackets around a group;
# not /, which joins years and file numbers (2019/0042)
_PHONE = re.compile(r"(?<![A-Za-z0-9+\-./])(?:\+|00)?\(?\d{1,15}\)?(?:(?:[ \-.]|\) ?| ?\()\(?\d{1,15}\)?){0,6}(?![A-Za-z0-9])")
_GROUPS = re.compile(r"\d+")
_THOUSANDS = re.compile(r"\d{1,3}(?:([ .,])\d{3})(?:\1\d{3})*")
_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4}")

_LATIN_NAME = r"(?:[A-Z]\.\s?)?[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’\-]+(?:\s(?:[A-Z]\.\s?)?[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’\-]+){0,2}"
_CYRILLIC_NAME = r"[А-ЯЁ][а-яё\-]+(?:\s[А-ЯЁ][а-яё\-]+){0,2}"
_ARABIC_NAME = r"[\u0621-\u064A]{2,}(?:\s[\u0621-\u064A]{2,})?"
# each name pattern with the words one of which a text must hold for it to be tried (a quick
# substring test first: most texts hold none, and importing 100,000 rows checks every one)
_NAMES = [
    (re.compile(r"(?<![A-Za-z])(?:Mr|Mrs|Ms|Miss|Dr|Prof|Herr|Frau|Mme|Mlle|Sr\.|Sra\.|Srta\.|M\.)\.?\s+(?![CK]ongo\b)(" + _LATIN_NAME + ")"),
     ("Mr", "Ms", "Miss", "Dr", "Prof", "Herr", "Frau", "Mme", "Mlle", "Sr", "M.")),
    (re.compile(r"(?<![А-Яа-яЁё])(?:г-н|г-жа|г\.|господин|госпожа|госпожи|господина)\s+(" + _CYRILLIC_NAME + ")"),
     ("г-", "г.", "госпо")),
    (re.compile(r"(?<![\u0621-\u064A])(?:السيد|السيدة|الدكتور|الدكتورة)\s+(" + _ARABIC_NAME + ")"), ("السيد", "الدكتور")),
    (re.compile(r"(?<![\u4E00-\u9FFF\u30A0-\u30FF])([\u4E00-\u9FFF]{2,4}|[\u30A1-\u30FA\u30FC]{2,8})(?:さん|氏(?![\u4E00-\u9FFF]))"),
     ("さん", "氏")),
    (re.compile(r"(?i:\bmy\s+name\s+is|\bmi\s+nombre\s+es|\bme\s+llamo|\bje\s+m['’]appelle)\s+(" + _LATIN_NAME + ")"),
     ("name", "Name", "NAME", "nombre", "Nombre", "llamo", "Llamo", "appelle", "Appelle")),
    (re.compile(r"(?i:меня\s+зовут)\s+(" + _CYRILLIC_NAME + ")"), ("зовут", "Зовут")),
    (re.compile(r"اسمي\s+(" + _ARABIC_NAME + ")"), ("اسمي",)),
    (re.compile(r"(?:我叫|私の名前は)\s*([\u4E00-\u9FFF]{2,4}|[\u30A1-\u30FA\u30FC]{2,8})"), ("我叫", "私の名前は")),
    (re.compile(r"(?:ผม|ฉัน|ดิฉัน)ชื่อ\s*([\u0E01-\u0E4E]{2,20})"), ("ชื่อ",)),
]
_ANY_CUE = re.compile("|".join(re.escape(c) for _p, cues in _NAMES for c in cues))
# seven digits, at most three other characters apart: a text without them holds no phone number
_SEVEN_DIGITS = re.compile(r"\d(?:\D{0,3}\d){6}")


@dataclass(frozen=True)
class Finding:
    """One likely personal detail: its kind (``e-mail``, ``phone`` or ``name``), where it is
    (``start``, ``end``, as in ``text[start:end]``) and the text found."""

    kind: str
    start: int
    end: int
    text: str


def _is_phone(candidate: str) -> bool:
    digits = "".join(_GROUPS.findall(candidate))
    if not 7 <= len(digits) <= 15:
        return False
    prefixed = candidate.startswith(("+", "00"))
    groups = _GROUPS.findall(candidate)
    if len(groups) == 1:  # one run of digits: a phone only with its country code, or as 0 and 9 or 10 more
        return prefixed or (candidate[0] == "0" and 10 <= len(digits) <= 11)
    if prefixed:
        return True
    if _DATE.fullmatch(candidate) or all(len(g) == 4 and g[:2] in ("18", "19", "20") for g in groups):
        return False  # a date, a year range
    if all(_THOUSANDS.fullmatch(part) or len(part) <= 3 for part in candidate.split("-")):
        return False  # 1 234 567, 1.234.567, 10 000-15 000
    if len(groups) == 4 and candidate.count(".") == 3 and all(len(g) <= 3 for g in groups):
        return False  # a dotted quad (an IP address, a version)
    # counts with years in brackets, 120 (2019) 340 (2020), are not phones
    return not ("(" in candidate and any(len(g) == 4 and g[:2] in ("19", "20") for g in groups))


def find_pii(text: str) -> list[Finding]:
    """The likely e-mail addresses, phone numbers and personal names in ``text``, in order.

    >>> [(f.kind, f.text) for f in find_pii("Ask Mr. Okafor: okafor@example.org, +234 803 123 4567")]
    [('name', 'Okafor'), ('e-mail', 'okafor@example.org'), ('phone', '+234 803 123 4567')]
    >>> [(f.kind, f.text) for f in find_pii("電話は０３－１２３４－５６７８、田中さんまで")]
    [('phone', '０３－１２３４－５６７８'), ('name', '田中')]
    >>> find_pii("58,641 victims detected in 2014-2025 (ISO 3166, M49 011)")
    []
    """
    if not text:
        return []
    folded = text if text.isascii() else text.translate(_FOLD)
    found: list[Finding] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int) -> None:
        if any(start < e and s < end for s, e in taken):
            return
        taken.append((start, end))
        found.append(Finding(kind, start, end, text[start:end]))

    if "@" in folded:
        for m in _EMAIL.finditer(folded):
            add("e-mail", m.start(), m.end())
    for m in _PHONE.finditer(folded) if _SEVEN_DIGITS.search(folded) else ():
        candidate = m.group(0).rstrip(" -./(")
        if candidate.endswith(")") and candidate.count("(") < candidate.count(")"):
            candidate = candidate[:-1]
        if _is_phone(candidate):
            add("phone", m.start(), m.start() + len(candidate))
    for pattern, cues in _NAMES if _ANY_CUE.search(folded) else ():
        if any(c in folded for c in cues):
            for m in pattern.finditer(folded):
                add("name", m.start(1), m.end(1))
    return sorted(found, key=lambda f: f.start)


def marker(kind: str) -> str:
    """The text that takes the place of a finding of ``kind``.

    >>> marker("e-mail")
    '[redacted: e-mail]'
    """
    return f"[redacted: {kind}]"


def redact(text: str) -> str:
    """``text`` with each likely e-mail address, phone number and name replaced by its marker.

    Redacting twice gives what redacting once gives.

    >>> redact("Mme Dubois, dubois@example.fr")
    'Mme [redacted: name], [redacted: e-mail]'
    >>> redact(redact("Mme Dubois, dubois@example.fr")) == redact("Mme Dubois, dubois@example.fr")
    True
    """
    out, last = [], 0
    for f in find_pii(text):
        out += [text[last:f.start], marker(f.kind)]
        last = f.end
    return "".join(out) + text[last:] if out else text


def summarise(lines: list[str], limit: int = 10, what: str = "likely personal details") -> list[str]:
    """At most ``limit`` of ``lines``, then one line that says how many more there are.

    >>> summarise(["a", "b", "c"], limit=2)
    ['a', 'b', '... and 1 more likely personal details']
    """
    if len(lines) <= limit:
        return list(lines)
    return lines[:limit] + [f"... and {len(lines) - limit} more {what}"]
