// The query page: YASGUI (served by this server, never from a CDN) on this server's /sparql, with
// the crimekg prefixes and the named queries as examples. Everything that would reach another host
// is turned off: the endpoint catalogue, prefix.cc look-ups, the vocabulary autocompleters (LOV)
// and the CORS proxy; the page's CSP refuses other hosts as well.
"use strict";
(function () {
  const conf = JSON.parse(document.getElementById("crimekg-yasgui").textContent);
  const endpoint = location.origin + "/sparql";
  const prefixes = Object.entries(conf.prefixes).map(([p, iri]) => `PREFIX ${p}: <${iri}>`).join("\n");
  const Yasqe = window.Yasgui.Yasqe;
  Yasqe.defaults.autocompleters = ["variables"];  // the others ask lov.linkeddata.es and prefix.cc
  Yasqe.defaults.prefixCcApi = location.origin + "/query/prefixes.json";
  const yasgui = new window.Yasgui(document.getElementById("yasgui"), {
    requestConfig: {endpoint: endpoint, method: "POST"},
    endpointCatalogueOptions: {getData: () => [{endpoint: endpoint}]},
    copyEndpointOnNewTab: true,
    persistenceId: null,  // nothing kept from another server's page
    corsProxy: undefined,
    yasqe: {value: prefixes + "\n\n" + conf.start, autocompleters: ["variables"], prefixCcApi: location.origin + "/query/prefixes.json"},
  });
  window.crimekgYasgui = yasgui;
  const list = document.getElementById("examples");
  for (const q of conf.examples) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = q.name;
    b.title = q.description;
    b.dataset.query = q.name;
    b.addEventListener("click", () => {
      const tab = yasgui.getTab();
      tab.setQuery(prefixes + "\n\n" + q.text);
      tab.setEndpoint(endpoint);
    });
    const li = document.createElement("li");
    li.append(b, document.createTextNode(" " + q.description));
    list.append(li);
  }
  document.body.dataset.ready = "1";
})();
