"""Write ontology/places.ttl: every ISO 3166-1 country or territory and the UN M49 regions above it.

Usage (from the repository root, with the shared data checked out next to it)::

    python tests/tools/make_places.py [--ctdc PATH] [-o ontology/places.ttl]

Names and codes come from pycountry (ISO 3166-1); each country's names in the six UN languages
and in Japanese, Italian, Portuguese and German come from the Unicode CLDR (the ``babel`` package)
and are written as ``skos:altLabel`` with a language tag; misspellings and demonyms met in the
sources (``HIDDEN_LABELS``) are written as ``skos:hiddenLabel``. babel is needed only here, when
the file is generated (it is in the ``test`` extra). Each country's M49 region is read from the
"Region" sheet of the CTDC 2021 k-anon data dictionary (columns ISO2, ISO3, Country,
Countrydescription, UNRegion, UNSubRegion, IOMRegion), then mapped to M49 codes with the tables
below, which follow the UN Statistics Division's "Standard country or area codes for statistical
use" (M49, https://unstats.un.org/unsd/methodology/m49/). Where the CTDC sheet is wrong, empty
or silent about a territory, ``CORRECTIONS`` says what M49 assigns instead and why.

The output is committed; nothing reads the source data set at run time. The script writes the same bytes
for the same inputs (subjects, predicates and objects sorted), and refuses to write if any
country lacks a region, an M49 code is unknown, or an alternative name would point at two places.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CTDC = (
    ROOT.parent
    / "shared"
    / "data"
    / "ctdc-codebooks"
    / "CTDC Global K-anon Dataset DATA DICTIONARY version 20210825.xlsx"
)
DEFAULT_OUTPUT = ROOT / "ontology" / "places.ttl"
PLACE = "https://w3id.org/crimekg/place/"

#: M49 geographic regions: code -> (English name as M49 writes it, parent code or None).
#: World > 5 regions > subregions > intermediate regions (only Sub-Saharan Africa, Latin America
#: and the Caribbean and Northern Europe have intermediate regions).
REGIONS: dict[str, tuple[str, str | None]] = {
    "001": ("World", None),
    "002": ("Africa", "001"),
    "015": ("Northern Africa", "002"),
    "202": ("Sub-Saharan Africa", "002"),
    "014": ("Eastern Africa", "202"),
    "017": ("Middle Africa", "202"),
    "018": ("Southern Africa", "202"),
    "011": ("Western Africa", "202"),
    "019": ("Americas", "001"),
    "419": ("Latin America and the Caribbean", "019"),
    "029": ("Caribbean", "419"),
    "013": ("Central America", "419"),
    "005": ("South America", "419"),
    "021": ("Northern America", "019"),
    "142": ("Asia", "001"),
    "143": ("Central Asia", "142"),
    "030": ("Eastern Asia", "142"),
    "035": ("South-eastern Asia", "142"),
    "034": ("Southern Asia", "142"),
    "145": ("Western Asia", "142"),
    "150": ("Europe", "001"),
    "151": ("Eastern Europe", "150"),
    "154": ("Northern Europe", "150"),
    "830": ("Channel Islands", "154"),
    "039": ("Southern Europe", "150"),
    "155": ("Western Europe", "150"),
    "009": ("Oceania", "001"),
    "053": ("Australia and New Zealand", "009"),
    "054": ("Melanesia", "009"),
    "057": ("Micronesia", "009"),
    "061": ("Polynesia", "009"),
}

#: Other spellings of region names met in the sources (CTDC, GLOTIP, IOM, common usage).
REGION_ALT_LABELS: dict[str, list[str]] = {
    "017": ["Central Africa"],
    "034": ["South Asia"],
    "035": ["South-Eastern Asia", "South-East Asia", "Southeast Asia"],
    "202": ["Sub Saharan Africa", "Subsaharan Africa"],
    "419": ["Latin America & the Caribbean"],
    "019": ["The Americas"],
}

#: CTDC UNSubRegion names -> the lowest M49 region they denote (subregion or intermediate region).
CTDC_SUBREGIONS = {
    name: code for code, (name, _parent) in REGIONS.items() if code not in {"001", "002", "019", "142", "150", "009"}
} | {"South-Eastern Asia": "035"}

#: Where M49 differs from (or is missing in) the CTDC sheet, keyed by ISO3: (M49 region code, why).
CORRECTIONS: dict[str, tuple[str | None, str]] = {
    "JEY": ("830", "CTDC says Eastern Europe and has no ISO3; M49 puts Jersey in the Channel Islands"),
    "GGY": ("830", "missing from CTDC; M49 puts Guernsey in the Channel Islands"),
    "IMN": ("154", "missing from CTDC; M49: Northern Europe"),
    "ALA": ("154", "missing from CTDC; M49: Northern Europe"),
    "BLM": ("029", "missing from CTDC; M49: Caribbean"),
    "BES": ("029", "missing from CTDC; M49: Caribbean"),
    "BVT": ("005", "CTDC NULL; M49: South America"),
    "SGS": ("005", "CTDC NULL; M49: South America"),
    "CCK": ("053", "CTDC NULL; M49: Australia and New Zealand"),
    "CXR": ("053", "CTDC NULL; M49: Australia and New Zealand"),
    "HMD": ("053", "CTDC NULL; M49: Australia and New Zealand"),
    "IOT": ("014", "CTDC NULL; M49: Eastern Africa"),
    "ATF": ("014", "CTDC NULL; M49: Eastern Africa"),
    "UMI": ("057", "CTDC NULL; M49: Micronesia"),
    "ATA": (None, "M49 assigns Antarctica (010) to no region: it sits directly under World"),
}

#: Places with an M49 code but no ISO 3166-1 code. GLOTIP reports Sark with an empty ISO3.
NON_ISO_AREAS = {"680": ("Sark", "830")}

#: Display labels where ISO's inverted short name reads badly ("Congo, The Democratic Republic of the").
LABELS = {
    "COD": "Democratic Republic of the Congo",
    "FSM": "Micronesia (Federated States of)",
    "PSE": "State of Palestine",
    "VGB": "British Virgin Islands",
    "VIR": "United States Virgin Islands",
}

#: Names in the CTDC sheet too vague to name one place ("Virgin Islands": British or U.S.?).
AMBIGUOUS_NAMES = {"Virgin Islands"}

#: UN M49 and UNODC spellings that pycountry does not give, plus names in common use.
#: Each must name exactly one country (checked below).
EXTRA_NAMES: dict[str, list[str]] = {
    "BOL": ["Bolivia (Plurinational State of)"],
    "CIV": ["Côte d’Ivoire", "Cote d'Ivoire", "Ivory Coast"],
    "COD": ["Democratic Republic of the Congo", "DR Congo", "Congo (Democratic Republic of the)"],
    "COG": ["Republic of the Congo", "Congo-Brazzaville"],
    "CPV": ["Cape Verde"],
    "CZE": ["Czech Republic"],
    "FSM": ["Micronesia (Federated States of)"],
    "GBR": ["United Kingdom of Great Britain and Northern Ireland", "UK", "Great Britain"],
    "HKG": ["China, Hong Kong Special Administrative Region", "China, Hong Kong SAR"],
    "IRN": ["Iran (Islamic Republic of)"],
    "KOR": ["Republic of Korea"],
    "LAO": ["Laos"],
    "MAC": ["China, Macao Special Administrative Region", "China, Macao SAR", "Macau"],
    "MDA": ["Republic of Moldova"],
    "MKD": ["The former Yugoslav Republic of Macedonia"],
    "MMR": ["Burma"],
    "NLD": ["Netherlands (Kingdom of the)", "The Netherlands"],
    "PSE": ["State of Palestine", "Palestine"],
    "RUS": ["Russia"],
    "SWZ": ["Swaziland"],
    "SYR": ["Syria"],
    "TLS": ["East Timor"],
    "TUR": ["Turkey", "Turkiye"],
    "TWN": ["China, Taiwan Province of China"],
    "TZA": ["United Republic of Tanzania"],
    "USA": ["United States of America", "USA"],
    "VAT": ["Holy See", "Vatican City"],
    "VEN": ["Venezuela (Bolivarian Republic of)"],
    "VGB": ["British Virgin Islands"],
    "VIR": ["United States Virgin Islands"],
    "VNM": ["Vietnam"],
    "WLF": ["Wallis and Futuna Islands"],
}


#: Languages of the CLDR country names written as skos:altLabel: the six UN languages (ar, zh, en,
#: fr, ru, es), Japanese, and the languages other than English that GLOTIP's citizenship column uses.
LANGUAGES = ["ar", "zh", "en", "fr", "ru", "es", "ja", "it", "pt", "de"]

#: Misspellings, demonyms and local spellings that the sources write for a country (found by
#: importing the GLOTIP, CTDC, IOM and Frontex files and listing the names that matched no place).
#: Each must lead to one country once folded (case, accents, punctuation): checked below.
HIDDEN_LABELS: dict[str, list[str]] = {
    "AFG": ['Afghan', 'Afghani'],
    "AGO": ['Angolan', 'Angolans'],
    "ALB": ['Abania', 'Albanian', 'Albanians'],
    "ARE": ['Emirati (UAE)', 'UAE'],
    "ARG": ['Argentinian', 'Argentino'],
    "ARM": ['Armenians'],
    "AUS": ['Australian', 'Australians'],
    "AUT": ['Austrians'],
    "AZE": ['Azerbaijani'],
    "BDI": ['Burundean', 'Burundians'],
    "BEL": ['Belga'],
    "BEN": ['Benin Rep', 'Beninoise'],
    "BFA": ['Burkinabe'],
    "BGD": ['Bangladeshi'],
    "BGR": ['Bulgarian'],
    "BIH": ['B & H', 'Bosnia', 'Bosnia Erzegovina', 'Bosnia and Herzegowina', 'Bosnia i Herzegovinia', 'Bosnian'],
    "BLR": ['Byelorussian'],
    "BLZ": ['Beliceña', 'Belizean', 'Belizeean'],
    "BOL": ['Bolivia', 'Bolivian', 'Boliviana', 'Bolivians'],
    "BRA": ['BARSIL', 'Brasil', 'Brasilera', 'Brasilero', 'Brazilian', 'Brésilien'],
    "BTN": ['Bhuatnese', 'Bhutanese'],
    "BWA": ['Botzwana'],
    "CAF": ['CAR', 'Centrel African Republic'],
    "CAN": ['Canadians'],
    "CHL": ['Chilean'],
    "CHN": ['Chines', 'Chinese', 'Chiness', 'Chino', 'Cina Popolare'],
    "CIV": ['Cote D Ivoire', 'Ivory Coast'],
    "CMR": ['Cameroonian', 'Cameroun'],
    "COD": ['Congolese (DRC)', 'Democratic Kongo', 'Dr Kongo', 'RDC'],
    "COL": ['Colombian', 'Colombiana', 'Colombiano', 'Columbia'],
    "COM": ['Comorian islands'],
    "CPV": ['Cabo Verde', 'Cape Ver'],
    "CUB": ['Cuban', 'Cubana', 'Cubano', 'Cubans'],
    "CYP": ['Cypriot'],
    "CZE": ['Czech', 'Czech Rep', 'Czeck Republic', 'República Checa', 'République tchèque'],
    "DEU": ['Alemania', 'German', 'Germans'],
    "DJI": ['Djiboutean'],
    "DNK": ['Danish'],
    "DOM": ['Dominican Rebublic', 'Dominican Rep', 'Dominicana', 'R Dominicana', 'Rep. Dominicana', 'Republica Dominicana'],
    "DZA": ['Algerian', 'Algerians'],
    "ECU": ['Ecuadorean', 'Ecuatoriana'],
    "EGY": ['EGYBT', 'Egyptian'],
    "ERI": ['Erithera', 'Eritrean', 'Eritreja'],
    "ESP": ['Spania', 'Spanish'],
    "EST": ['Estonians'],
    "ETH": ['Ethiopian', 'Ethopia'],
    "FIN": ['Finns'],
    "FJI": ['Fijian'],
    "FRA": ['Francais', 'French'],
    "GBR": ['British', 'UK', 'United Kingdom'],
    "GEO": ['Georgian'],
    "GHA": ['Ghanaian', 'Ghanean'],
    "GIN": ['Guinea Conakry', 'Guinean', 'Guineana', 'Guinee', 'Guinee Conakry'],
    "GMB": ['Gambian'],
    "GRC": ['Greek'],
    "GTM": ['Guatemalean', 'Guatemalteca'],
    "GUY": ['Guayanean'],
    "HND": ['Hodruanian', 'Honduranian', 'Hondureans', 'Hondureña'],
    "HRV": ['Croatian'],
    "HTI": ['Haitian', 'Haitiana', 'Haitiano', 'Haitians'],
    "HUN": ['Hungaria', 'Hungarian', 'Hungarians'],
    "IDN": ['Indonesian'],
    "IND": ['Indian'],
    "IRN": ['Iran', 'Iranian'],
    "ISR": ['Israelian'],
    "ITA": ['Italia', 'Italian'],
    "JAM": ['Jamaican', 'Jamaicans'],
    "JOR": ['Jordanian'],
    "JPN": ['Japanese'],
    "KAZ": ['Kazahstan', 'Kazakhistan', 'Kazaki', 'Kazalhstan'],
    "KEN": ['Keniano', 'Kenyan'],
    "KGZ": ['Kyrgysi'],
    "KHM": ['Cambodian'],
    "KOR": ['Corea Del Sur', 'South Korean'],
    "LAO": ['Laos', 'Laotian'],
    "LBN": ['Lebanese'],
    "LBR": ['Liberian'],
    "LBY": ['Libyan', 'Lybia', 'Lybians'],
    "LKA": ['Sri Lankan'],
    "LTU": ['Lithuanian'],
    "LUX": ['Luxembourgeois'],
    "LVA": ['Latvian'],
    "MAR": ['Marroquie', 'Moroccan'],
    "MDA": ['Moldavian', 'Moldova', 'Moldovan', 'Moldovian', 'République de Moldavie'],
    "MEX": ['Mexican', 'Mexicana'],
    "MHL": ['RMI'],
    "MKD": ['Macedonian', 'The Former Yugoslav Republic Of Macedonia'],
    "MLI": ['Malian'],
    "MLT": ['Maltese'],
    "MMR": ['Burma', 'Burmese', 'Domestic (Myanmar)', 'Myanmar Nation'],
    "MNG": ['Mongolian'],
    "MRT": ['Mauritanian'],
    "MYS": ['Malaysian'],
    "NER": ['Niger Rep', 'Nigerin'],
    "NGA": ['Nigerian', 'Nigeriana', 'Nigerians'],
    "NIC": ['Nicaraguarean', 'Nicaraguense'],
    "NLD": ['Dutch', 'Holanda', 'Nederland', 'Netherlands (own country)'],
    "NOR": ['Norvegian'],
    "NPL": ['Nepalese'],
    "NZL": ['New Zealander'],
    "OMN": ['Omani'],
    "PAK": ['Pakistani'],
    "PER": ['Peruana', 'Peruano', 'Peruvian'],
    "PHL": ['Filipino', 'Filippino', 'Philippine', 'Phillipines'],
    "POL": ['Poles', 'Polish'],
    "PRK": ['North Korean'],
    "PRT": ['Portugais', 'Portuguese'],
    "PRY": ['Paraguaya', 'Paraguayian', 'Paraguayo'],
    "PSE": ['Palestine', 'Palestinian Authority', 'State Of Palestine'],
    "QAT": ['Qatari'],
    "ROU": ['Romanian', 'Roumain', 'Rumania'],
    "RUS": ['Russia', 'Russian'],
    "RWA": ['Rwandean'],
    "SAU": ['Saudi'],
    "SDN": ['Sudanese'],
    "SEN": ['Senegalese'],
    "SGP": ['Singaporean'],
    "SLB": ['Solomon Isands', 'Solomon islanders'],
    "SLE": ['Sierra Leonean'],
    "SLV": ['Salvadorean', 'Salvadoreña', 'Salvadoreñas', 'Salvadoreños'],
    "SOM": ['Somali'],
    "SRB": ['Serbian', 'Serbians'],
    "STP": ['Sao Tome'],
    "SVK": ['Slovak', 'Slovaks'],
    "SVN": ['Slovenian'],
    "SWE": ['Swedesh', 'Sweeden'],
    "SWZ": ['Swasiland', 'Swaziland'],
    "SYR": ['Syria', 'Syrian'],
    "TCD": ['Chadian'],
    "TGO": ['Togolese'],
    "THA": ['Tailandesa', 'Thai'],
    "TJK": ['Tajiki'],
    "TKM": ['Turkmeni'],
    "TLS": ['Timor Este'],
    "TUN": ['Tunisa'],
    "TUR": ['Turkey', 'Turkish'],
    "TWN": ['China Taiwan Province Of China', 'Taiwan', 'Taiwanese'],
    "TZA": ['Tanzanian', 'Tanzanianans', 'Tanzanians', 'Tazanians'],
    "UGA": ['Ugandan', 'Ugandean'],
    "UKR": ['The Ukraine', 'Ukraineans', 'Ukrainian', 'Ukrainien', 'Ukranian'],
    "URY": ['Uruguayan'],
    "USA": ['American', 'Estados Unidos', 'US', 'USA', 'United States'],
    "UZB": ['Uzbecki'],
    "VCT": ['St Vincent'],
    "VEN": ['Venezolana', 'Venezolano', 'Venezuela', 'Venezuelan', 'Venezuelans'],
    "VNM": ['Vietnam', 'Vietnam Rep', 'Vietnamese', 'Vietnamita'],
    "YEM": ['Yemeni'],
    "ZAF": ['South African'],
    "ZMB": ['Zambian'],
    "ZWE": ['Zimbabwean'],
}


def _clean(value) -> str:
    text = "" if value is None else str(value).strip()
    return "" if text.upper() == "NULL" else text


def read_ctdc(path: Path) -> list[dict[str, str]]:
    """Rows of the CTDC "Region" sheet as dicts of stripped strings ("NULL" becomes "")."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    rows = wb["Region"].iter_rows(values_only=True)
    header = [_clean(h) for h in next(rows)]
    return [dict(zip(header, (_clean(v) for v in row))) for row in rows]


def build(ctdc_rows: list[dict[str, str]]) -> tuple[dict, dict]:
    """Return (countries, regions): ISO3 -> record, M49 code -> record, ready to write."""
    import pycountry

    by_iso2 = {c.alpha_2: c for c in pycountry.countries}
    region_of: dict[str, str | None] = {}
    ctdc_names: dict[str, set[str]] = {}
    for row in ctdc_rows:
        country = by_iso2.get(row["ISO2"])
        # Rows whose ISO2 and ISO3 disagree with ISO 3166-1 (Kosovo "Y1"/SRB, retired codes) are skipped.
        if country is None or row["ISO3"] not in ("", country.alpha_3):
            continue
        sub = row["UNSubRegion"]
        if sub:
            if sub not in CTDC_SUBREGIONS:
                raise SystemExit(f"CTDC Region sheet, ISO2 {row['ISO2']}: unknown UNSubRegion {sub!r}")
            region_of[country.alpha_3] = CTDC_SUBREGIONS[sub]
        ctdc_names.setdefault(country.alpha_3, set()).update(
            n for n in (row["Country"], row["Countrydescription"]) if n
        )
    for iso3, (code, _why) in CORRECTIONS.items():
        region_of[iso3] = code

    countries = {}
    for c in pycountry.countries:
        if c.alpha_3 not in region_of:
            raise SystemExit(f"{c.alpha_3} ({c.name}) has no M49 region: add it to CORRECTIONS")
        label = LABELS.get(c.alpha_3) or getattr(c, "common_name", None) or c.name
        names = {c.name, getattr(c, "official_name", None), getattr(c, "common_name", None)}
        names |= set(EXTRA_NAMES.get(c.alpha_3, []))
        countries[c.alpha_3] = {
            "label": label,
            "alt": {n for n in names if n and n != label},
            "ctdc": {n for n in ctdc_names.get(c.alpha_3, set()) if n != label},
            "iso2": c.alpha_2,
            "m49": c.numeric,
            "region": region_of[c.alpha_3],
        }
    unknown = set(EXTRA_NAMES) - set(countries)
    if unknown:
        raise SystemExit(f"EXTRA_NAMES has codes that are not ISO 3166-1 alpha-3: {sorted(unknown)}")

    # A name must lead to one place: curated names that collide are an error, CTDC's are dropped.
    owner: dict[str, set[str]] = {}
    for iso3, rec in countries.items():
        for n in {rec["label"]} | rec["alt"] | rec["ctdc"]:
            owner.setdefault(n.casefold(), set()).add(iso3)
    for iso3, rec in countries.items():
        for n in {rec["label"]} | rec["alt"]:
            if len(owner[n.casefold()]) > 1:
                raise SystemExit(f"name {n!r} is used by {sorted(owner[n.casefold()])}")
        rec["alt"] |= {n for n in rec["ctdc"] if len(owner[n.casefold()]) == 1 and n not in AMBIGUOUS_NAMES}
        rec["alt"] = {n for n in rec["alt"] if n.casefold() != rec["label"].casefold()}
        # Drop case-only duplicates, keeping the first spelling in sorted order.
        seen: dict[str, str] = {}
        for n in sorted(rec["alt"]):
            seen.setdefault(n.casefold(), n)
        rec["alt"] = set(seen.values())

    _add_names(countries)
    regions = {
        code: {"label": name, "parent": parent, "alt": set(REGION_ALT_LABELS.get(code, []))}
        for code, (name, parent) in REGIONS.items()
    }
    return countries, regions


def _add_names(countries: dict) -> None:
    """Add CLDR names in :data:`LANGUAGES` (``rec["lang"]``) and :data:`HIDDEN_LABELS` (``rec["hidden"]``).

    A name is added only when it adds something once folded as crimekg folds names for lookup
    (``graph.evidence.fold_name``): a CLDR name that folds to a name of another country is left out
    (two places, one name), a hidden label that does so is an error.
    """
    from babel import Locale

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from crimekg.graph.evidence import fold_name as _norm

    unknown = set(HIDDEN_LABELS) - set(countries)
    if unknown:
        raise SystemExit(f"HIDDEN_LABELS has codes that are not ISO 3166-1 alpha-3: {sorted(unknown)}")
    territories = {lang: Locale.parse(lang).territories for lang in LANGUAGES}
    owner: dict[str, set[str]] = {}
    for code, (name, _parent) in REGIONS.items():  # a region's name is no country's
        for n in [name, *REGION_ALT_LABELS.get(code, [])]:
            owner.setdefault(_norm(n), set()).add(f"m49:{code}")
    for iso3, rec in countries.items():
        rec["folded"] = {_norm(n) for n in {rec["label"]} | rec["alt"]}
        for n in {rec["label"]} | rec["alt"]:
            owner.setdefault(_norm(n), set()).add(iso3)
        rec["lang"], rec["hidden"] = set(), set()
        for lang in LANGUAGES:
            name = territories[lang].get(rec["iso2"])
            if name:
                owner.setdefault(_norm(name), set()).add(iso3)
                rec["lang"].add((lang, name))
        for n in HIDDEN_LABELS.get(iso3, []):
            owner.setdefault(_norm(n), set()).add(iso3)
    for iso3, rec in countries.items():
        for n in HIDDEN_LABELS.get(iso3, []):
            if len(owner[_norm(n)]) > 1:
                raise SystemExit(f"hidden label {n!r} of {iso3} folds to a name of {sorted(owner[_norm(n)] - {iso3})}")
        seen = set(rec["folded"])
        spelt = {n.casefold() for n in {rec["label"]} | rec["alt"]}
        kept = set()
        for lang, name in sorted(rec["lang"], key=lambda ln: (LANGUAGES.index(ln[0]), ln[1])):
            key = _norm(name)
            # kept when spelt differently (accents too: a mis-encoded "M\ufffdXICO" is repaired against "México")
            if key and name.casefold() not in spelt and len(owner[key]) == 1:
                spelt.add(name.casefold())
                seen.add(key)
                kept.add((lang, name))
        rec["lang"] = kept
        for n in sorted(HIDDEN_LABELS.get(iso3, [])):
            if _norm(n) not in seen:
                seen.add(_norm(n))
                rec["hidden"].add(n)
        del rec["folded"]


def chain(code: str | None) -> list[str]:
    """The M49 region ``code`` and every region above it, lowest first."""
    out = []
    while code is not None:
        out.append(code)
        code = REGIONS[code][1]
    return out


def _lit(text: str, lang: str | None = "en") -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


def _block(subject: str, types: list[str], props: list[tuple[str, list[str]]]) -> str:
    lines = [f"{subject} a {', '.join(types)} ;"]
    props = [(p, objs) for p, objs in props if objs]
    for i, (p, objs) in enumerate(props):
        end = " ." if i == len(props) - 1 else " ;"
        lines.append(f"    {p} {', '.join(objs)}{end}")
    return "\n".join(lines)


def _broader(code: str | None) -> list[str]:
    """Objects of skos:broader for a country whose lowest region is ``code``.

    The country points at its M49 subregion (the level GLOTIP reports) and, where M49 has one,
    also at its intermediate region, so both ``?c skos:broader ?subregion`` and the finer grouping work.
    """
    if code is None:
        return ["m49:001"]
    up = chain(code)  # lowest first, ending with World
    subregion = up[-3]  # World > region > subregion
    return sorted({f"m49:{code}", f"m49:{subregion}"})


def render(countries: dict, regions: dict) -> str:
    """The Turtle text of places.ttl."""
    out = [
        "# crimekg places: ISO 3166-1 countries and territories and the UN M49 regions above them.",
        "# GENERATED by tests/tools/make_places.py from pycountry, the CTDC 2021 region table and CLDR names (babel),",
        "# mapped to UN M49 codes (https://unstats.un.org/unsd/methodology/m49/). Do not edit by hand.",
        "# A country's skos:broader is its M49 subregion and, where M49 has one, its intermediate region.",
        "# skos:altLabel: English alternatives, then names in ar, zh, en, fr, ru, es, ja, it, pt, de (CLDR);",
        "# skos:hiddenLabel: misspellings and demonyms the sources write (found by lookup, never shown).",
        "",
        "@prefix ckg: <https://w3id.org/crimekg/ontology#> .",
        f"@prefix m49: <{PLACE}m49/> .",
        f"@prefix place: <{PLACE}> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
        "",
        "# ---- M49 regions ----",
        "",
    ]
    for code in sorted(regions):
        rec = regions[code]
        props = [
            ("ckg:m49", [f'"{code}"']),
            ("rdfs:label", [_lit(rec["label"])]),
            ("skos:altLabel", [_lit(n) for n in sorted(rec["alt"])]),
            ("skos:broader", [f"m49:{rec['parent']}"] if rec["parent"] else []),
        ]
        out += [_block(f"m49:{code}", ["ckg:Place", "ckg:Region"], props), ""]
    out += ["# ---- areas with an M49 code and no ISO 3166-1 code ----", ""]
    for code, (name, parent) in sorted(NON_ISO_AREAS.items()):
        props = [
            ("ckg:m49", [f'"{code}"']),
            ("rdfs:label", [_lit(name)]),
            ("skos:broader", _broader(parent)),
        ]
        out += [_block(f"m49:{code}", ["ckg:Place"], props), ""]
    out += ["# ---- countries and territories (ISO 3166-1) ----", ""]
    for iso3 in sorted(countries):
        rec = countries[iso3]
        props = [
            ("ckg:iso2", [f'"{rec["iso2"]}"']),
            ("ckg:iso3", [f'"{iso3}"']),
            ("ckg:m49", [f'"{rec["m49"]}"']),
            ("rdfs:label", [_lit(rec["label"])]),
            ("skos:altLabel", [_lit(n) for n in sorted(rec["alt"])]
             + [_lit(n, lang) for lang, n in sorted(rec["lang"], key=lambda ln: (LANGUAGES.index(ln[0]), ln[1]))]),
            ("skos:broader", _broader(rec["region"])),
            ("skos:hiddenLabel", [_lit(n, None) for n in sorted(rec["hidden"])]),
        ]
        out += [_block(f"place:{iso3}", ["ckg:Country", "ckg:Place"], props), ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ctdc", type=Path, default=DEFAULT_CTDC, help="CTDC 2021 data dictionary (.xlsx)")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    if not args.ctdc.exists():
        print(f"{args.ctdc}: not found; pass --ctdc PATH to the CTDC 2021 data dictionary", file=sys.stderr)
        return 1
    countries, regions = build(read_ctdc(args.ctdc))
    text = render(countries, regions)

    import rdflib  # parse what we wrote: a syntax slip must not reach the repository

    rdflib.Graph().parse(data=text, format="turtle")
    args.output.write_text(text, encoding="utf-8")
    print(f"{args.output}: {len(countries)} countries, {len(regions)} regions", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
