"""Output formats: query rows and analysis rows as text for people, spreadsheets and other tools.

Every command that prints rows writes them here, so a table, a CSV file or a W3C results document
looks the same whichever command made it:

- :func:`format_rows`: plain values as an aligned ``table`` (display width, so Japanese, Chinese
  and other wide characters line up), ``csv``, ``tsv``, ``json``, ``jsonl`` or ``md``;
- :func:`w3c_select` and :func:`w3c_boolean`: the W3C SPARQL 1.1 results formats (JSON, XML,
  CSV, TSV) for rows of pyoxigraph terms;
- :func:`serialize_triples`: CONSTRUCT and DESCRIBE results as Turtle, N-Triples, JSON-LD or
  RDF/XML, with the workspace prefixes that the triples use;
- :func:`compact`, :func:`cell` and :func:`plain_value`: one term as ``prefix:name``, as a table
  cell, or as a plain Python value.

CSV and TSV are read by spreadsheets, which run a cell starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return as a formula: such a text cell is written with a leading apostrophe
(numbers are written as they are). The W3C formats are for other tools and keep every value.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import pyoxigraph as ox

from crimekg.graph.errors import InvalidInput
from crimekg.graph.sheets import spreadsheet_safe
from crimekg.graph.store import PREFIXES
from crimekg.graph.terms import SPARQL_RESULTS, XSD

__all__ = [
    "check_xml_characters",
    "TABLE_FORMATS",
    "RESULTS_FORMATS",
    "RDF_FORMATS",
    "FORMATS",
    "compact",
    "cell",
    "plain_value",
    "display_width",
    "format_rows",
    "markdown_table",
    "spreadsheet_safe",
    "serialize_triples",
    "w3c_select",
    "w3c_boolean",
]


#: Output formats for SELECT and ASK results meant for people and spreadsheets.
TABLE_FORMATS = ("table", "csv", "tsv", "json", "jsonl", "md")
#: W3C SPARQL 1.1 query results formats, for other tools.
RESULTS_FORMATS = {
    "sparql-json": ox.QueryResultsFormat.JSON,
    "sparql-xml": ox.QueryResultsFormat.XML,
    "sparql-csv": ox.QueryResultsFormat.CSV,
    "sparql-tsv": ox.QueryResultsFormat.TSV,
}
#: RDF formats for CONSTRUCT and DESCRIBE results.
RDF_FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "xml": ox.RdfFormat.RDF_XML,
}
FORMATS = (*TABLE_FORMATS, *RESULTS_FORMATS, *RDF_FORMATS)

_NS_BY_LENGTH = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))
_INTEGERS = {XSD + t for t in ("integer", "int", "long", "nonNegativeInteger", "positiveInteger")}


# -- one term --------------------------------------------------------------------------------------


def compact(iri: str) -> str:
    """An IRI as ``prefix:name`` with the workspace prefixes (unchanged when none fits).

    >>> compact("https://w3id.org/crimekg/data/factor/porous-borders")
    'factor:porous-borders'
    """
    for prefix, ns in _NS_BY_LENGTH:
        if iri.startswith(ns) and re.match(r"^[\w.-]*$", iri[len(ns):]):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def cell(t: Any) -> str:
    """A pyoxigraph term as a table cell: ``prefix:name`` for an IRI, ``_:id`` for a blank node, else its text.

    >>> cell(ox.NamedNode("https://w3id.org/crimekg/concept/category/impunity")), cell(ox.Literal("国境")), cell(None)
    ('category:impunity', '国境', '')
    """
    if t is None:
        return ""
    if isinstance(t, ox.NamedNode):
        return compact(t.value)
    if isinstance(t, ox.BlankNode):
        return f"_:{t.value}"
    return t.value


def plain_value(t: Any) -> Any:
    """A pyoxigraph term as a plain value: IRIs as strings, numbers as numbers, booleans as booleans.

    >>> plain_value(ox.Literal("3", datatype=ox.NamedNode(XSD + "integer"))), plain_value(ox.Literal("x"))
    (3, 'x')
    """
    if t is None:
        return None
    if isinstance(t, ox.NamedNode):
        return t.value
    if isinstance(t, ox.BlankNode):
        return f"_:{t.value}"
    dt = t.datatype.value if t.datatype is not None else ""
    try:
        if dt in _INTEGERS:
            return int(t.value)
        if dt == XSD + "decimal":
            return float(Decimal(t.value))
        if dt in (XSD + "double", XSD + "float"):
            return float(t.value)
        if dt == XSD + "boolean":
            return t.value in ("true", "1")
    except ValueError:
        pass
    return t.value


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1e6 else f"{v:.6g}"
    return str(v)


# -- display width ---------------------------------------------------------------------------------


def _char_width(ch: str) -> int:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    """How many terminal columns ``text`` takes: wide (CJK) characters two, combining marks none.

    >>> display_width("Nigeria"), display_width("国境管理"), display_width("ナイジェリア"), display_width("é")
    (7, 8, 12, 1)
    """
    return sum(_char_width(ch) for ch in unicodedata.normalize("NFC", text))


def _cut(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` columns, ending with an ellipsis when cut."""
    if display_width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = _char_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out).rstrip() + "…"


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * max(0, width - display_width(text))
    return fill + text if right else text + fill


# -- rows of plain values --------------------------------------------------------------------------


def _sheet_cell(value: str) -> str:
    # a lone carriage return would end the row for a reader: every line break is written as \n (and quoted)
    return spreadsheet_safe(value).replace("\r\n", "\n").replace("\r", "\n")


def markdown_table(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """The lines of a Markdown table of text cells (``|`` escaped, line breaks as spaces).

    >>> markdown_table(["a", "b"], [["x|y", "1"]])
    ['| a | b |', '|---|---|', '| x\\\\|y | 1 |']
    """
    def esc(v: str) -> str:
        return v.replace("\n", " ").replace("|", "\\|")

    lines = ["| " + " | ".join(esc(c) for c in columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return lines


def format_rows(columns: Sequence[str], rows: Iterable[Mapping[str, Any]], fmt: str = "table", *, max_width: int = 60) -> str:
    """Write rows of plain values as ``table``, ``csv``, ``tsv``, ``json``, ``jsonl`` or ``md``.

    A ``table`` is aligned for a terminal by display width (a Japanese or Chinese character takes
    two columns), numbers to the right, and cuts cells wider than ``max_width`` columns with an
    ellipsis (the other formats keep every character). In ``csv`` and ``tsv`` a text cell that a
    spreadsheet would run as a formula gets a leading apostrophe (see :func:`spreadsheet_safe`),
    and a carriage return is written as a line break.

    >>> print(format_rows(["factor", "score"], [{"factor": "Corruption", "score": 0.5}, {"factor": "汚職", "score": 1}]), end="")
    factor      score
    ----------  -----
    Corruption    0.5
    汚職            1
    """
    rows = list(rows)
    if fmt == "json":
        return json.dumps([{c: r.get(c) for c in columns} for r in rows], indent=2, ensure_ascii=False) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps({c: r.get(c) for c in columns}, ensure_ascii=False) + "\n" for r in rows)
    if fmt in ("csv", "tsv"):
        buf = io.StringIO()
        w = csv.writer(buf, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([_sheet_cell(v) if isinstance(v, str) else _text(v) for v in (r.get(c) for c in columns)])
        return buf.getvalue()
    cells = [[_text(r.get(c)).replace("\n", " ") for c in columns] for r in rows]
    if fmt == "md":
        return "\n".join(markdown_table(columns, cells)) + "\n"
    if fmt != "table":
        raise InvalidInput(f"unknown format {fmt!r}; use one of {', '.join(TABLE_FORMATS)}")
    if max_width:
        cells = [[_cut(c, max_width) for c in row] for row in cells]
    widths = [max([display_width(c)] + [display_width(row[i]) for row in cells]) for i, c in enumerate(columns)]
    numeric = [bool(rows) and all(isinstance(r.get(c), (int, float)) and not isinstance(r.get(c), bool) or r.get(c) is None for r in rows) for c in columns]

    def line(values: Sequence[str]) -> str:
        return "  ".join(_pad(v, w, num) for v, w, num in zip(values, widths, numeric)).rstrip()

    out = [line(list(columns)), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in cells]
    return "\n".join(out) + "\n"


# -- RDF terms: W3C results formats and RDF serialisations -----------------------------------------


def serialize_triples(triples: Sequence[Any], fmt: ox.RdfFormat) -> str:
    """Triples (pyoxigraph) as text in ``fmt``, declaring the workspace prefixes that they use."""
    used = set()
    for t in triples:
        for term in (t.subject, t.predicate, t.object):
            iri = term.value if isinstance(term, ox.NamedNode) else (term.datatype.value if isinstance(term, ox.Literal) and term.datatype else None)
            if iri:
                used.add(iri)
    prefixes = {p: ns for p, ns in PREFIXES.items() if any(u.startswith(ns) for u in used)}
    data = ox.serialize(triples, format=fmt, prefixes=prefixes if fmt != ox.RdfFormat.N_TRIPLES else None)
    return data.decode("utf-8")


def _json_term(t: Any) -> dict:
    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    d = {"type": "literal", "value": t.value}
    if t.language:
        d["xml:lang"] = t.language
    elif t.datatype and t.datatype.value != XSD + "string":
        d["datatype"] = t.datatype.value
    return d


def _xml_term(t: Any) -> str:
    from xml.sax.saxutils import escape, quoteattr

    if isinstance(t, ox.NamedNode):
        return f"<uri>{escape(t.value)}</uri>"
    if isinstance(t, ox.BlankNode):
        return f"<bnode>{escape(t.value)}</bnode>"
    if t.language:
        return f"<literal xml:lang={quoteattr(t.language)}>{escape(t.value)}</literal>"
    if t.datatype and t.datatype.value != XSD + "string":
        return f"<literal datatype={quoteattr(t.datatype.value)}>{escape(t.value)}</literal>"
    return f"<literal>{escape(t.value)}</literal>"


def w3c_select(variables: Sequence[str], rows: Sequence[tuple], fmt: ox.QueryResultsFormat) -> str:
    """SELECT rows of pyoxigraph terms (None where unbound) in a W3C SPARQL 1.1 results format.

    >>> w3c_select(["x"], [(ox.Literal("国"),)], ox.QueryResultsFormat.CSV)
    'x\\r\\n国\\r\\n'
    """
    from xml.sax.saxutils import quoteattr

    if fmt == ox.QueryResultsFormat.JSON:
        bindings = [{v: _json_term(t) for v, t in zip(variables, r) if t is not None} for r in rows]
        return json.dumps({"head": {"vars": list(variables)}, "results": {"bindings": bindings}})
    if fmt == ox.QueryResultsFormat.CSV:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(variables)
        for r in rows:
            w.writerow(["" if t is None else (f"_:{t.value}" if isinstance(t, ox.BlankNode) else t.value) for t in r])
        return buf.getvalue()
    if fmt == ox.QueryResultsFormat.TSV:
        lines = ["\t".join("?" + v for v in variables)]
        lines += ["\t".join("" if t is None else str(t) for t in r) for r in rows]
        return "\n".join(lines) + "\n"
    out = ['<?xml version="1.0"?><sparql xmlns="' + SPARQL_RESULTS + '"><head>']
    out += [f"<variable name={quoteattr(v)}/>" for v in variables]
    out.append("</head><results>")
    for r in rows:
        out.append("<result>")
        out += [f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>" for v, t in zip(variables, r) if t is not None]
        out.append("</result>")
    out.append("</results></sparql>")
    return "".join(out)


def w3c_boolean(answer: bool | None, fmt: ox.QueryResultsFormat) -> str:
    """An ASK answer in a W3C SPARQL 1.1 results format.

    >>> w3c_boolean(True, ox.QueryResultsFormat.JSON)
    '{"head": {}, "boolean": true}'
    """
    value = "true" if answer else "false"
    if fmt == ox.QueryResultsFormat.JSON:
        return json.dumps({"head": {}, "boolean": bool(answer)})
    if fmt == ox.QueryResultsFormat.XML:
        return f'<?xml version="1.0"?><sparql xmlns="{SPARQL_RESULTS}"><head></head><boolean>{value}</boolean></sparql>'
    return value + "\n"


#: Characters XML 1.0 cannot hold, even escaped (C0 controls but tab, line feed and carriage return; U+FFFE, U+FFFF).
_NOT_XML = None


def check_xml_characters(data: bytes, what: str = "RDF/XML", where: str = "the export",
                         instead: str = "export as Turtle, N-Triples or JSON-LD") -> None:
    """Refuse XML (RDF/XML, SPARQL XML results) that holds a character XML cannot (a control
    character pasted into a sheet's cell is stored as it is, and Turtle, N-Triples and JSON-LD carry
    it): the file would not parse. ``what``, ``where`` and ``instead`` word the message.

    >>> check_xml_characters('<a>国境</a>'.encode())
    >>> check_xml_characters(b'<rdf:Description rdf:about="urn:x"><t>a\x01b</t>')
    Traceback (most recent call last):
    crimekg.graph.errors.InvalidInput: RDF/XML cannot hold the control character U+0001 that a value of <urn:x> holds (line 1 of the export): export as Turtle, N-Triples or JSON-LD, which can, or import the value again without it
    """
    import re

    global _NOT_XML
    if _NOT_XML is None:
        _NOT_XML = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")
    m = _NOT_XML.search(data)
    if m is None:
        return
    about = re.findall(rb'rdf:(?:about|nodeID)="([^"]*)"', data[: m.start()])
    holder = f" that a value of <{about[-1].decode('utf-8', 'replace')}> holds" if about else ""
    line = data.count(b"\n", 0, m.start()) + 1
    raise InvalidInput(
        f"{what} cannot hold the control character U+{ord(m.group().decode('utf-8')):04X}{holder} "
        f"(line {line} of {where}): {instead}, which can, or import the value again without it"
    )
