// Keeps the live view (the page `crimekg view` writes) up to date: on each server-sent event that
// says the workspace changed, it fetches the view's new data and updates the network in place, so
// the zoom, the selection, the filters and the presentation step stay as they were.
"use strict";
(function () {
  const me = document.currentScript;
  const preset = me.dataset.preset || "factors";
  let version = Number(me.dataset.version || 0);
  const EDGE = {
    link: {color: "#444444", dashes: false}, negative: {color: "#cc0000", dashes: [8, 6]},
    structure: {color: "#b0b0b0", dashes: false}, flow: {color: "#6a3d9a", dashes: false}, route: {color: "#e08214", dashes: [2, 5]}
  };
  const DARK = {link: "#e0e0e0", structure: "#8a8a8a"};
  let busy = false, again = false;

  function nodeItem(n, styles, hidden, keep) {
    const at = keep || {x: n.x, y: n.y};
    const item = {id: n.id, label: n.label, x: at.x, y: at.y, value: n.value, title: n.title, hidden: hidden};
    // the page's own look (colour, shape, a multi-category factor's segments), so both draw alike
    if (window.crimekg.nodeLook) return Object.assign(item, window.crimekg.nodeLook(n));
    const s = styles[n.group] || {color: "#777777", shape: "dot"};
    return Object.assign(item, {shape: s.shape,
            color: {background: s.color, border: s.color, highlight: {background: s.color, border: "#000000"}, hover: {background: s.color, border: "#000000"}}});
  }
  function edgeItem(e, i, dark, hidden) {
    const s = EDGE[e.style] || EDGE.link;
    const c = (dark && DARK[e.style]) || s.color;
    const hi = dark ? "#ffffff" : "#000000";
    return {id: i, from: e.from, to: e.to, label: e.label || undefined, width: e.width, dashes: s.dashes, title: e.title, hidden: hidden,
            color: {color: c, highlight: hi, hover: hi, opacity: e.style === "structure" ? 0.7 : 1},
            arrows: {to: {enabled: true, scaleFactor: e.style === "structure" ? 0.4 : 0.7}}};
  }

  function update(fresh) {
    const ck = window.crimekg;
    const net = ck.network, DATA = ck.data;
    const iriOf = new Map(DATA.nodes.map((n) => [n.id, n.iri]));
    const positions = net.getPositions();
    const kept = new Map();
    for (const [id, p] of Object.entries(positions)) kept.set(iriOf.get(Number(id)), p);
    const selected = new Set(net.getSelectedNodes().map((id) => iriOf.get(id)));
    const view = {position: net.getViewPosition(), scale: net.getScale()};
    // the page's own bookkeeping of what is hidden is by position: keep each position's state,
    // so that its apply() then shows and hides exactly what the filters and the step say
    const wasHidden = new Map(ck.nodes.get().map((n) => [n.id, !!n.hidden]));
    const edgeWasHidden = new Map(ck.edges.get().map((e) => [e.id, !!e.hidden]));
    Object.assign(DATA.styles, fresh.styles);
    DATA.nodes.splice(0, DATA.nodes.length, ...fresh.nodes);
    DATA.edges.splice(0, DATA.edges.length, ...fresh.edges);
    DATA.facets = fresh.facets;
    const dark = document.body.classList.contains("present");
    const nodeItems = DATA.nodes.map((n) => nodeItem(n, DATA.styles, wasHidden.get(n.id) || false, kept.get(n.iri)));
    const edgeItems = DATA.edges.map((e, i) => edgeItem(e, i, dark, edgeWasHidden.get(i) || false));
    const goneNodes = ck.nodes.getIds().filter((id) => id >= nodeItems.length);
    const goneEdges = ck.edges.getIds().filter((id) => id >= edgeItems.length);
    if (goneEdges.length) ck.edges.remove(goneEdges);
    if (goneNodes.length) ck.nodes.remove(goneNodes);
    ck.nodes.update(nodeItems);
    ck.edges.update(edgeItems);
    ck.apply();
    net.selectNodes(DATA.nodes.filter((n) => selected.has(n.iri)).map((n) => n.id));
    net.moveTo({position: view.position, scale: view.scale, animation: false});
    document.body.dataset.liveVersion = String(version);
  }

  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const r = await fetch("/live/data?preset=" + encodeURIComponent(preset), {credentials: "same-origin", cache: "no-store"});
      if (r.ok) {
        const body = await r.json();
        if (body.data && body.version >= version) { version = body.version; update(body.data); }
      }
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  }

  // the page's search knows the nodes it was opened with; nodes that arrived since are found here
  const fold = (t) => String(t).normalize("NFKC").toLocaleLowerCase();
  const known = new Set(window.crimekg ? window.crimekg.data.nodes.map((n) => n.iri) : []);
  const search = document.getElementById("search");
  const results = document.getElementById("results");
  if (search && results && window.crimekg) {
    search.addEventListener("input", () => {
      const q = fold(search.value.trim());
      if (!q) return;
      const ck = window.crimekg;
      for (const n of ck.data.nodes) {
        if (known.has(n.iri) || ![n.full, ...(n.alt || [])].some((l) => fold(l).includes(q))) continue;
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = n.full;
        b.addEventListener("click", () => {
          ck.network.selectNodes([n.id]);
          ck.network.focus(n.id, {scale: Math.max(ck.network.getScale(), 1.2), animation: false});
          document.body.dataset.focused = n.iri;
          results.replaceChildren();
        });
        const li = document.createElement("li");
        li.append(b);
        results.append(li);
      }
    });
  }

  document.body.dataset.liveVersion = String(version);
  if (!window.EventSource || !window.crimekg) return;
  const source = new EventSource("/events");
  source.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.version > version) refresh();
  };
  source.onopen = () => { document.body.dataset.live = "1"; };
})();
