"""The ``crimekg`` command: a thin click front door over the ``graph`` library.

Heavy libraries (rdflib, pyoxigraph, pyshacl, pyvis, networkx) are imported inside the commands
that need them, so that ``crimekg --help`` stays quick.
"""

from __future__ import annotations

import functools
import os
import sys
import warnings

import click

from graph.errors import CrimeKGError, CrimeKGWarning

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
EXPORT_FORMATS = ["ttl", "trig", "nt", "nq", "jsonld", "xml"]


def _show_warning(message, category, filename, lineno, file=None, line=None):
    if issubclass(category, CrimeKGWarning):
        click.secho(f"Warning: {message}", fg="yellow", err=True)
    else:  # warnings from libraries: keep them out of the user's way unless asked for
        if os.environ.get("CRIMEKG_DEBUG"):
            click.echo(warnings.formatwarning(message, category, filename, lineno, line), err=True)


warnings.showwarning = _show_warning


def handle_errors(f):
    """Turn every CrimeKGError into a one-line message and exit code 1 (in one place)."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except CrimeKGError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


def store_option(f):
    """``--store PATH`` (or ``CRIMEKG_STORE``): the workspace a command works on."""
    return click.option(
        "--store",
        "store_path",
        envvar="CRIMEKG_STORE",
        default="./crimekg-data",
        show_default=True,
        type=click.Path(file_okay=False),
        help="Workspace directory (or set CRIMEKG_STORE).",
    )(f)


def _open(store_path: str):
    from graph.store import open_store

    return open_store(store_path)


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="crimekg")
def cli():
    """crimekg: a knowledge graph of the factors behind trafficking in persons and the
    smuggling of migrants.

    \b
    Start with:
        crimekg demo              # build the example workspace, export and view
        crimekg init              # an empty workspace with the session loaded
    """


@cli.command()
@click.argument("path", required=False, type=click.Path(file_okay=False))
@click.option("--upgrade", is_flag=True, help="Refresh the ontology graphs of an existing workspace.")
@handle_errors
def init(path, upgrade):
    """Create a workspace with the ontology, concept schemes, places and session loaded.

    PATH defaults to --store / CRIMEKG_STORE / ./crimekg-data.

    Example:

    \b
        crimekg init ./crimekg-data
    """
    from graph.store import init_store

    path = path or os.environ.get("CRIMEKG_STORE") or "./crimekg-data"
    with init_store(path, upgrade=upgrade) as store:
        total = sum(store.graphs().values())
    verb = "Upgraded" if upgrade else "Created"
    click.echo(f"{verb} workspace {path} ({total} triples)")


@cli.command()
@store_option
@handle_errors
def graphs(store_path):
    """List the named graphs of the workspace with their triple counts.

    Example:

    \b
        crimekg graphs --store ./crimekg-data
    """
    from graph.store import graph_name

    with _open(store_path) as store:
        rows = store.graphs()
    width = max((len(graph_name(g)) for g in rows), default=5)
    for iri, n in rows.items():
        click.echo(f"{graph_name(iri):<{width}}  {n:>9,}")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--graph", "graph", help="Named graph to load into (default: load/<file name>).")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), help="RDF format (default: from the file name).")
@click.option("--append", is_flag=True, help="Add to the graph instead of replacing it.")
@store_option
@handle_errors
def load(files, graph, fmt, append, store_path):
    """Load RDF files (Turtle, TriG, N-Triples, N-Quads, JSON-LD, RDF/XML) in one transaction.

    Each file replaces its graph, so loading the same file again changes nothing. A malformed
    file is refused with its line and column, and nothing of the command is stored.

    Example:

    \b
        crimekg load examples/example-session.ttl --graph contributions/example-2026
    """
    from graph.store import graph_name

    with _open(store_path) as store:
        counts = store.load(list(files), graph, format=fmt, replace=not append)
    for iri, n in counts.items():
        click.echo(f"{graph_name(iri)}: {n:,} triples")


@cli.command()
@click.option("--graph", "graphs_", multiple=True, help="Export only this named graph (repeatable).")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="ttl", show_default=True)
@click.option("-o", "--output", default="-", type=click.Path(dir_okay=False, allow_dash=True), help="File to write, - for stdout.")
@store_option
@handle_errors
def export(graphs_, fmt, output, store_path):
    """Export the workspace, or some of its graphs, as RDF.

    Turtle, N-Triples and RDF/XML hold the union of the graphs; TriG, N-Quads and JSON-LD keep
    the graph names.

    Example:

    \b
        crimekg export --format ttl -o crimekg.ttl
    """
    from graph.store import graph_iri

    with _open(store_path) as store:
        if output == "-":
            store.export(sys.stdout.buffer, fmt, [graph_iri(g) for g in graphs_] or None)
        else:
            store.export(output, fmt, [graph_iri(g) for g in graphs_] or None)
            click.echo(f"Wrote {output}", err=True)


@cli.command()
@click.argument("names", nargs=-1, required=True)
@store_option
@handle_errors
def drop(names, store_path):
    """Remove named graphs (one source each) from the workspace, in one transaction.

    Example:

    \b
        crimekg drop load/old-notes
    """
    from graph.store import graph_iri

    with _open(store_path) as store:
        store.drop([graph_iri(n) for n in names])
    click.echo(f"Dropped {', '.join(names)}")


@cli.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@store_option
def validate(file, store_path):
    """Check the workspace, or an RDF file, against the crimekg SHACL shapes.

    Exit codes: 0 the data conforms, 1 it has violations, 2 the check could not run.

    Example:

    \b
        crimekg validate examples/example-session.ttl
    """
    from graph.validate import validate as run

    try:
        if file:
            report = run(file)
        else:
            with _open(store_path) as store:
                report = run(store)
    except CrimeKGError as exc:
        click.secho(f"Error: {exc}", fg="red", err=True)
        sys.exit(2)
    for v in report.violations:
        click.echo(str(v))
    if report.conforms:
        click.echo("Conforms: no violations.")
        sys.exit(0)
    errors = sum(v.severity == "Violation" for v in report.violations)
    click.echo(f"Does not conform: {errors} violation(s), {len(report.violations) - errors} warning(s).")
    sys.exit(1)


@cli.command()
@click.argument("directory", required=False, default="./crimekg-demo", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Rebuild the demo workspace if it exists.")
@handle_errors
def demo(directory, force):
    """Build a workspace from the session and the example, then write a Turtle export and a view.

    Example:

    \b
        crimekg demo ./crimekg-demo
    """
    from graph.demo import build_demo

    result = build_demo(directory, force=force)
    click.echo(f"Workspace:  {result['store']}")
    for name, count in result["graphs"].items():
        click.echo(f"  {name:<36} {count:>7,} triples")
    click.echo(f"Turtle:     {result['turtle']}")
    click.echo(f"View:       {result['view']}")
    click.echo(f"Validation: {result['validation']}")


# --- issue 3: contributions (template, import, session, add, link, harmonize, merge, split) ---


# --- issue 4: analyst questions (query, queries, analyze) ---

QUERY_FORMATS = ["table", "csv", "tsv", "json", "jsonl", "md", "sparql-json", "sparql-xml", "sparql-csv", "sparql-tsv", "ttl", "nt", "jsonld", "xml"]
ANALYSES = ["centrality", "bridges", "communities", "upstream", "downstream", "paths", "loops"]


def _param_values(pairs):
    """``NAME=VALUE`` options as a dict (a value may itself hold ``=``)."""
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{pair!r}: write NAME=VALUE, e.g. --param category=impunity", param_hint="--param")
        if name.strip() in values:
            raise click.BadParameter(f"{name.strip()!r} given twice", param_hint="--param")
        values[name.strip()] = value
    return values


def _write_text(text, output):
    if output == "-":
        click.echo(text, nl=False)
    else:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
        click.echo(f"Wrote {output}", err=True)


@cli.command()
@click.argument("query", required=False)
@click.option("-f", "--file", "file_", type=click.File("r", encoding="utf-8"), help="Read the SPARQL from a file (- for stdin).")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="Bind a parameter (repeatable); bound as a value, never pasted into the query.")
@click.option("--format", "fmt", type=click.Choice(QUERY_FORMATS), help="Output: table (default), csv, tsv, json, jsonl, md; W3C sparql-json/-xml/-csv/-tsv; ttl, nt, jsonld, xml for CONSTRUCT/DESCRIBE.")
@click.option("-o", "--output", default="-", type=click.Path(dir_okay=False, allow_dash=True), help="File to write, - for stdout.")
@store_option
@handle_errors
def query(query, file_, params, fmt, output, store_path):
    """Run SPARQL over the workspace: a named query, inline text, or a file (- for stdin).

    `crimekg queries` lists the named queries and their parameters.

    Example:

    \b
        crimekg query factors-by-place --param place="Western Africa"
        crimekg query "SELECT ?f WHERE { ?f ckg:category category:impunity }" --format csv
        crimekg query -f my-question.rq --format sparql-json
    """
    from graph.query import load_query, run_query

    values = _param_values(params)
    source = None if file_ is None else ("<stdin>" if file_.name == "<stdin>" else file_.name)
    q = load_query(query, file_.read() if file_ is not None else None, source)
    with _open(store_path) as store:
        text = run_query(store, q, values).serialize(fmt)
    _write_text(text, output)


@cli.command()
@click.argument("name", required=False)
@handle_errors
def queries(name):
    """List the named queries with their parameters and descriptions, or print one query's SPARQL.

    Example:

    \b
        crimekg queries
        crimekg queries factors-by-category
    """
    from graph.query import named_queries, named_query

    if name:
        click.echo(named_query(name).text, nl=False)
        return
    for q in named_queries().values():
        click.echo(" ".join([q.name, *(p.signature() for p in q.params)]))
        click.echo(f"    {q.description}")


@cli.command()
@click.argument("report", type=click.Choice(ANALYSES))
@click.argument("factors", nargs=-1)
@click.option("--top", type=click.IntRange(1), help="Show only the first N rows.")
@click.option("--max-length", type=click.IntRange(1), default=6, show_default=True, help="Longest path or loop, in links.")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True, help="Most paths or loops to list.")
@click.option("--crime", help="Only factors of this crime type (slug).")
@click.option("--category", help="Only factors of this category (slug).")
@click.option("--session", help="Only factors from this session (id).")
@click.option("--write", is_flag=True, help="Store the scores in the graph analysis/REPORT (centrality, bridges, communities).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "md"]), default="table", show_default=True)
@store_option
@handle_errors
def analyze(report, factors, top, max_length, limit, crime, category, session, write, fmt, store_path):
    """Analyse the factor network: centrality, bridges, communities, upstream, downstream, paths, loops.

    upstream/downstream take a factor, paths takes two (slug, label or alternative label).

    Example:

    \b
        crimekg analyze centrality --top 5
        crimekg analyze paths poverty-and-unemployment rare-convictions
        crimekg analyze bridges --write
    """
    import json

    from graph.analysis import run_analysis
    from graph.query import format_rows

    with _open(store_path) as store:
        result = run_analysis(store, report, factors, top=top, max_length=max_length, limit=limit, write=write,
                              crime=crime, category=category, session=session)
    if fmt == "json":
        click.echo(json.dumps({"report": report, "method": result.method, "rows": result.rows}, indent=2, ensure_ascii=False))
    else:
        columns = result.columns if fmt != "csv" else ["factor", *result.columns] if "label" in result.columns else result.columns
        click.echo(format_rows(columns, result.rows, fmt, max_width=0 if report in ("paths", "loops", "upstream", "downstream") else 60), nl=False)
        click.echo(f"Method: {result.method}", err=True)
    if result.written:
        click.echo(f"Wrote {result.scores} scores to graph {result.written}", err=True)


# --- issue 5: views (view; export --format graphml|gexf) ---


# --- issue 6: evidence (brief; importers register in graph/importers) ---


if __name__ == "__main__":
    cli()
