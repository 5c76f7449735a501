// A minimal SPARQL 1.1 protocol front over Apache Jena ARQ and a TDB2 dataset, for crimekg's
// remote-store tests and benchmark. It is NOT Apache Jena Fuseki: it is the engine Fuseki runs
// (ARQ over TDB2) behind the JDK's own HTTP server, speaking only what the W3C standards say:
//
//   /NAME/query   SPARQL 1.1 Query (GET ?query=, POST form or application/sparql-query), with
//                 default-graph-uri / named-graph-uri; results as SPARQL JSON, XML, CSV or TSV;
//                 CONSTRUCT / DESCRIBE as N-Triples, Turtle or N-Quads, chosen by Accept
//   /NAME/update  SPARQL 1.1 Update (POST form or application/sparql-update)
//   /NAME/data    SPARQL 1.1 Graph Store HTTP Protocol: GET, PUT, POST, DELETE with ?graph= or
//                 ?default; request bodies are streamed into the dataset
//
// Every request runs in one TDB2 transaction (read, or write), so each is applied whole or not at
// all. Binds 127.0.0.1 only. With --union-default-graph, TDB2 answers a query that names no dataset
// from the union of its named graphs (TDB2's own union index, as Fuseki's tdb2:unionDefaultGraph).
//
// With --timeout SECONDS a query that runs longer is cancelled (an abandoned query does not run on).
//
//   java -cp CLASSPATH JenaSparqlServer --loc DIR --port PORT [--name crimekg] [--union-default-graph] [--timeout S]

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.BufferedOutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.apache.jena.graph.Graph;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.graph.Triple;
import org.apache.jena.query.Query;
import org.apache.jena.query.QueryExecution;
import org.apache.jena.query.QueryCancelledException;
import org.apache.jena.query.QueryExecutionDatasetBuilder;
import org.apache.jena.query.QueryFactory;
import org.apache.jena.query.ResultSetFormatter;
import org.apache.jena.query.Syntax;
import org.apache.jena.query.DatasetFactory;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFDataMgr;
import org.apache.jena.riot.RDFLanguages;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.riot.RiotException;
import org.apache.jena.riot.system.StreamRDF;
import org.apache.jena.riot.system.StreamRDFBase;
import org.apache.jena.riot.system.StreamRDFWriter;
import org.apache.jena.sparql.core.DatasetDescription;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DynamicDatasets;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.graph.GraphFactory;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2;
import org.apache.jena.tdb2.TDB2Factory;
import org.apache.jena.update.UpdateExecutionFactory;
import org.apache.jena.update.UpdateFactory;
import org.apache.jena.query.QueryParseException;
import org.apache.jena.update.UpdateRequest;
import org.apache.jena.query.Dataset;

public final class JenaSparqlServer {

    /** A client error: the request is answered with this status and a one-line text. */
    static final class Refused extends RuntimeException {
        final int status;

        Refused(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private final DatasetGraph dsg;
    private final long timeoutMillis;

    JenaSparqlServer(DatasetGraph dsg, long timeoutMillis) {
        this.dsg = dsg;
        this.timeoutMillis = timeoutMillis;
    }

    public static void main(String[] args) throws IOException {
        String loc = null;
        String name = "crimekg";
        int port = 3030;
        boolean union = false;
        long timeout = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--loc": loc = args[++i]; break;
                case "--port": port = Integer.parseInt(args[++i]); break;
                case "--name": name = args[++i].replaceAll("^/+|/+$", ""); break;
                case "--union-default-graph": union = true; break;
                case "--timeout": timeout = (long) (Double.parseDouble(args[++i]) * 1000); break;
                default:
                    System.err.println("usage: JenaSparqlServer --loc DIR --port PORT [--name DATASET] [--union-default-graph] [--timeout SECONDS]");
                    System.exit(2);
            }
        }
        if (loc == null) {
            System.err.println("JenaSparqlServer: --loc DIR is required (the TDB2 database)");
            System.exit(2);
        }
        Dataset dataset = TDB2Factory.connectDataset(loc);
        if (union) {
            // the context symbol TDB2's query engine reads: the default graph is the union of the named graphs
            dataset.getContext().set(TDB2.symUnionDefaultGraph, true);
        }
        JenaSparqlServer front = new JenaSparqlServer(dataset.asDatasetGraph(), timeout);
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        http.createContext("/" + name + "/query", ex -> front.handle(ex, front::query));
        http.createContext("/" + name + "/update", ex -> front.handle(ex, front::update));
        http.createContext("/" + name + "/data", ex -> front.handle(ex, front::graphStore));
        http.setExecutor(Executors.newFixedThreadPool(8));
        http.start();
        System.err.println("JenaSparqlServer: ARQ over TDB2 at " + loc + (union ? " (union default graph)" : "")
            + " on http://127.0.0.1:" + port + "/" + name);
    }

    interface Handler {
        void run(HttpExchange ex) throws IOException;
    }

    void handle(HttpExchange ex, Handler handler) {
        try {
            handler.run(ex);
        } catch (Refused e) {
            answerText(ex, e.status, e.getMessage());
        } catch (QueryCancelledException e) {
            answerText(ex, 503, "the query ran past the server's timeout and was cancelled");
        } catch (QueryParseException e) {
            answerText(ex, 400, "Parse error: " + e.getMessage());
        } catch (RiotException e) {
            answerText(ex, 400, "Bad RDF: " + e.getMessage());
        } catch (Throwable e) {
            answerText(ex, 500, e.getClass().getSimpleName() + ": " + e.getMessage());
        } finally {
            ex.close();
        }
    }

    static void answerText(HttpExchange ex, int status, String text) {
        try {
            byte[] body = (oneLine(text) + "\n").getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            ex.sendResponseHeaders(status, body.length);
            ex.getResponseBody().write(body);
        } catch (IOException | IllegalStateException ignored) {
            // headers already sent (an error in the middle of a streamed answer): the connection closes
        }
    }

    static String oneLine(String text) {
        return text == null ? "" : text.replaceAll("\\s+", " ").trim();
    }

    // -- request parameters -------------------------------------------------------------------

    static Map<String, List<String>> parseForm(String text) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (text == null || text.isEmpty()) {
            return out;
        }
        for (String pair : text.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        }
        return out;
    }

    static String first(Map<String, List<String>> params, String key) {
        List<String> values = params.get(key);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    static String mediaType(HttpExchange ex) {
        String ct = ex.getRequestHeaders().getFirst("Content-Type");
        return ct == null ? "" : ct.split(";")[0].trim().toLowerCase(Locale.ROOT);
    }

    static String readBody(HttpExchange ex) throws IOException {
        return new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    }

    /** The query string's parameters, with a form body's (POST application/x-www-form-urlencoded). */
    static Map<String, List<String>> params(HttpExchange ex) throws IOException {
        Map<String, List<String>> params = parseForm(ex.getRequestURI().getRawQuery());
        if ("POST".equals(ex.getRequestMethod()) && "application/x-www-form-urlencoded".equals(mediaType(ex))) {
            parseForm(readBody(ex)).forEach((k, v) -> params.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
        }
        return params;
    }

    static String accept(HttpExchange ex) {
        String a = ex.getRequestHeaders().getFirst("Accept");
        return a == null ? "" : a.toLowerCase(Locale.ROOT);
    }

    static OutputStream stream(HttpExchange ex, int status, String contentType) throws IOException {
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(status, 0); // chunked: the answer is streamed
        return new BufferedOutputStream(ex.getResponseBody(), 1 << 16);
    }

    // -- SPARQL 1.1 Query ----------------------------------------------------------------------

    void query(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod();
        Map<String, List<String>> params = params(ex);
        String text;
        if ("GET".equals(method)) {
            text = first(params, "query");
        } else if ("POST".equals(method)) {
            text = "application/sparql-query".equals(mediaType(ex)) ? readBody(ex) : first(params, "query");
        } else {
            throw new Refused(405, "method " + method + " not allowed on the query endpoint");
        }
        if (text == null) {
            throw new Refused(400, "no query given (a 'query' parameter, or a POST body of type application/sparql-query)");
        }
        Query query = QueryFactory.create(text, Syntax.syntaxSPARQL_11);
        List<String> defaults = params.getOrDefault("default-graph-uri", List.of());
        List<String> named = params.getOrDefault("named-graph-uri", List.of());
        // the protocol's dataset, when given, replaces the query's own FROM / FROM NAMED
        DatasetDescription description = !defaults.isEmpty() || !named.isEmpty()
            ? DatasetDescription.create(defaults, named)
            : (query.hasDatasetDescription() ? DatasetDescription.create(query) : null);
        Query plain = query.cloneQuery();
        plain.getGraphURIs().clear();
        plain.getNamedGraphURIs().clear();
        String accept = accept(ex);
        Txn.executeRead(dsg, () -> {
            DatasetGraph target = description == null ? dsg : DynamicDatasets.dynamicDataset(description, dsg, false);
            QueryExecutionDatasetBuilder build = QueryExecutionDatasetBuilder.create().query(plain).dataset(DatasetFactory.wrap(target));
            if (timeoutMillis > 0) {
                build.overallTimeout(timeoutMillis, TimeUnit.MILLISECONDS);
            }
            try (QueryExecution qe = build.build()) {
                answer(ex, plain, qe, accept);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
    }

    private static void answer(HttpExchange ex, Query query, QueryExecution qe, String accept) throws IOException {
        if (query.isSelectType()) {
            var rs = qe.execSelect();
            if (accept.contains("application/sparql-results+xml")) {
                try (OutputStream out = stream(ex, 200, "application/sparql-results+xml")) {
                    ResultSetFormatter.outputAsXML(out, rs);
                }
            } else if (accept.contains("text/csv")) {
                try (OutputStream out = stream(ex, 200, "text/csv; charset=utf-8")) {
                    ResultSetFormatter.outputAsCSV(out, rs);
                }
            } else if (accept.contains("text/tab-separated-values")) {
                try (OutputStream out = stream(ex, 200, "text/tab-separated-values; charset=utf-8")) {
                    ResultSetFormatter.outputAsTSV(out, rs);
                }
            } else {
                try (OutputStream out = stream(ex, 200, "application/sparql-results+json")) {
                    ResultSetFormatter.outputAsJSON(out, rs);
                }
            }
        } else if (query.isAskType()) {
            boolean yes = qe.execAsk();
            if (accept.contains("application/sparql-results+xml")) {
                try (OutputStream out = stream(ex, 200, "application/sparql-results+xml")) {
                    ResultSetFormatter.outputAsXML(out, yes);
                }
            } else if (accept.contains("text/csv")) {
                try (OutputStream out = stream(ex, 200, "text/csv; charset=utf-8")) {
                    ResultSetFormatter.outputAsCSV(out, yes);
                }
            } else if (accept.contains("text/tab-separated-values")) {
                try (OutputStream out = stream(ex, 200, "text/tab-separated-values; charset=utf-8")) {
                    ResultSetFormatter.outputAsTSV(out, yes);
                }
            } else {
                try (OutputStream out = stream(ex, 200, "application/sparql-results+json")) {
                    ResultSetFormatter.outputAsJSON(out, yes);
                }
            }
        } else if (query.isConstructType() && accept.contains("application/n-quads")) {
            Iterator<Quad> quads = qe.execConstructQuads();
            try (OutputStream out = stream(ex, 200, "application/n-quads")) {
                StreamRDF w = StreamRDFWriter.getWriterStream(out, Lang.NQUADS);
                w.start();
                quads.forEachRemaining(w::quad);
                w.finish();
            }
        } else {
            Iterator<Triple> triples = query.isDescribeType() ? qe.execDescribeTriples() : qe.execConstructTriples();
            if (accept.contains("text/turtle")) {
                Graph graph = GraphFactory.createDefaultGraph();
                triples.forEachRemaining(graph::add);
                try (OutputStream out = stream(ex, 200, "text/turtle; charset=utf-8")) {
                    RDFDataMgr.write(out, graph, Lang.TURTLE);
                }
            } else {
                try (OutputStream out = stream(ex, 200, "application/n-triples")) {
                    StreamRDF w = StreamRDFWriter.getWriterStream(out, Lang.NTRIPLES);
                    w.start();
                    triples.forEachRemaining(w::triple);
                    w.finish();
                }
            }
        }
    }

    // -- SPARQL 1.1 Update ---------------------------------------------------------------------

    void update(HttpExchange ex) throws IOException {
        if (!"POST".equals(ex.getRequestMethod())) {
            throw new Refused(405, "method " + ex.getRequestMethod() + " not allowed on the update endpoint (POST)");
        }
        String text = "application/sparql-update".equals(mediaType(ex)) ? readBody(ex) : first(params(ex), "update");
        if (text == null) {
            throw new Refused(400, "no update given (an 'update' form field, or a body of type application/sparql-update)");
        }
        UpdateRequest request = UpdateFactory.create(text, Syntax.syntaxSPARQL_11);
        Txn.executeWrite(dsg, () -> UpdateExecutionFactory.create(request, dsg).execute());
        ex.sendResponseHeaders(204, -1);
    }

    // -- SPARQL 1.1 Graph Store HTTP Protocol --------------------------------------------------

    void graphStore(HttpExchange ex) throws IOException {
        Map<String, List<String>> params = parseForm(ex.getRequestURI().getRawQuery());
        String graph = first(params, "graph");
        boolean isDefault = params.containsKey("default");
        if ((graph == null) == !isDefault) {
            throw new Refused(400, "name one graph: ?graph=IRI or ?default");
        }
        Node g = isDefault ? Quad.defaultGraphIRI : NodeFactory.createURI(graph);
        switch (ex.getRequestMethod()) {
            case "GET": getGraph(ex, g, isDefault, false); break;
            case "HEAD": getGraph(ex, g, isDefault, true); break;
            case "PUT": putGraph(ex, g, isDefault, true); break;
            case "POST": putGraph(ex, g, isDefault, false); break;
            case "DELETE": deleteGraph(ex, g, isDefault); break;
            default: throw new Refused(405, "method " + ex.getRequestMethod() + " not allowed on the Graph Store endpoint");
        }
    }

    private boolean exists(Node g, boolean isDefault) {
        return isDefault || dsg.containsGraph(g);
    }

    private void getGraph(HttpExchange ex, Node g, boolean isDefault, boolean head) {
        String accept = accept(ex);
        Lang lang = accept.contains("text/turtle") ? Lang.TURTLE : Lang.NTRIPLES;
        Txn.executeRead(dsg, () -> {
            try {
                if (!exists(g, isDefault)) {
                    throw new Refused(404, "no such graph: " + g);
                }
                String type = lang == Lang.TURTLE ? "text/turtle; charset=utf-8" : "application/n-triples";
                if (head) {
                    ex.getResponseHeaders().set("Content-Type", type);
                    ex.sendResponseHeaders(200, -1);
                    return;
                }
                Graph graph = isDefault ? dsg.getDefaultGraph() : dsg.getGraph(g);
                try (OutputStream out = stream(ex, 200, type)) {
                    if (lang == Lang.TURTLE) {
                        RDFDataMgr.write(out, graph, Lang.TURTLE);
                    } else {
                        StreamRDF w = StreamRDFWriter.getWriterStream(out, Lang.NTRIPLES);
                        w.start();
                        Iterator<Triple> it = graph.find();
                        it.forEachRemaining(w::triple);
                        w.finish();
                    }
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
    }

    private void putGraph(HttpExchange ex, Node g, boolean isDefault, boolean replace) throws IOException {
        String type = mediaType(ex);
        Lang lang = type.isEmpty() ? null : RDFLanguages.contentTypeToLang(type);
        if (lang == null || RDFLanguages.isQuads(lang) && !isDefault) {
            throw new Refused(415, "unsupported media type '" + type + "' (give N-Triples, Turtle or RDF/XML)");
        }
        InputStream body = ex.getRequestBody();
        boolean[] created = new boolean[1];
        Txn.executeWrite(dsg, () -> {
            created[0] = !exists(g, isDefault);
            if (replace) {
                if (isDefault) {
                    dsg.getDefaultGraph().clear();
                } else {
                    dsg.removeGraph(g);
                }
            }
            StreamRDF into = new StreamRDFBase() {
                @Override
                public void triple(Triple t) {
                    dsg.add(g, t.getSubject(), t.getPredicate(), t.getObject());
                }
            };
            // streamed from the request body into the write transaction; a syntax error aborts it whole
            RDFParser.source(body).lang(lang).base("http://127.0.0.1/").parse(into);
        });
        ex.sendResponseHeaders(created[0] ? 201 : 204, -1);
    }

    private void deleteGraph(HttpExchange ex, Node g, boolean isDefault) throws IOException {
        boolean[] found = new boolean[1];
        Txn.executeWrite(dsg, () -> {
            found[0] = exists(g, isDefault);
            if (isDefault) {
                dsg.getDefaultGraph().clear();
            } else if (found[0]) {
                dsg.removeGraph(g);
            }
        });
        if (!found[0]) {
            throw new Refused(404, "no such graph: " + g);
        }
        ex.sendResponseHeaders(204, -1);
    }
}
