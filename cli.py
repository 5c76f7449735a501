"""The ``crimekg`` command: a thin click front door over the ``graph`` library.

Heavy libraries (rdflib, pyoxigraph, pyshacl, pyvis, networkx) are imported inside the commands
that need them, so that ``crimekg --help`` stays quick.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import warnings

import click

from crimekg.graph import __version__
from crimekg.graph.errors import CrimeKGError, CrimeKGWarning

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
    """Turn every CrimeKGError into a one-line message and exit code 1 (in one place).

    So is an operating-system error on a file the user named (an output in a folder that does not
    exist, a file that cannot be written), rather than a traceback.
    """

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except CrimeKGError as exc:
            raise click.ClickException(str(exc)) from exc
        except OSError as exc:
            if exc.filename is None:
                raise
            raise click.ClickException(f"{exc.filename}: {exc.strerror or exc}; check the path and its folder") from exc
        except RuntimeError as exc:  # the storage engine found damaged files after the workspace opened
            from crimekg.graph.store import damaged_store, is_corruption, store_location

            if not is_corruption(exc):
                raise
            raise click.ClickException(str(damaged_store(store_location(kwargs.get("store_path")), exc))) from exc

    return wrapper


def store_option(f):
    """``--store PATH``: the workspace a command works on.

    Without it, ``graph.store.store_location`` decides (``CRIMEKG_STORE``, else its default), so
    the library and the command resolve the default in the same place.
    """
    return click.option(
        "--store",
        "store_path",
        default=None,
        type=click.Path(file_okay=False),
        help="Workspace directory, or a SPARQL 1.1 server's URL [default: CRIMEKG_STORE, else ./crimekg-data].",
    )(endpoint_options(f))


def _remember_endpoint(ctx, param, value):
    if value:
        ctx.meta.setdefault("crimekg.endpoints", {})[param.name] = value
    return value


def endpoint_options(f):
    """``--query-endpoint``, ``--update-endpoint``, ``--gsp-endpoint``: where a SPARQL server's
    endpoints are when the ``--store`` URL does not imply them; ``--union-default-graph``: query the
    server's own union default graph (all kept in the context for ``_open``)."""
    f = click.option(
        "--union-default-graph", "union_default_graph", is_flag=True, default=None, expose_value=False,
        callback=_remember_endpoint,
        help="When --store is a URL: send queries with no dataset, to a server whose default graph is the union of "
             "its named graphs (Fuseki/TDB2 tdb2:unionDefaultGraph, Oxigraph server --union-default-graph): much "
             "faster on big workspaces, but internal graphs (the workspace secret, a write's staging) are then in "
             "the default graph, so queries can see them: for a server only its owners query "
             "[default: CRIMEKG_UNION_DEFAULT_GRAPH=1, else off].",
    )(f)
    for name, what in (("gsp", "Graph Store Protocol"), ("update", "SPARQL update"), ("query", "SPARQL query")):
        f = click.option(
            f"--{name}-endpoint", f"{name}_endpoint", default=None, expose_value=False, callback=_remember_endpoint,
            metavar="URL", help=f"The server's {what} endpoint, when --store is a URL [default: from the URL].",
        )(f)
    return f


def _endpoints() -> dict:
    ctx = click.get_current_context(silent=True)
    return dict(ctx.meta.get("crimekg.endpoints", {})) if ctx is not None else {}


def yes_option(f):
    """``--yes``: go ahead without asking, for a command that changes or removes a lot."""
    return click.option("--yes", "-y", "yes", is_flag=True, help="Go ahead without asking (for scripts).")(f)


def confirm_or_stop(question: str, action: str, refused: str) -> None:
    """Ask ``question`` and stop (exit code 1, ``refused`` on stderr) unless the answer is yes.

    The answer is read from standard input: a terminal, or what a script pipes in. When nothing
    can be read (no terminal, an empty or closed input), the command refuses with a one-line error
    that tells to add ``--yes``, rather than wait or go ahead.
    """
    try:
        ok = click.confirm(question, default=False, err=True)
    except click.Abort:
        click.echo(err=True)  # end the prompt's line
        raise click.ClickException(f"{action} needs a yes, and no answer could be read (no terminal); add --yes to go ahead") from None
    if not ok:
        click.echo(refused, err=True)
        raise SystemExit(1)


def _open(store_path: str, reading: bool = False):
    from crimekg.graph.store import is_remote, open_store, open_store_for_reading, store_location

    if reading and not is_remote(store_location(store_path)):
        # a command that only reads opens the workspace read-only when another process holds it
        return open_store_for_reading(store_path)
    return open_store(store_path, endpoints=_endpoints())


@click.group(context_settings=CONTEXT)
@click.version_option(version=__version__, prog_name="crimekg")
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
@endpoint_options
@handle_errors
def init(path, upgrade):
    """Create a workspace with the ontology, concept schemes, places and session loaded.

    PATH defaults to CRIMEKG_STORE, else ./crimekg-data. A URL (http://host:port/...) makes the
    workspace on a SPARQL 1.1 server instead (README: "Running on a server").

    Example:

    \b
        crimekg init ./crimekg-data
    """
    from crimekg.graph.store import init_store, store_location

    path = store_location(path)
    with init_store(path, upgrade=upgrade, endpoints=_endpoints()) as store:
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
    from crimekg.graph.store import graph_name

    with _open(store_path, reading=True) as store:
        rows = store.graphs()
    width = max((len(graph_name(g)) for g in rows), default=5)
    for iri, n in rows.items():
        click.echo(f"{graph_name(iri):<{width}}  {n:>9,}")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--graph", "graph", help="Named graph to load into (default: load/<file name>).")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), help="RDF format (default: from the file name).")
@click.option("--append", is_flag=True, help="Add to the graph instead of replacing it.")
@click.option("--force", is_flag=True, help="Allow overwriting crimekg's reserved graphs (meta, ontology, schemes, places, session, shapes).")
@click.option("--strict", is_flag=True, help="Refuse files with ill-typed literals (\"abc\"^^xsd:integer) instead of warning.")
@store_option
@handle_errors
def load(files, graph, fmt, append, force, strict, store_path):
    """Load RDF files (Turtle, TriG, N-Triples, N-Quads, JSON-LD, RDF/XML), all or nothing.

    Each file replaces its graph, so loading the same file again changes nothing. A malformed
    file is refused with its line and column, and nothing of the command is stored. A TriG or
    N-Quads file (or --graph) naming one of crimekg's reserved graphs (meta, ontology, schemes,
    places, session, shapes) is refused unless --force is given; internal graphs always are.
    Ill-typed literals are reported (warnings; errors with --strict).

    A folder `crimekg release` wrote is loaded whole: SHA256SUMS is checked first (a changed or
    missing file is refused, nothing stored), then its data goes into the graphs data.nq names and
    its ontology, schemes, places, course plan and shapes into crimekg's graphs of those names.

    Example:

    \b
        crimekg load examples/example-session.ttl --graph contributions/example-2026
        crimekg load release-2026/
    """
    from crimekg.graph.errors import InvalidRDF
    from crimekg.graph.store import graph_name, ill_typed_literals, load_jobs

    if any(os.path.isdir(f) for f in files):  # a release folder
        from crimekg.graph.release import load_release

        if len(files) > 1 or graph or fmt or append:
            raise click.UsageError("a release folder is loaded alone, without --graph, --format or --append")
        with _open(store_path) as store:
            counts = load_release(store, files[0])
        for iri, n in counts.items():
            click.echo(f"{graph_name(iri)}: {n:,} triples")
        return

    load_jobs(files, graph, fmt, force=force)  # missing files, reserved graphs, hostile XML: before any parse
    problems = [m for f in files for m in ill_typed_literals(f, fmt)]
    if problems and strict:
        raise InvalidRDF(f"{len(problems)} ill-typed literal(s); nothing was stored. Fix them, or load without --strict:\n" + "\n".join(problems))
    for message in problems:
        click.secho(f"Warning: {message}", fg="yellow", err=True)
    with _open(store_path) as store:
        counts = store.load(list(files), graph, format=fmt, replace=not append, force=force)
    for iri, n in counts.items():
        click.echo(f"{graph_name(iri)}: {n:,} triples")


@cli.command()
@click.option("--graph", "graphs_", multiple=True, help="Export only this named graph (repeatable).")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS + ["graphml", "gexf"]), default="ttl", show_default=True,
              help="RDF, or graphml/gexf: a network projection (see --network) for Gephi.")
@click.option("--network", type=click.Choice(["factors", "session", "places", "flows"]),
              help="With --format graphml|gexf: the projection to write (default: factors).")
@click.option("--profile", type=click.Choice(["full", "public"]), default="full", show_default=True,
              help="public drops contributor codes, participants, groups, times and local places, and marks them where text names them (GraphML and GEXF too).")
@click.option("--place-level", type=click.Choice(["country", "region"]), default="country", show_default=True,
              help="With --profile public: keep countries, or generalise them to UN M49 subregions (GraphML and GEXF too).")
@click.option("--redact", is_flag=True, help="With --profile public: replace likely e-mail addresses, phone numbers and names "
                                            "in participants' text with markers such as [redacted: phone] (the workspace keeps them).")
@click.option("-o", "--output", default="-", type=click.Path(dir_okay=False, allow_dash=True), help="File to write, - for stdout.")
@store_option
@handle_errors
def export(graphs_, fmt, network, profile, place_level, redact, output, store_path):
    """Export the workspace, or some of its graphs, as RDF (full, or the public profile to share).

    Turtle, N-Triples and RDF/XML hold the union of the graphs; TriG, N-Quads and JSON-LD keep
    the graph names. The public profile warns about likely e-mail addresses, phone numbers and
    names in participants' text (with the subject and property); --redact replaces them.

    Example:

    \b
        crimekg export --format ttl -o crimekg.ttl
        crimekg export --profile public --place-level region -o shared.ttl
        crimekg export --profile public --redact -o shared.ttl
        crimekg export --format graphml --network session -o session.graphml
    """
    from crimekg.graph.export import export_workspace, personal_warnings
    from crimekg.graph.store import graph_iri

    if network and fmt not in ("graphml", "gexf"):
        raise click.UsageError("--network goes with --format graphml or gexf")
    if redact and profile != "public":
        raise click.UsageError("--redact goes with --profile public (the full profile is the workspace as it is)")
    if fmt in ("graphml", "gexf"):  # networks for Gephi
        from crimekg.graph.views import export_network

        _check_place_level(profile, place_level)
        with _open(store_path) as store, _output(output) as target:
            export_network(store, target, fmt, network or "factors", profile=profile, place_level=place_level, redact=redact)
            notes = personal_warnings(store, redact) if profile == "public" else []
        _warn_lines(notes)
        if output != "-":
            click.echo(f"Wrote {output}", err=True)
        return
    with _open(store_path) as store, _output(output) as target:
        export_workspace(store, target, fmt, [graph_iri(g) for g in graphs_] or None, profile=profile, place_level=place_level,
                         redact=redact)
        notes = personal_warnings(store, redact) if profile == "public" else []
    _warn_lines(notes)
    if output != "-":
        click.echo(f"Wrote {output}", err=True)


def _warn_lines(lines):
    for line in lines:
        click.secho(f"Warning: {line}", fg="yellow", err=True)


@cli.command()
@click.argument("names", nargs=-1, required=True)
@yes_option
@store_option
@handle_errors
def drop(names, yes, store_path):
    """Remove named graphs (one source each) from the workspace, in one transaction.

    Dropping a graph crimekg bundles (meta, ontology, schemes, places, session, shapes) asks
    first, unless --yes is given; without a terminal it refuses unless --yes is given.
    `crimekg init --upgrade` puts the bundled graphs back.

    Example:

    \b
        crimekg drop load/old-notes
    """
    from crimekg.graph.store import RESERVED, graph_iri, graph_name

    iris = [graph_iri(n) for n in names]
    bundled = [graph_name(i) for i in iris if i in RESERVED]
    if bundled and not yes:
        confirm_or_stop(f"Drop crimekg's bundled graph(s) {', '.join(bundled)}?", "dropping a bundled graph", "Nothing dropped.")
    with _open(store_path) as store:
        store.drop(iris)
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
    from crimekg.graph.validate import validate as run

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
    from crimekg.graph.demo import build_demo

    result = build_demo(directory, force=force)
    click.echo(f"Workspace:  {result['store']}")
    for name, count in result["graphs"].items():
        click.echo(f"  {name:<36} {count:>7,} triples")
    click.echo(f"Turtle:     {result['turtle']}")
    click.echo(f"View:       {result['view']}")
    click.echo(f"Validation: {result['validation']}")


# --- contributions (template, import, session, add, link, harmonize, merge, split) ---


@cli.command()
@click.option("-o", "--output", default="contributions.csv", show_default=True, type=click.Path(dir_okay=False), help="Sheet to write.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), help="Sheet format (default: from the file name).")
@handle_errors
def template(output, fmt):
    """Write a blank contribution sheet to hand out (CSV, or XLSX with drop-down lists).

    Example:

    \b
        crimekg template -o room-2.xlsx
    """
    from crimekg.graph.template import write_template

    path = write_template(output, fmt)
    click.echo(f"Wrote {path}")


def _import_options(f):
    for opt in reversed([
        click.option("--source", help="Importer: glotip, iom, frontex, ctdc, sherloc or contributions (default: recognised from the file)."),
        click.option("--session", "session", help="Session the contributions or links belong to (created if new)."),
        click.option("--encoding", help="Text encoding of a CSV, JSON or YAML file (default: UTF-8, or the UTF-16/32 its byte-order mark says; e.g. cp1252)."),
        click.option("--skip-invalid", is_flag=True, help="Store the valid rows and write the rejected ones to a file."),
        click.option("--rejected", "rejected_path", type=click.Path(dir_okay=False), help="Where --skip-invalid writes rejected rows (default FILE.rejected.csv)."),
        click.option("--download-date", help="Published data: the date you downloaded the file, YYYY-MM-DD (recorded as provenance)."),
        click.option("--language", help="Sheets: the language of the text (ja, zh, ru, ar, th, es, en...) where a row's "
                                        "language column is empty (default: told by the script; Latin text stays untagged)."),
        click.option("--redact", is_flag=True, help="Sheets: store likely e-mail addresses, phone numbers and names written "
                                                    "in the text as markers such as [redacted: phone] (without it, each is a warning)."),
    ]):
        f = opt(f)
    return f


@cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@_import_options
@store_option
@handle_errors
def import_(file, source, session, encoding, skip_invalid, rejected_path, download_date, language, redact, store_path):
    """Import a file into the workspace: a contribution or links sheet, or published evidence.

    The whole file is checked first; if any row is wrong nothing is stored (unless --skip-invalid).
    Importing the same file again changes nothing. Text in any script is kept as written and
    tagged with its language: a row's language column, else --language, else its script's.
    Published evidence ends with a data-quality summary on stderr; `crimekg query data-quality`
    lists each doubtful cell. Likely e-mail addresses, phone numbers and names in a sheet's text
    are warned about with their rows; --redact stores markers in their place.

    Example:

    \b
        crimekg import examples/example-contributions.csv --session example-2026
        crimekg import room-3.xlsx --session example-2026 --language ja
        crimekg import room-4.csv --session example-2026 --redact
    """
    from pathlib import Path

    from crimekg.graph.sheets import write_rejected
    from crimekg.graph.quality import stored_report
    from crimekg.graph.importers import detect_source, plan_import

    options = {k: v for k, v in {"session": session, "encoding": encoding, "skip_invalid": skip_invalid,
                                 "download_date": download_date, "language": language, "redact": redact}.items() if v}
    if sys.stderr.isatty():  # long imports show progress on a terminal only
        options["progress"] = lambda done, total: click.echo(f"\r{file}: {done:,} / {total:,} rows", err=True, nl=done >= total)
    with _open(store_path) as store:
        name = source or detect_source(file)
        if language and name != "contributions":
            raise click.UsageError(f"--language applies to contribution and links sheets; {file} is {name} data, which says its own language")
        if redact and name != "contributions":
            raise click.UsageError(f"--redact applies to contribution and links sheets; {file} is published {name} data")
        plan = plan_import(name, Path(file), store, **options)
        # the rejected rows first: if their file cannot be written, nothing is stored either
        out = write_rejected(plan.rejected, rejected_path or f"{file}.rejected.csv") if plan.rejected else None
        store.write(plan.changes)
        # an evidence file imported before: its stored report
        report = plan.quality or (stored_report(store, name) if name != "contributions" else None)
    for w in plan.warnings:
        click.secho(f"Warning: {w}", fg="yellow", err=True)
    click.echo(f"{file}: " + ", ".join(f"{v:,} {k}" for k, v in plan.summary.items()))
    if report is not None:
        click.echo(report.summary(), err=True)
    if out:
        click.echo(f"Rejected rows written to {out}; correct them and import that file.", err=True)


@cli.group(context_settings=CONTEXT)
def session():
    """Create and list sessions (a session as held: title, date, place).

    Example:

    \b
        crimekg session new unafei-2026 --title "UNAFEI 172" --date 2026-03-17 --place JPN
        crimekg session list
    """


@session.command("new")
@click.argument("session_id", metavar="ID")
@click.option("--title", required=True, help="The session's title.")
@click.option("--date", "on", help="Date held, YYYY-MM-DD.")
@click.option("--place", help="Country or region (name or ISO code).")
@click.option("--local-place", help="Town or venue, as text.")
@click.option("--code-pattern", metavar="REGEX",
              help="The contributor codes this session accepts: a regular expression a code must match whole "
                   "[default: ^[A-Z]{1,3}\\d{1,4}$, e.g. P07]. A pattern that accepts a name such as JohnSmith is refused.")
@store_option
@handle_errors
def session_new(session_id, title, on, place, local_place, code_pattern, store_path):
    """Create a session (or replace its description, code pattern included).

    Example:

    \b
        crimekg session new unafei-2026 --title "UNAFEI 172" --date 2026-03-17 --place Japan
        crimekg session new room-b --title "Room B" --code-pattern '^B\\d{2}$'
    """
    from crimekg.graph.pii import find_pii
    from crimekg.graph.sessions import session_changeset

    with _open(store_path) as store:
        store.write(session_changeset(store, session_id, title=title, on=on, place=place, local_place=local_place,
                                      code_pattern=code_pattern))
    _warn_lines(f'--title: likely {f.kind} "{f.text}" (a public export shares the title)' for f in find_pii(title))
    click.echo(f"Session {session_id}: {title}")


@session.command("list")
@store_option
@handle_errors
def session_list(store_path):
    """List the sessions with their numbers of contributions and participants.

    Example:

    \b
        crimekg session list
    """
    from crimekg.graph.sessions import list_sessions

    with _open(store_path) as store:
        rows = list_sessions(store)
    for r in rows:
        click.echo(f"{r['id']}  {r['date'] or '-'}  {r['contributions']} contributions, {r['participants']} participants  {r['title']}")


@cli.command()
@click.argument("kind", type=click.Choice(["factor", "pattern", "source", "gap", "response"]))
@click.argument("text")
@click.option("--session", help="Session (default: the only one in the workspace).")
@click.option("--label", help="Short name (default: the text).")
@click.option("--category", help="enabling, profiting, concealment, impunity (factors; several with ';').")
@click.option("--crime", help="Crime type(s), e.g. TIP; SOM.")
@click.option("--actor", help="traffickers, smugglers, criminal networks.")
@click.option("--level", help="local, national, regional.")
@click.option("--place", help="Countries or regions, e.g. 'Japan; PHL'.")
@click.option("--local-place", help="A town or site.")
@click.option("--question", help="Exercise question: 1, 2, 2a-2d.")
@click.option("--group", help="Breakout group.")
@click.option("--contributor", help="Pseudonymous contributor code such as P07.")
@click.option("--language", help="Language of the text, e.g. ja, zh, ru, ar (default: told by the script; Latin text stays untagged).")
@store_option
@handle_errors
def add(kind, text, session, store_path, **values):
    """Add one contribution (and the factor, pattern, source, gap or response it gives) from the command line.

    Example:

    \b
        crimekg add factor "Bribery at checkpoints" --category enabling --crime TIP --place Ghana
        crimekg add factor "国境管理の脆弱さ" --category enabling --language ja
    """
    from crimekg.graph.importers.contributions import plan_rows

    row = {"text": text, "kind": {"source": "data source", "gap": "information gap"}.get(kind, kind)}
    row.update({k: v for k, v in values.items() if v})
    with _open(store_path) as store:
        plan = plan_rows(store, [row], session)
        store.write(plan.changes)
    for w in plan.warnings:
        click.secho(f"Warning: {w}", fg="yellow", err=True)
    click.echo(f"Added {kind}: {plan.summary['item']}")


@cli.command()
@click.argument("source")
@click.argument("relation")
@click.argument("target")
@click.option("--polarity", default="+", show_default=True, help="+ or -.")
@click.option("--strength", help="A number between 0 and 1.")
@click.option("--evidence", help="A case, report or experience behind the link.")
@click.option("--session", help="Session (default: the only one in the workspace).")
@store_option
@handle_errors
def link(source, relation, target, polarity, strength, evidence, session, store_path):
    """Link two factors (named by IRI, label or an unambiguous label prefix) with a relation.

    Example:

    \b
        crimekg link "Corruption" reinforces "Rare convictions" --polarity + --evidence "Group C"
    """
    from crimekg.graph.importers.contributions import plan_link

    with _open(store_path) as store:
        plan = plan_link(store, source, relation, target, polarity=polarity, strength=strength, evidence=evidence, session_id=session)
        store.write(plan.changes)
    for w in plan.warnings:
        click.secho(f"Warning: {w}", fg="yellow", err=True)
    click.echo(f"Linked: {plan.summary['link']}")


@cli.command()
@click.option("--threshold", type=click.FloatRange(0, 100), default=85, show_default=True, help="How alike labels must be (0-100).")
@click.option("--yes", "-y", "yes", is_flag=True, help="Apply every proposed group without asking (for scripts).")
@click.option("--dry-run", is_flag=True, help="Only list the proposed groups.")
@store_option
@handle_errors
def harmonize(threshold, yes, dry_run, store_path):
    """Propose groups of factors that say the same thing, and merge the accepted ones (revertible).

    Example:

    \b
        crimekg harmonize --threshold 85 --yes
    """
    from crimekg.graph.harmonize import factor_table, merge_changeset, propose_groups

    with _open(store_path) as store:
        groups = propose_groups(factor_table(store), threshold)
        accepted = []
        for i, g in enumerate(groups, 1):
            click.echo(f"Group {i} (score {g.score:.0f}): keep \"{g.keep.label}\"; merge " + ", ".join(f'"{m.label}"' for m in g.merge))
            if not dry_run and (yes or click.confirm("  Merge them?", default=True)):
                accepted.append((g.keep.iri, [m.iri for m in g.merge]))
        if accepted:
            store.write(merge_changeset(store, None, None, groups=accepted))
    click.echo(f"{len(groups)} group(s) proposed, {len(accepted)} merged.")


@cli.command()
@click.argument("factors", nargs=-1, required=True)
@yes_option
@store_option
@handle_errors
def merge(factors, yes, store_path):
    """Merge factors into the first one; every label, category, link and contribution is kept.

    Undo with `crimekg split FACTOR`. When a factor is named by a prefix of its label rather than
    exactly (IRI, slug or whole label), the command shows what it found and asks first, unless
    --yes is given; without a terminal it refuses unless --yes is given.

    Example:

    \b
        crimekg merge "Corruption of officials" "Bribery at checkpoints"
    """
    import rdflib

    from crimekg.graph.contributions import names_factor_exactly
    from crimekg.graph.harmonize import merge_changeset
    from crimekg.graph.resolve import Words

    if len(factors) < 2:
        raise click.UsageError("name at least two factors: the one to keep, then those to merge into it")
    with _open(store_path) as store:
        words = Words(store)
        iris = [rdflib.URIRef(words.factor(f)) for f in factors]
        guessed = [(f, i) for f, i in zip(factors, iris) if not names_factor_exactly(store, f, i)]
        if guessed and not yes:
            def label(iri):
                rows = store.select("SELECT ?f ?l WHERE { ?f skos:prefLabel ?l }", {"f": iri})
                return str(rows[0]["l"]) if rows else str(iri)

            for f, i in guessed:
                click.echo(f'"{f}" was taken as "{label(i)}" <{i}> (a prefix of its label)', err=True)
            confirm_or_stop(f'Merge {len(iris) - 1} factor(s) into "{label(iris[0])}"?', "merging factors named by a prefix", "Nothing merged.")
        store.write(merge_changeset(store, iris[0], iris[1:]))
    click.echo(f"Merged {len(iris) - 1} factor(s) into {iris[0]}")


@cli.command()
@click.argument("factor")
@click.argument("contributions", nargs=-1)
@click.option("--session", help="Session of the contributions named by id.")
@store_option
@handle_errors
def split(factor, contributions, session, store_path):
    """Undo the last merge into FACTOR, or move some of its CONTRIBUTIONS to a new factor.

    Example:

    \b
        crimekg split "Corruption of officials"
        crimekg split "Corruption of officials" 2c-12 --session example-2026
    """
    import rdflib

    from crimekg.graph.harmonize import revert_changeset, split_changeset
    from crimekg.graph.resolve import Words
    from crimekg.graph.sessions import find_contributions

    with _open(store_path) as store:
        f = rdflib.URIRef(Words(store).factor(factor))
        if not contributions:
            changes, info = revert_changeset(store, f)
            store.write(changes)
            click.echo(f"Reverted {info['merge']}: restored {len(info['restored'])} factor(s)")
            return
        iris = find_contributions(store, contributions, session)
        changes, new = split_changeset(store, f, iris)
        store.write(changes)
    click.echo(f"Split {len(iris)} contribution(s) into {new}")



# --- analyst questions (query, queries, analyze) ---

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


def _output(output: str):
    """Where a command writes: standard output for ``-``, else the file, written aside and renamed
    into place (never inside a workspace, never through a link already there)."""
    from crimekg.graph.outputs import output_file

    if output == "-":
        return contextlib.nullcontext(sys.stdout.buffer)
    return output_file(output, "wb")


def _write_text(text, output):
    if output == "-":
        click.echo(text, nl=False)
    else:
        with _output(output) as f:
            f.write(text.encode("utf-8"))
        click.echo(f"Wrote {output}", err=True)


def query_limit_options(f):
    """``--allow-service HOST`` (repeatable) and ``--timeout SECONDS``, for the commands that run SPARQL."""
    f = click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
                     help="Stop the query after this many seconds (default: no limit).")(f)
    return click.option("--allow-service", "allow_service", multiple=True, metavar="HOST",
                        help="Let a SERVICE call reach this host (HOST or HOST:PORT; repeatable). "
                             "Without it a query that calls SERVICE is refused, as it would send data away.")(f)


@contextlib.contextmanager
def _stopped_by_ctrl_c():
    """Ctrl-C during a query: one line and exit code 130, not a traceback (a query changes nothing)."""
    try:
        yield
    except KeyboardInterrupt:
        click.echo("Error: query stopped (Ctrl-C); the workspace is unchanged", err=True)
        sys.exit(130)


@cli.command()
@click.argument("query", required=False)
@click.option("-f", "--file", "file_", type=click.File("r", encoding="utf-8"), help="Read the SPARQL from a file (- for stdin).")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="Bind a parameter (repeatable); bound as a value, never pasted into the query.")
@click.option("--format", "fmt", type=click.Choice(QUERY_FORMATS), help="Output: table (default), csv, tsv, json, jsonl, md; W3C sparql-json/-xml/-csv/-tsv; ttl, nt, jsonld, xml for CONSTRUCT/DESCRIBE. "
              "In csv and tsv a text cell starting with =, +, -, @, a tab or a carriage return gets a leading ' so that a spreadsheet shows it instead of running it as a formula.")
@click.option("-o", "--output", default="-", type=click.Path(dir_okay=False, allow_dash=True), help="File to write, - for stdout.")
@query_limit_options
@store_option
@handle_errors
def query(query, file_, params, fmt, output, allow_service, timeout, store_path):
    """Run SPARQL over the workspace: a named query, inline text, or a file (- for stdin).

    `crimekg queries` lists the named queries and their parameters. A parameter takes the words
    every command takes: a place by name in any language, ISO or M49 code; a crime type, category,
    actor or level by slug, label in any language or notation (TIP); a factor by IRI, slug, label,
    alternative label or an unambiguous prefix of one; a session by id or title.

    Example:

    \b
        crimekg query factors-by-place --param place="Western Africa"
        crimekg query "SELECT ?f WHERE { ?f ckg:category category:impunity }" --format csv
        crimekg query -f my-question.rq --format sparql-json
        crimekg query -f wikidata.rq --allow-service query.wikidata.org --timeout 30

    A query only reads: updates (INSERT, DELETE, LOAD ...) are refused, and so is SERVICE
    unless --allow-service names its host. Ctrl-C stops a running query at once.
    """
    from crimekg.graph.query import load_query, run_query

    values = _param_values(params)
    source = None if file_ is None else ("<stdin>" if file_.name == "<stdin>" else file_.name)
    try:
        text = file_.read() if file_ is not None else None
    except UnicodeDecodeError as exc:
        raise click.BadParameter(f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})", param_hint="-f") from exc
    q = load_query(query, text, source)
    with _stopped_by_ctrl_c(), _open(store_path, reading=True) as store:
        text = run_query(store, q, values, allow_service=allow_service, timeout=timeout).serialize(fmt)
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
    from crimekg.graph.query import named_queries, named_query

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
@click.option("--crime", help="Only factors of this crime type (slug, TIP/SOM or a label in any language).")
@click.option("--category", help="Only factors of this category (slug or a label in any language).")
@click.option("--session", help="Only factors from this session (id).")
@click.option("--write", is_flag=True, help="Store the scores in the graph analysis/REPORT (centrality, bridges, communities).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "md"]), default="table", show_default=True,
              help="In csv a text cell starting with =, +, -, @, a tab or a carriage return gets a leading ' (no spreadsheet formula).")
@store_option
@handle_errors
def analyze(report, factors, top, max_length, limit, crime, category, session, write, fmt, store_path):
    """Analyse the factor network: centrality, bridges, communities, upstream, downstream, paths, loops.

    upstream/downstream take a factor, paths takes two: an IRI, slug, label or alternative
    label in any language, or an unambiguous prefix of one (an ambiguous one lists the candidates).

    Example:

    \b
        crimekg analyze centrality --top 5
        crimekg analyze paths poverty-and-unemployment rare-convictions
        crimekg analyze bridges --write
    """
    import json

    from crimekg.graph.analysis import run_analysis
    from crimekg.graph.tables import format_rows

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


# --- views (view; export --format graphml|gexf) ---

VIEW_PRESETS = ["factors", "session", "places", "query", "flows"]


def filter_options(f):
    """``--category``, ``--crime``, ``--actor``, ``--level``, ``--place``, ``--session`` (slugs, repeatable)."""
    for name, example in reversed([("category", "enabling"), ("crime", "trafficking-in-persons"), ("actor", "smugglers"),
                                   ("level", "regional"), ("place", "NGA, or M49 region 011"), ("session", "example-2026")]):
        f = click.option(f"--{name}", multiple=True, help=f"Keep what matches this {name} (e.g. {example}; repeatable).")(f)
    return f


def profile_options(f):
    """``--profile full|public``, ``--place-level country|region`` and ``--redact`` for the pages one shows or shares."""
    f = click.option("--redact", is_flag=True, help="With --profile public: replace likely e-mail addresses, phone numbers and names "
                                                "in participants' text with markers such as [redacted: phone].")(f)
    f = click.option("--place-level", type=click.Choice(["country", "region"]), default="country", show_default=True,
                     help="With --profile public: keep the countries participants gave, or show them as UN M49 subregions.")(f)
    return click.option("--profile", type=click.Choice(["full", "public"]), default="full", show_default=True,
                        help="full: everything, for the facilitator's own screen; public: what a public export shows "
                             "(no contributor codes, groups, times or local places; those written in text marked).")(f)


def _personal_notes(store, profile: str, redact: bool) -> list[str]:
    """The warnings about likely personal details a public page or network would show."""
    if profile != "public":
        return []
    from crimekg.graph.export import personal_warnings

    return personal_warnings(store, redact)


def _check_place_level(profile: str, place_level: str, redact: bool = False) -> None:
    if place_level != "country" and profile != "public":
        raise click.UsageError("--place-level region goes with --profile public")
    if redact and profile != "public":
        raise click.UsageError("--redact goes with --profile public (the full profile is the workspace as it is)")


@cli.command()
@click.argument("preset", required=False, default="factors", type=click.Choice(VIEW_PRESETS))
@filter_options
@click.option("--query", "query", help="query preset: a named query (see `crimekg queries`) or a .rq file.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="A parameter of the query (repeatable).")
@click.option("--steps", help="Presentation order, comma-separated (default: enabling,profiting,concealment,impunity,links).")
@click.option("--size", type=click.Choice(["contributions", "places", "centrality"]), default="contributions", show_default=True,
              help="What a factor's size shows: contributions naming it, places naming it, or betweenness.")
@click.option("--max-nodes", type=click.IntRange(1), default=5000, show_default=True, help="Above this, show groups of nodes.")
@click.option("--flows", type=click.Choice(["citizenship", "routes", "all"]), default=None,
              help="flows preset: victims' citizenship -> country of detection, nationalities -> smuggling routes, or all (default).")
@click.option("--top", type=click.IntRange(0), default=None,
              help="flows preset: the N largest flows of each source (default 30); other countries grouped by UN M49 subregion; 0 for all.")
@click.option("--lang", default="en", show_default=True, help="Language of place and concept names, where the workspace has it (e.g. ru, es).")
@click.option("--title", help="Page title.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="HTML file to write (default: PRESET.html).")
@click.option("--open", "open_", is_flag=True, help="Open the page in the default browser.")
@profile_options
@query_limit_options
@store_option
@handle_errors
def view(preset, category, crime, actor, level, place, session, query, params, steps, size, max_nodes, flows, top, lang, title, output,
         open_, profile, place_level, redact, allow_service, timeout, store_path):
    """Write an interactive network view as one self-contained, offline HTML page.

    The full profile (the default) shows everything, for the facilitator's own screen; --profile
    public draws the page from the public export, to show or share beyond the room.

    Example:

    \b
        crimekg view factors --crime trafficking-in-persons -o factors.html
        crimekg view query --query factor-links
        crimekg view flows --flows routes
        crimekg view places --profile public --place-level region -o places.html
    """
    from crimekg.graph.views import TOP_FLOWS, render_view

    if query and preset != "query":
        raise click.UsageError("--query goes with the query preset: crimekg view query --query NAME")
    if flows and preset != "flows":
        raise click.UsageError("--flows goes with the flows preset: crimekg view flows --flows routes")
    if top is not None and preset != "flows":
        raise click.UsageError("--top goes with the flows preset: crimekg view flows --top 20")
    _check_place_level(profile, place_level, redact)
    values = _param_values(params)
    filters = dict(category=category, crime=crime, actor=actor, level=level, place=place, session=session)
    if (allow_service or timeout) and preset != "query":
        raise click.UsageError("--allow-service and --timeout go with the query preset: crimekg view query --query NAME")
    limits = {"allow_service": allow_service, "timeout": timeout}
    with _stopped_by_ctrl_c(), _open(store_path) as store:
        path = render_view(store, output or f"{preset}.html", title, preset=preset, query=query, params=values, query_options=limits,
                           steps=steps.split(",") if steps else None, size=size, max_nodes=max_nodes, flows=flows or "all",
                           top=TOP_FLOWS if top is None else top, lang=lang, profile=profile, place_level=place_level,
                           redact=redact, **{k: set(v) for k, v in filters.items() if v})
        notes = _personal_notes(store, profile, redact)
    _warn_lines(notes)
    click.echo(f"Wrote {path}")
    if open_:
        click.launch(str(path))


# --- evidence (brief; importers register in graph/importers) ---


@cli.command()
@click.option("--place", help="Country or region: a name in any language the places carry, ISO3/ISO2 or M49 code (NGA, Nigeria, 'Western Africa', 011).")
@click.option("--country", hidden=True, help="Older spelling of --place for a country: ISO3 code or name.")
@click.option("--region", hidden=True, help="Older spelling of --place for a region: UN M49 name or code (e.g. 'Western Africa' or 011).")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "pdf"]), default="md", show_default=True,
              help="md: Markdown tables; html: one offline page with charts (prints well); pdf: that page printed to A4 by Chromium.")
@click.option("-o", "--output", default="-", type=click.Path(dir_okay=False, allow_dash=True), help="File to write, - for stdout (not for pdf).")
@profile_options
@store_option
@handle_errors
def brief(place, country, region, fmt, output, profile, place_level, redact, store_path):
    """Answer the post-session checklist for a country or region from the imported data and the contributions.

    On a terminal, a progress bar on stderr follows the queries and the charts. The full profile
    (the default) is the facilitator's own; --profile public answers from the public export, to
    share (with --place-level region, a country's brief lists what participants said about its
    UN M49 subregion).

    Example:

    \b
        crimekg brief --place Nigeria
        crimekg brief --place "Western Africa" --format html -o brief.html
        crimekg brief --place Nigeria --format pdf -o nigeria.pdf
        crimekg brief --place Nigeria --profile public --place-level region
    """
    from crimekg.graph.brief import build_brief, render_brief, write_pdf

    if fmt == "pdf" and output == "-":
        raise click.UsageError("--format pdf writes a file: give -o FILE.pdf")
    _check_place_level(profile, place_level, redact)
    with _brief_progress() as progress:
        with _open(store_path) as store:
            b = build_brief(store, place=place, country=country, region=region, progress=progress,
                            profile=profile, place_level=place_level, redact=redact)
            notes = _personal_notes(store, profile, redact)
        _warn_lines(notes)
        text = render_brief(b, "md" if fmt == "md" else "html", progress=progress)
        if fmt == "pdf":
            progress(0, 1, "Printing to PDF with Chromium")
            write_pdf(text, output)
            progress(1, 1, "Printed")
    if fmt == "pdf":
        click.echo(f"Wrote {output}", err=True)
    else:
        _write_text(text, output)


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


@contextlib.contextmanager
def _brief_progress():
    """A ``progress(done, total, what)`` callback that keeps one status line on stderr when it is a terminal."""
    if not _stderr_is_terminal():
        yield lambda done, total, what: None
        return
    width = 0

    def progress(done, total, what):
        nonlocal width
        line = f"Brief: {done}/{total} {what}"[:78]
        click.echo("\r" + line.ljust(width), nl=False, err=True)
        width = len(line)

    try:
        yield progress
    finally:
        if width:
            click.echo("\r" + " " * width + "\r", nl=False, err=True)


# --- publishing and comparing (release, diff, merge-workspace) ---


#: The release metadata options of `describe` and `release`: (declarations, settings, what it is,
#: what `describe` adds, what `release` falls back to).
_METADATA_OPTIONS = (
    (("--title",), {}, "The data set's title", "", "as `crimekg describe` set it, else 'crimekg knowledge graph'"),
    (("--description",), {}, "One paragraph on the data", "", "as described, else written from the counts"),
    (("--licence", "--license", "licence"), {}, "The data's licence: an SPDX id (CC-BY-4.0, CC0-1.0, ODbL-1.0...) or a URL", "",
     "as described, else CC-BY-4.0"),
    (("--creator", "creators"), {"multiple": True}, "A creator, as cited (repeatable", "; replaces the creators set before)",
     "as described)"),
    (("--publisher",), {}, "Who publishes the data", "", "as described"),
    (("--version", "version_"), {}, "The release's version", "", "as described, else 1.0"),
    (("--endpoint",), {}, "The SPARQL endpoint that serves the data, if any", "", "as described"),
)


def metadata_options(for_release: bool):
    """The release metadata options; for `release`, each help says what it falls back to."""
    def decorate(f):
        for decls, settings, what, described, fallback in reversed(_METADATA_OPTIONS):
            if for_release:
                help_ = f"{what}; default: {fallback}." if what.endswith("(repeatable") else f"{what} (default: {fallback})."
            else:
                help_ = f"{what}{described}."
            f = click.option(*decls, help=help_, **settings)(f)
        return f
    return decorate


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--profile", type=click.Choice(["public", "full"]), default="public", show_default=True,
              help="public drops contributor codes, participants, groups, times and local places, the merge history included.")
@click.option("--place-level", type=click.Choice(["country", "region"]), default="country", show_default=True,
              help="With --profile public: keep countries, or generalise them to UN M49 subregions.")
@metadata_options(for_release=True)
@click.option("--redact", is_flag=True, help="With --profile public: replace likely e-mail addresses, phone numbers and names "
                                            "in participants' text with markers such as [redacted: phone].")
@store_option
@handle_errors
def release(directory, profile, place_level, title, description, licence, creators, publisher, version_, endpoint, redact, store_path):
    """Write a citable, reproducible release of the workspace into a new folder.

    Data in Turtle, N-Quads and JSON-LD, the ontology and shapes apart, void.ttl (VoID and DCAT),
    CITATION.cff, README.md, ontology.html and SHA256SUMS. Dates come from the data, or from
    SOURCE_DATE_EPOCH; the same workspace gives the same bytes. Title, licence, creators and the
    rest come from the options, else from what `crimekg describe` set in the workspace.

    Example:

    \b
        crimekg release out/ --title 'UNAFEI 172 factors' --creator 'A. Researcher' --publisher UNAFEI
    """
    from crimekg.graph.export import personal_warnings
    from crimekg.graph.release import release as write_release, release_info

    if redact and profile != "public":
        raise click.UsageError("--redact goes with --profile public")
    with _open(store_path) as store:
        info = release_info(store, title=title, description=description, licence=licence, creators=list(creators),
                            publisher=publisher, version=version_, endpoint=endpoint)
        out = write_release(store, directory, info, profile=profile, place_level=place_level, redact=redact)
        _warn_lines(personal_warnings(store, redact) if profile == "public" else [])
    triples = sum(out["graphs"].values())
    click.echo(f"Wrote {len(out['files'])} files to {out['directory']}: {triples} data triples in {len(out['graphs'])} graph(s), dated {out['date'] or 'undated'}")


# --- release metadata (describe) ---


@cli.command()
@metadata_options(for_release=False)
@store_option
@handle_errors
def describe(title, description, licence, creators, publisher, version_, endpoint, store_path):
    """Set the workspace's release metadata (title, licence, creators...), or print it.

    `crimekg release` uses it when its own options are not given. With no option, prints what is
    set. An option given an empty value ('') clears that field.

    Example:

    \b
        crimekg describe --title 'UNAFEI 172 factors' --creator 'A. Researcher' --licence CC0-1.0
        crimekg describe
    """
    from crimekg.graph.release import describe as set_description, described

    given = dict(title=title, description=description, licence=licence, publisher=publisher, version=version_,
                 endpoint=endpoint, creators=list(creators) if creators else None)
    with _open(store_path, reading=not any(v is not None for v in given.values())) as store:
        if any(v is not None for v in given.values()):
            info = set_description(store, **given)
        else:
            info = described(store)
    if not info:
        click.echo("No release metadata set; `crimekg describe --title ...` sets it.")
        return
    for key in ("title", "description", "licence", "creators", "publisher", "version", "endpoint"):
        if key in info:
            value = "; ".join(info[key]) if key == "creators" else info[key]
            click.echo(f"{key}: {value}")


@cli.command()
@click.argument("a")
@click.argument("b")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Output format.")
@click.option("--view", "view_path", type=click.Path(dir_okay=False), help="Also write an HTML view colouring factors new, gone or kept.")
@click.option("-o", "--output", default="-", type=click.Path(dir_okay=False, allow_dash=True), help="File to write, - for stdout.")
@store_option
@handle_errors
def diff(a, b, fmt, view_path, output, store_path):
    """Compare two sessions, workspaces or releases: factors, links and categories new, gone, kept.

    A and B are each a release folder, a workspace folder, or a session id in the workspace.

    Example:

    \b
        crimekg diff example-2025 example-2026
        crimekg diff release-2025/ release-2026/ --format json --view changes.html
    """
    from crimekg.graph.diff import diff as compare, format_diff, load_side, render_diff_view

    d = compare(load_side(a, store_path), load_side(b, store_path))
    _write_text(format_diff(d, fmt), output)
    if view_path:
        render_diff_view(d, view_path)
        click.echo(f"Wrote {view_path}", err=True)


@cli.command("merge-workspace")
@click.argument("source", required=False, type=click.Path(file_okay=False))
@click.option("--threshold", type=click.FloatRange(0, 100), default=85, show_default=True, help="How alike factor labels must be to be proposed as one (0-100).")
@click.option("--yes", "-y", "yes", is_flag=True, help="Merge every proposed group of factors without asking.")
@click.option("--list", "list_", is_flag=True, help="List the workspaces brought in, with their ids.")
@click.option("--undo", metavar="ID", help="Take out again the graphs a workspace brought in (by id from --list).")
@store_option
@handle_errors
def merge_workspace(source, threshold, yes, list_, undo, store_path):
    """Bring another workspace's sessions in beside these, then match factors that say the same (with review).

    Factors are matched as `crimekg harmonize` does; each merge can be undone with `crimekg split`,
    and --undo takes the brought-in graphs out again.

    Example:

    \b
        crimekg merge-workspace ../room-3-data
        crimekg merge-workspace --list
    """
    from crimekg.graph.harmonize import (factor_table, merge_changeset, propose_groups, unmerge_workspace_changeset,
                                         workspace_changeset, workspace_merges)
    from crimekg.graph.store import graph_name

    if sum(map(bool, (source, list_, undo))) != 1:
        raise click.UsageError("give a SOURCE workspace, or --list, or --undo ID")
    with _open(store_path) as store:
        if list_:
            for m in workspace_merges(store):
                click.echo(f"{m['merge'].rsplit('/', 1)[-1]}  {m['label']}: {', '.join(graph_name(g) for g in m['graphs'])}")
            return
        if undo:
            changes, graphs = unmerge_workspace_changeset(store, undo)
            store.write(changes)
            click.echo(f"Took out {len(graphs)} graph(s): {', '.join(graph_name(g) for g in graphs)}")
            return
        changes, graphs, record = workspace_changeset(store, source)
        store.write(changes)
        click.echo(f"Brought in {len(graphs)} graph(s) as {record.rsplit('/', 1)[-1]}: {', '.join(graph_name(g) for g in graphs)}")
        groups = propose_groups(factor_table(store), threshold)
        accepted = []
        for i, g in enumerate(groups, 1):
            click.echo(f"Group {i} (score {g.score:.0f}): keep \"{g.keep.label}\"; merge " + ", ".join(f'"{m.label}"' for m in g.merge))
            if yes or click.confirm("  Merge them?", default=True):
                accepted.append((g.keep.iri, [m.iri for m in g.merge]))
        if accepted:
            store.write(merge_changeset(store, None, None, groups=accepted))
    click.echo(f"{len(groups)} group(s) of factors proposed, {len(accepted)} merged.")


# --- copy (move a workspace to another store) ---


@cli.command("copy")
@click.argument("source")
@click.argument("destination")
@click.option("--replace", is_flag=True, help="Put the copy in place of a destination that already holds a workspace.")
@handle_errors
def copy_(source, destination, replace):
    """Copy a workspace to another store: a directory or a SPARQL 1.1 server's URL, either way.

    Every graph travels, with the workspace secret (so contribution keys stay the same); the
    destination changes in one step, and one that holds anything is refused unless --replace.

    Example:

    \b
        crimekg copy ./crimekg-data http://127.0.0.1:7878
        crimekg copy http://127.0.0.1:7878 ./back-home
    """
    from crimekg.graph.copy import copy_workspace

    report = copy_workspace(source, destination, replace=replace)
    click.echo(f"Copied {report.triples:,} triples in {len(report.graphs)} graphs from {report.source} to {report.destination}")


# --- serve (the live session and the SPARQL endpoint) ---


@cli.command()
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535), help="TCP port to listen on.")
@click.option("--lan", is_flag=True, help="Listen on the room's network too (default: this machine only, 127.0.0.1); prints the join URL and a QR code.")
@click.option("--secret", help="The facilitator's secret, at least 12 characters (default: a new random one, printed).")
@click.option("--session", help="The session participants join (created if new; default: every session in the workspace).")
@click.option("--query-timeout", default=10.0, show_default=True, type=click.FloatRange(min=0, min_open=True), help="Seconds a /sparql query may run.")
@click.option("--max-rows", default=10_000, show_default=True, type=click.IntRange(min=1), help="Rows a /sparql answer holds at most.")
@click.option("--max-body", default=256 * 1024, show_default=True, type=click.IntRange(min=1024),
              help="Bytes a request body (a form, a SPARQL query) may hold; larger ones get 413. The server takes no uploads.")
@click.option("--cors-origin", "cors_origins", multiple=True, metavar="ORIGIN",
              help="A web page's origin (https://host[:port]) that may read /sparql from a browser, besides this server's "
                   "pages and pages on this machine (localhost); repeatable; '*' lets every page read the workspace.")
@store_option
@handle_errors
def serve(port, lan, secret, session, query_timeout, max_rows, max_body, cors_origins, store_path):
    """Serve the workspace to the room: participants' form, facilitator's queue and live view, SPARQL.

    Example:

    \b
        crimekg serve --session unafei-2026
        crimekg serve --lan --secret 'tea-and-maps'
        curl -H 'Accept: text/csv' 'http://127.0.0.1:8765/sparql?query=ASK{?s?p?o}'
    """
    from crimekg.graph import server

    options = server.ServeOptions(store_path, port, lan, secret, query_timeout, max_rows, session, max_body, tuple(cors_origins))
    secret = secret or server.new_secret()
    host = server.lan_address() if lan else "127.0.0.1"
    room = server.open_room(options)
    try:
        codes = {s["id"]: s["code"] for s in room.sessions()}
        base = f"http://{host}:{port}"
        app = server.make_app(room, options, secret, base)
        click.echo(f"Serving {room.store.location} on {base} ({'the room network' if lan else 'this machine only'})", err=True)
        click.echo(f"Facilitator: {base}/facilitator?secret={secret}", err=True)
        for sid, code in codes.items():
            click.echo(f"Join {sid}: {server.join_url(host, port, code)}  (code {code})", err=True)
        if lan and codes:
            click.echo(server.qr_text(server.join_url(host, port, codes[session] if session in codes else next(iter(codes.values())))), err=True)
        click.echo(f"SPARQL:      {base}/sparql   Query page: {base}/yasgui", err=True)
        click.echo("Ctrl-C stops the server.", err=True)
        server.run(app, options)
    finally:
        room.store.close()


if __name__ == "__main__":
    cli()
