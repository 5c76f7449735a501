"""Names and labels: the one ``slugify``, the IRIs of the participant layer, and language tags.

An IRI made from a label stays distinct for distinct labels in any script, and the same label
always gives the same IRI (see :func:`slugify`). A label says its language: :func:`language_tag`
reads one a user gives, :func:`script_language` recognises one from the script the text is
written in, and :func:`text_literal` makes the tagged literal.

This module imports no RDF library at load time (rdflib is imported by the functions that build
rdflib terms), so the fast N-Triples paths can use :func:`slugify` too.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections import Counter
from typing import TYPE_CHECKING

from crimekg import ontology

if TYPE_CHECKING:  # pragma: no cover
    from rdflib import Literal, URIRef

__all__ = [
    "slugify",
    "slug_has_digest",
    "session_iri",
    "contribution_iri",
    "participant_iri",
    "factor_iri",
    "item_iri",
    "link_iri",
    "ITEM_PATHS",
    "language_tag",
    "script_language",
    "text_literal",
    "text_language",
    "CKG", "CONCEPT", "RESOURCE", "PLACE", "DATA", "GRAPH", "SESSION",
    "RDF", "RDF_TYPE", "RDFS", "OWL", "XSD", "SKOS", "PROV", "DCT", "DCAT", "QB", "SH", "FOAF", "GEO",
    "VOID", "SD", "SPARQL_RESULTS",
    "CKG_NS", "PROV_NS", "DCT_NS", "DCAT_NS",
]

# ------------------------------------------------------------------------------------------------
# namespaces: every vocabulary IRI base the code spells, in one place. crimekg's own bases come
# from the ontology package; the others are the W3C and community vocabularies the graph uses.
# They are plain strings (for N-Triples and SPARQL text); the ``*_NS`` names are the same bases as
# ``rdflib.Namespace`` objects, built on first use so that importing this module loads no rdflib.

CKG = ontology.CKG
CONCEPT = ontology.CONCEPT
RESOURCE = ontology.RESOURCE
PLACE = ontology.PLACE
DATA = ontology.DATA
GRAPH = ontology.GRAPH
SESSION = ontology.SESSION

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE = RDF + "type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
QB = "http://purl.org/linked-data/cube#"
SH = "http://www.w3.org/ns/shacl#"
FOAF = "http://xmlns.com/foaf/0.1/"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
VOID = "http://rdfs.org/ns/void#"
SD = "http://www.w3.org/ns/sparql-service-description#"
SPARQL_RESULTS = "http://www.w3.org/2005/sparql-results#"

_RDFLIB_NAMESPACES = {"CKG_NS": CKG, "PROV_NS": PROV, "DCT_NS": DCT, "DCAT_NS": DCAT}


def __getattr__(name: str):
    """The ``*_NS`` constants: ``rdflib.Namespace`` objects, made (once) when first asked for.

    >>> from crimekg.graph.terms import PROV_NS
    >>> str(PROV_NS.wasDerivedFrom), isinstance(PROV_NS, str)
    ('http://www.w3.org/ns/prov#wasDerivedFrom', True)
    """
    if name in _RDFLIB_NAMESPACES:
        import rdflib

        value = globals()[name] = rdflib.Namespace(_RDFLIB_NAMESPACES[name])
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_HASH_LENGTH = 8


# ------------------------------------------------------------------------------------------------
# slugs


def _lossy(text: str) -> bool:
    """True when folding to ASCII would drop a letter or digit (not just accents or punctuation)."""
    return any(not ch.isascii() and unicodedata.category(ch)[0] in "LN" for ch in unicodedata.normalize("NFKD", text))


def slug_has_digest(text: str) -> bool:
    """Whether :func:`slugify` gives ``text`` a digest (text a Latin slug would lose letters of).

    >>> slug_has_digest("Ciudadanos de su país"), slug_has_digest("ルート")
    (False, True)
    """
    return _lossy(str(text))


def _ascii_slug(text: str, max_length: int | None) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if max_length is not None and len(slug) > max_length:
        cut = slug[:max_length]
        slug = cut.rsplit("-", 1)[0] if "-" in cut[max_length // 2:] else cut
    return slug


def slugify(text: str, max_length: int | None = 60, empty: str = "item") -> str:
    """Return a lowercase ASCII slug of ``text`` for an IRI path segment.

    The rule has two branches, so that slugs made before labels in every script were supported
    keep their value:

    - **Latin text** (every letter and digit survives dropping accents: ASCII, ``é``, ``ñ``, ``ü``,
      ``ç``...): accents and every other character that is not ASCII are dropped, runs of anything
      but ``a-z0-9`` become one ``-``, and the slug is cut at a ``-`` to at most ``max_length``
      characters. Nothing left gives ``empty``.
    - **Any other text** (a letter or digit would be lost: Japanese, Chinese, Russian, Arabic,
      Thai..., or Latin letters such as ``ß``, ``ø``, ``ł`` that have no accent to drop): the text
      is transliterated with ``anyascii``, slugged the same way, and followed by ``-`` and the
      first 8 hex digits of the SHA-1 of the text (Unicode NFC, spaces collapsed), so distinct
      labels never share a slug however they transliterate. The whole stays within ``max_length``.

    Latin text::

    >>> slugify("Corruption of border, police & port officials")
    'corruption-of-border-police-port-officials'
    >>> slugify("Ciudadanos de su país")
    'ciudadanos-de-su-pais'
    >>> slugify("???"), slugify("", empty="unspecified")
    ('item', 'unspecified')

    Other scripts (the same text always gives the same slug)::

    >>> slugify("国境管理の脆弱さ")
    'guojingguanlinocuiruosa-e79aed4c'
    >>> slugify("腐败的边境官员")
    'fubaidebianjingguanyuan-c182b3a1'
    >>> slugify("Коррумпированные пограничники")
    'korrumpirovannye-pogranichniki-9652cc81'
    >>> slugify("مسؤولو الحدود الفاسدون")
    'msu-wlw-lhdwd-lfsdwn-9bc0e069'
    >>> slugify("การทุจริตของเจ้าหน้าที่")
    'karthuchritkhongechahnathi-da071c4c'
    >>> slugify("Straße"), slugify("Strasse")
    ('strasse-880c6886', 'strasse')
    """
    text = str(text)
    if text.isascii():  # nothing to fold
        return _ascii_slug(text, max_length) or empty
    if not _lossy(text):
        ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
        return _ascii_slug(ascii_text, max_length) or empty
    from anyascii import anyascii

    exact = unicodedata.normalize("NFC", " ".join(text.split()))
    digest = hashlib.sha1(exact.encode("utf-8")).hexdigest()[:_HASH_LENGTH]
    room = None if max_length is None else max(max_length - _HASH_LENGTH - 1, 1)
    body = _ascii_slug(anyascii(exact), room) or empty
    return f"{body}-{digest}"


# ------------------------------------------------------------------------------------------------
# IRIs of the participant layer

#: Kind of contribution -> the path segment of the items derived from it.
ITEM_PATHS = {"Factor": "factor", "Pattern": "pattern", "DataSource": "source", "InformationGap": "gap", "Response": "response"}


def _iri(value: str) -> URIRef:
    from rdflib import URIRef

    return URIRef(value)


def session_iri(session_id: str) -> URIRef:
    """IRI of a session as held.

    >>> str(session_iri("example-2026"))
    'https://w3id.org/crimekg/session/example-2026'
    """
    return _iri(ontology.SESSION + session_id)


def contribution_iri(session_id: str, key: str) -> URIRef:
    """IRI of a contribution.

    >>> str(contribution_iri("example-2026", "2a-01"))
    'https://w3id.org/crimekg/data/contribution/example-2026/2a-01'
    """
    return _iri(f"{ontology.DATA}contribution/{session_id}/{key}")


def participant_iri(session_id: str, code: str) -> URIRef:
    """IRI of a participant of a session, known only by a pseudonymous code.

    >>> str(participant_iri("example-2026", "P07"))
    'https://w3id.org/crimekg/data/participant/example-2026/P07'
    """
    return _iri(f"{ontology.DATA}participant/{session_id}/{code}")


def factor_iri(slug: str) -> URIRef:
    """IRI of a factor from its slug (see :func:`slugify`).

    >>> str(factor_iri("porous-borders"))
    'https://w3id.org/crimekg/data/factor/porous-borders'
    """
    return item_iri("Factor", slug)


def item_iri(kind: str, slug: str) -> URIRef:
    """IRI of an item derived from contributions: ``kind`` is ``Factor``, ``Pattern``, ``DataSource``...

    >>> str(item_iri("DataSource", "police-case-database"))
    'https://w3id.org/crimekg/data/source/police-case-database'
    """
    return _iri(f"{ontology.DATA}{ITEM_PATHS[kind]}/{slug}")


def _last_segment(iri: str) -> str:
    return str(iri).rstrip("/").rsplit("/", 1)[-1]


def link_iri(source: str, relation: str, target: str) -> URIRef:
    """IRI of a factor link, from the last path segments of its ends and relation.

    >>> str(link_iri(factor_iri("a"), "https://w3id.org/crimekg/concept/relation/enables", factor_iri("b")))
    'https://w3id.org/crimekg/data/link/a--enables--b'
    """
    return _iri(f"{ontology.DATA}link/{_last_segment(source)}--{_last_segment(relation)}--{_last_segment(target)}")

# ------------------------------------------------------------------------------------------------
# evidence IRIs (plain strings: the evidence writers build N-Triples text from them)

def concept(scheme: str, slug: str) -> str:
    """Return the IRI of a concept.

    >>> concept("sex", "female")
    'https://w3id.org/crimekg/concept/sex/female'
    """
    return f"{CONCEPT}{scheme}/{slug}"


def observation_iri(source: str, *parts: str) -> str:
    """Return an observation's IRI, built from its source and its dimension values (stable).

    >>> observation_iri("glotip", "AGO", "2017", "persons-convicted")
    'https://w3id.org/crimekg/data/observation/glotip/AGO/2017/persons-convicted'
    """
    return f"{DATA}observation/{source}/" + "/".join(parts)


def flow_iri(origin: str, destination: str) -> str:
    """Return the IRI of the flow between two places given by their last IRI segment or code.

    >>> flow_iri("NGA", "ITA")
    'https://w3id.org/crimekg/data/flow/NGA--ITA'
    """
    return f"{DATA}flow/{origin}--{destination}"


def structure_iri(name: str) -> str:
    """The IRI of a data structure definition (declared in the ontology).

    >>> structure_iri("glotip")
    'https://w3id.org/crimekg/resource/structure/glotip'
    """
    return f"{RESOURCE}structure/{name}"


def dataset_iri(source: str) -> str:
    """The IRI of an imported dataset (one per source: a newer export replaces it).

    >>> dataset_iri("glotip")
    'https://w3id.org/crimekg/resource/dataset/glotip'
    """
    return f"{RESOURCE}dataset/{source}"


def quality_graph(source: str) -> str:
    """The IRI of the graph holding a source's data-quality report.

    >>> quality_graph("glotip")
    'https://w3id.org/crimekg/graph/quality/glotip'
    """
    return f"{GRAPH}quality/{source}"


def report_iri(source: str) -> str:
    """The IRI of a source's data-quality report.

    >>> report_iri("iom")
    'https://w3id.org/crimekg/resource/dataset/iom/quality'
    """
    return f"{dataset_iri(source)}/quality"


# ------------------------------------------------------------------------------------------------
# language tags

_TAG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$")
#: Names and three-letter codes a user may give for a language, and the tag each means.
_LANGUAGE_NAMES = {
    "english": "en", "eng": "en", "french": "fr", "francais": "fr", "fra": "fr", "spanish": "es", "espanol": "es",
    "spa": "es", "russian": "ru", "русский": "ru", "rus": "ru", "arabic": "ar", "العربية": "ar", "ara": "ar",
    "chinese": "zh", "中文": "zh", "汉语": "zh", "zho": "zh", "japanese": "ja", "日本語": "ja", "jpn": "ja",
    "korean": "ko", "한국어": "ko", "kor": "ko", "thai": "th", "ไทย": "th", "tha": "th", "portuguese": "pt",
    "portugues": "pt", "por": "pt", "german": "de", "deutsch": "de", "deu": "de",
}
#: Country codes often given for a language, with no language of their own: the code meant.
_COUNTRY_NOT_LANGUAGE = {"jp": "ja", "cn": "zh", "ua": "uk", "gr": "el", "dk": "da", "cz": "cs", "vn": "vi", "il": "he"}


def _fold_name(text: str) -> str:
    out: list[str] = []
    for ch in unicodedata.normalize("NFKD", text.lower()):
        if unicodedata.combining(ch) and (not out or out[-1].isascii()):
            continue  # an accent on a Latin letter: "Español" is "espanol"
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def language_tag(value: str) -> str:
    """Return the BCP 47 language tag ``value`` means, lowercased (as Oxigraph stores it).

    A tag (``ja``, ``zh-Hant``, ``pt_BR``), an English or own name of a common language
    (``Japanese``, ``日本語``, ``español``) or an ISO 639-2 code (``jpn``). Anything else raises
    ``ValueError`` with a hint.

    >>> language_tag("ja"), language_tag("zh-Hant"), language_tag("pt_BR"), language_tag("Español")
    ('ja', 'zh-hant', 'pt-br', 'es')
    >>> language_tag("jp")
    Traceback (most recent call last):
    ...
    ValueError: "jp" is a country code, not a language; Japanese is "ja"
    """
    raw = " ".join(str(value).split())
    name = _LANGUAGE_NAMES.get(_fold_name(raw))
    if name:
        return name
    tag = raw.lower().replace("_", "-")
    if tag in _COUNTRY_NOT_LANGUAGE:
        meant = _COUNTRY_NOT_LANGUAGE[tag]
        names = {v: k for k, v in _LANGUAGE_NAMES.items() if k.isascii() and len(k) > 3}
        what = names.get(meant, meant).capitalize()
        raise ValueError(f'"{raw}" is a country code, not a language; {what} is "{meant}"')
    if not _TAG.match(tag):
        raise ValueError(f'"{raw}" is not a language: give a code such as ja, zh, ru, ar, th, es or en')
    return tag


#: Scripts recognised by :func:`script_language`: (first, last code point, script).
_SCRIPT_RANGES = [
    (0x0370, 0x03FF, "Greek"), (0x1F00, 0x1FFF, "Greek"),
    (0x0400, 0x052F, "Cyrillic"), (0x0530, 0x058F, "Armenian"), (0x0590, 0x05FF, "Hebrew"),
    (0x0600, 0x06FF, "Arabic"), (0x0750, 0x077F, "Arabic"), (0x08A0, 0x08FF, "Arabic"),
    (0x0E00, 0x0E7F, "Thai"), (0x0E80, 0x0EFF, "Lao"), (0x10A0, 0x10FF, "Georgian"),
    (0x1100, 0x11FF, "Hangul"), (0x1780, 0x17FF, "Khmer"),
    (0x3040, 0x309F, "Kana"), (0x30A0, 0x30FF, "Kana"), (0x31F0, 0x31FF, "Kana"),
    (0x3130, 0x318F, "Hangul"), (0x3400, 0x4DBF, "Han"), (0x3005, 0x3007, "Han"), (0x4E00, 0x9FFF, "Han"),
    (0xAC00, 0xD7AF, "Hangul"), (0xF900, 0xFAFF, "Han"), (0x20000, 0x323AF, "Han"),
]
#: Script -> the language its text is taken to be in when nobody says (see :func:`script_language`).
SCRIPT_LANGUAGES = {
    "Japanese": "ja", "Han": "zh", "Hangul": "ko", "Thai": "th", "Lao": "lo", "Khmer": "km", "Arabic": "ar",
    "Cyrillic": "ru", "Greek": "el", "Hebrew": "he", "Georgian": "ka", "Armenian": "hy",
}
_RUSSIAN = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
_ARABIC = {chr(c) for c in range(0x0621, 0x064B)}  # the Arabic alphabet proper (hamza to yaa, with tatweel)


@functools.lru_cache(maxsize=65_536)
def _script(ch: str) -> str:
    """The script of one letter (cached: a text repeats its letters, a sheet its scripts)."""
    if ch.isascii() or "LATIN" in unicodedata.name(ch, ""):
        return "Latin"
    c = ord(ch)
    for lo, hi, script in _SCRIPT_RANGES:
        if lo <= c <= hi:
            return script
    return "Other"


def script_language(text: str) -> str | None:
    """The language tag a text's script tells, or None when the script does not tell one.

    The script most of the letters are written in decides (Latin letters count only when no other
    script is present: Latin text is left untagged, as its language is not known):

    - Hiragana or Katakana anywhere with Han: ``ja``; Han alone: ``zh`` (kanji-only Japanese text
      needs its language given);
    - Hangul ``ko``, Thai ``th``, Lao ``lo``, Khmer ``km``, Greek ``el``, Hebrew ``he``, Georgian
      ``ka``, Armenian ``hy``;
    - Cyrillic ``ru`` when every letter is in the Russian alphabet (Ukrainian, Serbian, Kazakh...
      letters leave it unknown); Arabic ``ar`` when every letter is in the Arabic alphabet
      (Persian or Urdu letters leave it unknown);
    - anything else: None.

    ASCII text is Latin at once; other text is looked at once per distinct text (a label is
    usually its contribution's text again).

    >>> [script_language(t) for t in ("国境管理の脆弱さ", "腐败的边境官员", "인신매매", "การค้ามนุษย์",
    ...                                "Коррупция", "Корупція", "الفساد", "فساد اداری", "Porous borders")]
    ['ja', 'zh', 'ko', 'th', 'ru', None, 'ar', None, None]
    """
    text = str(text)
    if text.isascii():  # every ASCII letter is Latin: no language to tell
        return None
    return _script_language(text)


@functools.lru_cache(maxsize=4_096)
def _script_language(text: str) -> str | None:
    letters = [ch for ch in unicodedata.normalize("NFKC", text) if ch.isalpha()]
    counts: Counter[str] = Counter(map(_script, letters))
    if counts["Kana"]:  # kana tell Japanese; the kanji around them are Japanese too
        counts["Japanese"] = counts.pop("Kana") + counts.pop("Han", 0)
    for unknown in ("Kana", "Latin", "Other"):
        counts.pop(unknown, None)
    if not counts:
        return None
    script = max(sorted(counts), key=lambda s: counts[s])
    if script in ("Cyrillic", "Arabic"):
        alphabet = _RUSSIAN if script == "Cyrillic" else _ARABIC
        if not {ch.lower() for ch in letters if _script(ch) == script} <= alphabet:
            return None
    return SCRIPT_LANGUAGES.get(script)


def text_literal(text: str, language: str | None = None) -> Literal:
    """A literal of ``text`` tagged with ``language``, else with the language its script tells.

    >>> text_literal("人身取引の被害者", None).language, text_literal("Porous borders").language
    ('ja', None)
    >>> text_literal("Fronteras porosas", "es").language
    'es'
    """
    from rdflib import Literal

    lang = text_language(text, language)
    return Literal(text, lang=lang) if lang else Literal(text)


def text_language(text: str, language: str | None = None) -> str | None:
    """The tag :func:`text_literal` gives ``text``: ``language``, else the one its script tells.

    >>> text_language("Коррупция"), text_language("Коррупция", "uk"), text_language("Porous borders")
    ('ru', 'uk', None)
    """
    return language or script_language(text)
