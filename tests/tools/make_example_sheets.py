"""Write examples/example-contributions.{csv,xlsx} and examples/example-links.csv from example-session.ttl.

The sheets tell the same story as the Turtle file (76 contributions by P01-P16, 26 links) in the form a
facilitator fills in: one row per contribution, labels as participants would write them. Each factor's
contribution carries the factor's preferred label (as a facilitator writes the factor's name next to each card), so
`crimekg import` + `crimekg harmonize --yes` rebuild a comparable factor network.

    python tests/tools/make_example_sheets.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import rdflib
from rdflib import RDF, RDFS, SKOS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CKG = rdflib.Namespace("https://w3id.org/crimekg/ontology#")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
HEADERS = ["id", "text", "label", "kind", "category", "crime type", "actor", "level", "country or region",
           "local place", "exercise question", "group", "contributor code", "time", "topic", "addresses", "owner",
           "collection method", "sharing arrangement", "update frequency", "access", "effectiveness evidence"]
DETAILS = {"owner": CKG.owner, "collection method": CKG.collectionMethod, "sharing arrangement": CKG.sharingArrangement,
           "update frequency": CKG.updateFrequency, "access": CKG.access, "effectiveness evidence": CKG.effectivenessEvidence}
KIND = {"Factor": "factor", "Pattern": "pattern", "DataSource": "data source", "InformationGap": "information gap", "Response": "response"}


def main() -> None:
    g = rdflib.Graph().parse(EXAMPLES / "example-session.ttl")
    places = rdflib.Graph().parse(ROOT / "ontology" / "places.ttl")
    schemes = rdflib.Graph().parse(ROOT / "ontology" / "schemes.ttl")

    def pref(c):
        return str(schemes.value(c, SKOS.prefLabel) or "").lower() or str(c).rsplit("/", 1)[-1]

    def many(s, p, name=pref):
        return "; ".join(sorted(name(o) for o in g.objects(s, p)))

    def key(c):
        return str(c).rsplit("/", 1)[-1]

    label_of: dict = {}
    topics_of: dict = {}
    addresses_of: dict = {}
    details_of: dict = {}
    for f in g.subjects(RDF.type, CKG.Factor):
        cs = sorted(g.objects(f, PROV.wasDerivedFrom), key=key)
        cs = [c for c in cs if c not in label_of]
        if not cs:
            continue
        for c in cs:
            label_of[c] = str(g.value(f, SKOS.prefLabel))
    for kind in (CKG.Pattern, CKG.DataSource, CKG.InformationGap, CKG.Response):
        for item in g.subjects(RDF.type, kind):
            for c in g.objects(item, PROV.wasDerivedFrom):
                label_of[c] = str(g.value(item, RDFS.label))
                topics_of[c] = many(item, DCAT.theme) or many(item, CKG.topic)
                details_of[c] = {k: str(g.value(item, p) or "") for k, p in DETAILS.items()}
                addresses_of[c] = "; ".join(sorted(str(g.value(f, SKOS.prefLabel)) for f in g.objects(item, CKG.addresses)))
    rows = []
    for c in sorted(g.subjects(RDF.type, CKG.Contribution), key=key):
        who = g.value(c, PROV.wasAttributedTo)
        rows.append({
            "id": key(c),
            "text": str(g.value(c, CKG.text)),
            "label": label_of.get(c, ""),
            "kind": KIND[str(g.value(c, CKG.kind)).rsplit("#", 1)[-1]],
            "category": many(c, CKG.category),
            "crime type": many(c, CKG.crimeType),
            "actor": many(c, CKG.actor),
            "level": many(c, CKG.level),
            "country or region": many(c, CKG.place, lambda p: str(places.value(p, RDFS.label))),
            "local place": str(g.value(c, CKG.localPlace) or ""),
            "exercise question": str(g.value(c, CKG.question)).rsplit("/", 1)[-1],
            "group": str(g.value(c, CKG.group) or ""),
            "contributor code": str(g.value(who, CKG.contributorCode) or ""),
            "time": str(g.value(c, PROV.generatedAtTime) or ""),
            "topic": topics_of.get(c, ""),
            "addresses": addresses_of.get(c, ""),
            **details_of.get(c, dict.fromkeys(DETAILS, "")),
        })
    with (EXAMPLES / "example-contributions.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=HEADERS)
        w.writeheader()
        w.writerows(rows)

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Contributions"
    ws.append(HEADERS)
    for r in rows:
        ws.append([r[h] for h in HEADERS])
    wb.properties.creator = "crimekg"
    wb.save(EXAMPLES / "example-contributions.xlsx")

    links = []
    for link in g.subjects(RDF.type, CKG.FactorLink):
        strength = g.value(link, CKG.strength)
        links.append({
            "from": str(g.value(g.value(link, CKG.fromFactor), SKOS.prefLabel)),
            "relation": str(g.value(link, CKG.relation)).rsplit("/", 1)[-1],
            "to": str(g.value(g.value(link, CKG.toFactor), SKOS.prefLabel)),
            "polarity": "+" if str(g.value(link, CKG.polarity)).endswith("positive") else "-",
            "strength": str(strength) if strength is not None else "",
            "evidence": str(g.value(link, CKG.evidence) or ""),
        })
    links.sort(key=lambda r: (r["from"], r["relation"], r["to"]))
    with (EXAMPLES / "example-links.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["from", "relation", "to", "polarity", "strength", "evidence"])
        w.writeheader()
        w.writerows(links)


if __name__ == "__main__":
    main()
