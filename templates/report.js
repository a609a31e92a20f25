/* qrisk report: draws the tables and charts from the JSON data island.
   Vanilla JS, no network, no eval, no HTML parsing of data: every estate string reaches the page through
   textContent / setAttribute after clean() makes invisible direction controls visible. */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var INVISIBLE = /[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
  var OKABE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000"];
  var SEVERITY = { "classically-broken": 4, "broken": 3, "weakened": 2, "unknown": 1, "safe": 0 };
  var VERDICT_MARK = { "compliant": "\u2713", "non-compliant": "\u2717", "non-compliant-from": "\u2192", "not-applicable": "\u2013" };
  var C = { ID: 0, SYS: 1, KIND: 2, ALG: 3, PARAMS: 4, STATUS: 5, USAGE: 6, THREAT: 7, EXPO: 8, PROFILE: 9,
    NAME: 10, OCC: 11, NOCC: 12, EXTRA: 13 };

  document.documentElement.classList.add("js");
  var D = JSON.parse(document.getElementById("qrisk-data").textContent);
  var ROWS = D.assets.rows;
  var DICT = D.dict;
  var SYSTEMS = D.systems;
  var EXPOSURE = D.exposure.rows;
  function probOf(r) { return EXPOSURE[r[C.EXPO]][0]; }
  function yearsOf(r) { return EXPOSURE[r[C.EXPO]][1]; }
  function paramsOf(r) { return DICT.params[r[C.PARAMS]]; }
  function countOf(r) { return r[C.NOCC] === undefined ? r[C.OCC].length : r[C.NOCC]; }
  function assetLabel(r) { var p = paramsOf(r); return DICT.algorithm[r[C.ALG]] + (p ? " " + p : ""); }

  // ------------------------------------------------------------------ helpers

  function clean(value) {
    if (value === null || value === undefined) return "";
    return String(value).replace(INVISIBLE, function (c) {
      var hex = c.charCodeAt(0).toString(16).toUpperCase();
      while (hex.length < 4) hex = "0" + hex;
      return "[U+" + hex + "]";
    });
  }

  function h(tag, attrs) {
    var el = document.createElement(tag);
    setAttrs(el, attrs);
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }

  function s(tag, attrs) {
    var el = document.createElementNS(NS, tag);
    setAttrs(el, attrs);
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }

  function setAttrs(el, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      el.setAttribute(k, k === "title" || k === "aria-label" ? clean(v) : String(v));
    });
  }

  function append(el) {
    for (var i = 1; i < arguments.length; i++) appendOne(el, arguments[i]);
  }

  function appendOne(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { appendOne(el, c); }); return; }
    if (typeof child === "object" && child.nodeType) { el.appendChild(child); return; }
    el.appendChild(document.createTextNode(clean(child)));
  }

  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }

  function svgTitle(text) { return s("title", null, text); }

  function fmtInt(n) {
    if (n === null || n === undefined || !isFinite(n)) return "\u2013";
    var t = String(Math.trunc(n));
    var neg = t.charAt(0) === "-";
    if (neg) t = t.slice(1);
    return (neg ? "-" : "") + t.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  // Both toFixed and Python's format round the exact binary value correctly; they differ only on
  // exact ties (2.25 to one digit), which Python rounds to even and toFixed away from zero. Match
  // Python, so a figure reads the same here as in `qrisk assess` output. toFixed with 60 more
  // digits is the exact decimal expansion of any double large enough to be a tie.
  function fixed(x, d) {
    if (x === null || x === undefined || !isFinite(x)) return "\u2013";
    var a = Math.abs(x);
    if (a >= 1e21) return String(x);
    var exact = a.toFixed(Math.min(100, d + 60));
    var dot = exact.indexOf(".");
    var kept = exact.slice(0, dot + 1 + d), rest = exact.slice(dot + 1 + d);
    if (/^50*$/.test(rest) && Number(kept.charAt(kept.length - 1 - (d === 0 ? 1 : 0))) % 2 === 0) {
      var t = d === 0 ? kept.slice(0, -1) : kept;
      return (x < 0 && Number(t) !== 0 ? "-" : "") + t;
    }
    return x.toFixed(d);
  }

  function pct(p, d) {
    if (p === null || p === undefined || !isFinite(p)) return "\u2013";
    return fixed(100 * p, d === undefined ? 1 : d) + "%";
  }

  function location(o) {
    var dir = DICT.dir[o[0]], file = DICT.file[o[1]];
    return dir ? dir + "/" + file : file;
  }

  function statusBadge(idx) {
    var name = DICT.status[idx];
    return h("span", { "class": "status st-" + name }, name);
  }

  function safely(name, fn) {
    try { fn(); } catch (err) { console.error("qrisk report: " + name + ": " + (err && err.stack || err)); }
  }

  function pager(container, total, size, page, onPage) {
    clear(container);
    var pages = Math.max(1, Math.ceil(total / size));
    if (pages <= 1) return;
    function btn(label, to, text) {
      var b = h("button", { type: "button", "aria-label": label, disabled: to < 0 || to >= pages || to === page ? "disabled" : null }, text);
      b.addEventListener("click", function () { onPage(to); });
      return b;
    }
    append(container, [btn("first page", 0, "\u00AB"), btn("previous page", page - 1, "\u2039"),
      h("span", null, "page " + fmtInt(page + 1) + " of " + fmtInt(pages) + " (" + fmtInt(total) + ")"),
      btn("next page", page + 1, "\u203A"), btn("last page", pages - 1, "\u00BB")]);
  }

  function table(headers, rows, opts) {
    var thead = h("thead", null, h("tr", null, headers.map(function (hd) {
      return h("th", { "class": hd.num ? "num" : null, scope: "col" }, hd.label);
    })));
    var tbody = h("tbody", null, rows);
    return h("table", opts || null, thead, tbody);
  }

  // ------------------------------------------------------------------ CRQC curve

  var CURVE_T = D.crqc_curve.t, CURVE_P = D.crqc_curve.p;
  function curveAt(t) {
    if (t <= 0) return 0;
    for (var i = 1; i < CURVE_T.length; i++) {
      if (CURVE_T[i] >= t) {
        var f = (t - CURVE_T[i - 1]) / (CURVE_T[i] - CURVE_T[i - 1]);
        return CURVE_P[i - 1] + f * (CURVE_P[i] - CURVE_P[i - 1]);
      }
    }
    return CURVE_P[CURVE_P.length - 1];
  }

  // ------------------------------------------------------------------ Mosca chart

  function moscaChart(sys) {
    var x = sys.shelf_life_years, y = sys.migration_years, trust = sys.trust_years || 0;
    var longest = Math.max(x + y, trust + y, sys.horizon_years || 0, 10);
    var T = Math.min(CURVE_T[CURVE_T.length - 1], Math.ceil((longest + 3) / 5) * 5);
    var W = 560, H = 190, L = 96, R = 44, TOP = 24, B = 34;
    var pw = W - L - R, ph = H - TOP - B;
    function px(t) { return L + Math.min(t, T) / T * pw; }
    function py(p) { return TOP + (1 - p) * ph; }
    var label = "Mosca chart for " + (sys.name || sys.system) + ": migration y = " + fixed(y, 1) + " years, shelf life x = " +
      fixed(x, 1) + " years" + (trust ? ", signature trust " + fixed(trust, 1) + " years" : "") +
      "; P(exposed) = " + pct(sys.probability_exposed) + ", expected years exposed " + fixed(sys.expected_years_exposed, 1) + ".";
    var svg = s("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, "class": "chart", role: "img", "aria-label": label,
      "font-family": "sans-serif", "font-size": "11" }, svgTitle(label));
    append(svg, s("rect", { x: L, y: TOP, width: pw, height: ph, fill: "#fff", stroke: "#888" }));
    var step = T > 60 ? 20 : (T > 30 ? 10 : 5);
    var year0 = Number(D.meta.now.slice(0, 4));
    for (var t = 0; t <= T + 1e-9; t += step) {
      append(svg, s("line", { x1: px(t), x2: px(t), y1: TOP, y2: TOP + ph, stroke: "#eee" }));
      append(svg, s("text", { x: px(t), y: TOP + ph + 13, "text-anchor": "middle" }, String(year0 + t)));
    }
    [0, 0.5, 1].forEach(function (p) {
      append(svg, s("text", { x: L + pw + 4, y: py(p) + 4 }, fixed(100 * p, 0) + "%"));
    });
    var rowH = 18;
    var bars = [
      { y0: TOP + 14, from: 0, to: y, fill: OKABE[0], text: "y " + fixed(y, 1) },
      { y0: TOP + 14, from: y, to: y + x, fill: OKABE[1], text: "x " + fixed(x, 1) }
    ];
    if (trust > 0) bars.push({ y0: TOP + 14 + rowH + 8, from: y, to: y + trust, fill: OKABE[3], text: "trust " + fixed(trust, 1) });
    append(svg, s("text", { x: L - 6, y: TOP + 14 + 13, "text-anchor": "end" }, "y then x"));
    if (trust > 0) append(svg, s("text", { x: L - 6, y: TOP + 14 + rowH + 8 + 13, "text-anchor": "end" }, "y then trust"));
    bars.forEach(function (b) {
      if (b.to <= b.from) return;
      var w = Math.max(1, px(b.to) - px(b.from));
      append(svg, s("rect", { x: px(b.from), y: b.y0, width: w, height: rowH, fill: b.fill, "fill-opacity": "0.85", stroke: "#333" },
        svgTitle(b.text + " years")));
      if (w > 34) append(svg, s("text", { x: px(b.from) + 4, y: b.y0 + 13, fill: b.fill === OKABE[0] || b.fill === OKABE[3] ? "#fff" : "#000" }, b.text));
    });
    var pts = [];
    for (var i = 0; i < CURVE_T.length && CURVE_T[i] <= T + 1e-9; i++) pts.push(px(CURVE_T[i]).toFixed(1) + "," + py(CURVE_P[i]).toFixed(1));
    append(svg, s("polyline", { points: pts.join(" "), fill: "none", stroke: "#000", "stroke-width": "1.6" },
      svgTitle("P(CRQC within t years), " + D.assessment.crqc.spec)));
    var hz = sys.horizon_years || 0;
    if (hz > 0) {
      append(svg, s("line", { x1: px(hz), x2: px(hz), y1: TOP, y2: TOP + ph, stroke: OKABE[4], "stroke-dasharray": "4 3" }));
      append(svg, s("text", { x: Math.min(px(hz) + 3, L + pw - 70), y: TOP + ph - 6, fill: "#000" }, "h " + fixed(hz, 1) + " y: P " + pct(sys.probability_exposed)));
    }
    var zm = D.assessment.z.median_years;
    if (zm !== null && zm <= T) {
      append(svg, s("line", { x1: px(zm), x2: px(zm), y1: TOP, y2: TOP + ph, stroke: "#555", "stroke-dasharray": "1 3" }));
      append(svg, s("text", { x: px(zm) + 2, y: TOP - 4, fill: "#333" }, "median z"));
    }
    append(svg, s("text", { x: 4, y: 14, "font-weight": "bold" }, "#" + sys.rank + " " + (sys.name || sys.system)));
    return svg;
  }

  var moscaPage = 0;
  function renderMosca() {
    var box = clear(document.getElementById("mosca-charts"));
    var size = 6;
    SYSTEMS.slice(moscaPage * size, moscaPage * size + size).forEach(function (sys, k) {
      append(box, h("figure", null, moscaChart(sys), h("figcaption", null,
        sys.system + ": P(exposed) " + pct(sys.probability_exposed) + ", expected years exposed " + fixed(sys.expected_years_exposed, 1) +
        ", Mosca verdict " + (sys.mosca_exposed ? "exposed" : "not exposed"))));
    });
    pager(document.getElementById("mosca-pager"), SYSTEMS.length, size, moscaPage, function (p) { moscaPage = p; renderMosca(); });
  }

  // ------------------------------------------------------------------ heatmap

  function blue(f) {
    // Sequential single-hue scale (ColorBrewer Blues end points), safe for colour-blind readers.
    var a = [247, 251, 255], b = [8, 48, 107];
    return "rgb(" + a.map(function (v, i) { return Math.round(v + (b[i] - v) * f); }).join(",") + ")";
  }

  var heatPage = 0;
  function renderHeatmap() {
    var box = clear(document.getElementById("heatmap-chart"));
    var threats = D.heatmap.threats, counts = D.heatmap.counts;
    var size = 25, start = heatPage * size;
    var part = SYSTEMS.slice(start, start + size);
    var max = 0;
    counts.forEach(function (row) { row.forEach(function (v) { if (v > max) max = v; }); });
    var L = 220, CW = 150, RH = 24, TOP = 40;
    var W = L + CW * threats.length, H = TOP + RH * part.length + 6;
    var label = "Heatmap of assets per system and threat type, systems " + (start + 1) + " to " + (start + part.length) + " of " + SYSTEMS.length + ".";
    var svg = s("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, "class": "chart", role: "img", "aria-label": label,
      "font-family": "sans-serif", "font-size": "11" }, svgTitle(label));
    threats.forEach(function (t, j) {
      append(svg, s("text", { x: L + CW * j + CW / 2, y: TOP - 10, "text-anchor": "middle", "font-weight": "bold" }, t));
    });
    part.forEach(function (sys, i) {
      var row = counts[start + i] || [];
      var yy = TOP + RH * i;
      var name = (sys.name || sys.system);
      if (name.length > 32) name = name.slice(0, 31) + "\u2026";
      append(svg, s("text", { x: L - 6, y: yy + 16, "text-anchor": "end" }, "#" + sys.rank + " " + name));
      threats.forEach(function (t, j) {
        var v = row[j] || 0;
        var f = max > 0 && v > 0 ? 0.15 + 0.85 * Math.log(1 + v) / Math.log(1 + max) : 0;
        append(svg, s("rect", { x: L + CW * j + 1, y: yy + 1, width: CW - 2, height: RH - 2, fill: v ? blue(f) : "#fafafa", stroke: "#ddd" },
          svgTitle(sys.system + " \u00D7 " + t + ": " + fmtInt(v) + " asset(s)")));
        append(svg, s("text", { x: L + CW * j + CW / 2, y: yy + 16, "text-anchor": "middle", fill: f > 0.55 ? "#fff" : "#000" }, v ? fmtInt(v) : "\u00B7"));
      });
    });
    append(box, svg);
    pager(document.getElementById("heatmap-pager"), SYSTEMS.length, size, heatPage, function (p) { heatPage = p; renderHeatmap(); });
  }

  // ------------------------------------------------------------------ systems

  var SYSTEM_ASSETS = null;
  function systemAssets() {
    if (SYSTEM_ASSETS) return SYSTEM_ASSETS;
    SYSTEM_ASSETS = SYSTEMS.map(function () { return []; });
    for (var i = 0; i < ROWS.length; i++) {
      var list = SYSTEM_ASSETS[ROWS[i][C.SYS]];
      if (list) list.push(i);
    }
    return SYSTEM_ASSETS;
  }

  var sysPage = 0;
  var SYS_COLUMNS = [
    { label: "#", num: true }, { label: "System" }, { label: "Assets", num: true }, { label: "At risk", num: true },
    { label: "P(exposed)", num: true }, { label: "E[years exposed]", num: true }, { label: "E[data-years]", num: true },
    { label: "x (years)", num: true }, { label: "y (years)", num: true }, { label: "Criticality" }, { label: "Mosca" }
  ];
  function renderSystems() {
    var box = clear(document.getElementById("systems-table"));
    var size = 50, start = sysPage * size;
    var rows = SYSTEMS.slice(start, start + size).map(function (sys, k) {
      var idx = start + k;
      return h("tr", { "data-system": sys.system },
        h("td", { "class": "num" }, String(sys.rank)),
        h("td", { "class": "wrap" }, h("a", { href: "#system-" + idx }, sys.name || sys.system), h("br"), h("span", { "class": "mono note" }, sys.system)),
        h("td", { "class": "num" }, fmtInt(sys.assets)),
        h("td", { "class": "num" }, fmtInt(sys.assets_at_risk)),
        h("td", { "class": "num", "data-field": "probability_exposed" }, pct(sys.probability_exposed)),
        h("td", { "class": "num", "data-field": "expected_years_exposed" }, fixed(sys.expected_years_exposed, 1)),
        h("td", { "class": "num", "data-field": "expected_data_years" }, fixed(sys.expected_data_years, 1)),
        h("td", { "class": "num" }, fixed(sys.shelf_life_years, 1)),
        h("td", { "class": "num" }, fixed(sys.migration_years, 1)),
        h("td", null, sys.criticality),
        h("td", null, sys.mosca_exposed ? "exposed" : "not exposed"));
    });
    append(box, table(SYS_COLUMNS, rows, { id: "systems-list" }));
    pager(document.getElementById("systems-pager"), SYSTEMS.length, size, sysPage, function (p) { sysPage = p; renderSystems(); });
  }

  function evidenceList(row) {
    var occ = row[C.OCC];
    var items = occ.map(function (o) {
      var loc = location(o) + (o[2] ? ":" + o[2] : "");
      return h("li", null, h("span", { "class": "mono wrap" }, loc), " ", h("span", { "class": "tag" }, DICT.rule[o[4]]),
        DICT.snippet[o[3]] ? h("div", { "class": "snippet mono wrap" }, DICT.snippet[o[3]]) : null);
    });
    if (countOf(row) > occ.length) items.push(h("li", { "class": "note" }, "+" + fmtInt(countOf(row) - occ.length) + " more occurrence(s) in cbom.json and findings.sarif"));
    return h("ul", { "class": "evidence" }, items);
  }

  function extraText(row) {
    var x = row[C.EXTRA];
    if (!x) return null;
    var parts = [];
    if (x.cert) parts.push(h("div", null, "subject " + x.cert[0] + "; issuer " + DICT.text[x.cert[1]] + "; valid until " + x.cert[2] + "; signed with " + DICT.text[x.cert[3]]));
    if (x.km) parts.push(h("div", null, x.km + " key" + (x.enc ? " (encrypted container, not opened)" : "")));
    else if (x.enc) parts.push(h("div", null, "encrypted container, not opened"));
    if (x.fp) parts.push(h("div", { "class": "mono wrap note" }, "public-key SHA-256 " + x.fp));
    if (x.notes) parts.push(h("div", { "class": "note" }, x.notes.join("; ")));
    return parts;
  }

  var detailPages = {};
  function systemDetail(idx) {
    var sys = SYSTEMS[idx];
    var art = h("article", { "class": "system", id: "system-" + idx, "data-system": sys.system, tabindex: "-1" });
    append(art, h("h3", null, "#" + sys.rank + " " + (sys.name || sys.system) + " ", h("span", { "class": "mono note" }, "(" + sys.system + ")")));
    var kv = h("dl", { "class": "kv" });
    function add(k, v) { if (v !== null && v !== undefined && v !== "") append(kv, [h("dt", null, k), h("dd", { "class": "wrap" }, v)]); }
    add("Owner", sys.owner);
    add("Description", sys.description);
    add("Criticality / category", sys.criticality + " / " + sys.category);
    add("Data classes", (sys.data_classes || []).map(function (c) { return c[0] + " (" + fixed(c[1], 0) + " years" + (c[2] ? ", " + c[2] : "") + ")"; }).join("; "));
    add("Shelf life x", fixed(sys.shelf_life_years, 1) + " years \u2014 " + sys.shelf_life_source);
    add("Migration y", fixed(sys.migration_years, 1) + " years \u2014 " + sys.migration_source);
    add("Signature trust", fixed(sys.trust_years, 1) + " years \u2014 " + sys.trust_source);
    add("Endpoints", (sys.endpoints || []).join(", "));
    add("Sites", (sys.sites || []).join(", "));
    add("Exposure", "P(exposed) " + pct(sys.probability_exposed) + ", expected years exposed " + fixed(sys.expected_years_exposed, 1) +
      ", expected data-years " + fixed(sys.expected_data_years, 1) + ", " + fmtInt(sys.assets_exposed) + " of " + fmtInt(sys.assets) + " assets exposed");
    append(art, h("div", { "class": "grid2" }, kv, h("figure", null, moscaChart(sys))));
    var list = systemAssets()[idx] || [];
    var holder = h("div");
    var pagerBox = h("div", { "class": "pager no-print" });
    var size = 50;
    function draw(page) {
      detailPages[idx] = page;
      clear(holder);
      var rows = list.slice(page * size, page * size + size).map(function (i) {
        var r = ROWS[i];
        return h("tr", { "data-asset": r[C.ID] },
          h("td", null, statusBadge(r[C.STATUS])),
          h("td", null, DICT.kind[r[C.KIND]]),
          h("td", { "class": "wrap" }, assetLabel(r), r[C.NAME] ? h("div", { "class": "note" }, r[C.NAME]) : null, extraText(r)),
          h("td", null, DICT.usage[r[C.USAGE]]),
          h("td", { "class": "num" }, pct(probOf(r))),
          h("td", null, evidenceList(r)));
      });
      append(holder, table([{ label: "Status" }, { label: "Kind" }, { label: "Asset" }, { label: "Usage" }, { label: "P(exposed)", num: true }, { label: "Evidence (file:line or endpoint, rule, redacted snippet)" }], rows));
      pager(pagerBox, list.length, size, page, draw);
    }
    draw(detailPages[idx] || 0);
    append(art, h("h3", null, "Assets and evidence"), holder, pagerBox);
    return art;
  }

  var ALL_DETAILS = SYSTEMS.length <= 30;
  function renderDetails() {
    var box = clear(document.getElementById("system-details"));
    if (ALL_DETAILS) {
      SYSTEMS.forEach(function (sys, idx) { append(box, systemDetail(idx)); });
      return;
    }
    var m = /^#system-(\d+)$/.exec(location_hash());
    var idx = m ? Number(m[1]) : 0;
    if (idx >= SYSTEMS.length) idx = 0;
    append(box, h("p", { "class": "note" }, "Showing one system; choose another in the table above."));
    if (SYSTEMS.length) append(box, systemDetail(idx));
  }
  function location_hash() { return window.location.hash || ""; }

  window.addEventListener("hashchange", function () {
    if (ALL_DETAILS || !/^#system-\d+$/.test(location_hash())) return;
    safely("system details", renderDetails);
    var el = document.getElementById(location_hash().slice(1));
    if (el) el.scrollIntoView();
  });

  // ------------------------------------------------------------------ trend (scan history)

  var TREND = D.trend;
  var TREND_COLOURS = OKABE.slice(0, 7);  // black is kept for the all-systems line
  var trendPage = 0;

  function trendLabel(system) { return system === "" ? "(no system)" : system; }
  function trendWhen(iso) { return iso.slice(0, 10) + " " + iso.slice(11, 16); }

  function trendLines() {
    var lines = TREND.series.map(function (sr, i) {
      return { key: "system", system: sr.system, label: trendLabel(sr.system), values: sr.values,
        colour: TREND_COLOURS[i % TREND_COLOURS.length], dash: i >= TREND_COLOURS.length ? "7 3" : null, width: 1.8 };
    });
    if (TREND.others) lines.push({ key: "others", system: null, label: "others (" + fmtInt(TREND.others.systems) + " systems)",
      values: TREND.others.values, colour: "#777777", dash: "2 3", width: 1.8 });
    lines.push({ key: "total", system: null, label: "all systems", values: TREND.total, colour: "#000000", dash: null, width: 2.8 });
    return lines;
  }

  function niceStep(max, ticks) {
    var raw = Math.max(1, max) / ticks, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * mag >= raw) return Math.max(1, steps[i] * mag);
    return 10 * mag;
  }

  function lineSample(ln) {
    return s("svg", { width: 26, height: 10, viewBox: "0 0 26 10", "aria-hidden": "true", "class": "line-sample" },
      s("line", { x1: 1, x2: 25, y1: 5, y2: 5, stroke: ln.colour, "stroke-width": ln.width, "stroke-dasharray": ln.dash }));
  }

  function trendChart(lines) {
    var ids = TREND.scans.id, when = TREND.scans.finished, n = ids.length, total = TREND.total;
    var W = 900, H = 320, L = 60, R = 44, TOP = 16, B = 58;
    var pw = W - L - R, ph = H - TOP - B;
    var max = 0;
    lines.forEach(function (ln) { ln.values.forEach(function (v) { if (v > max) max = v; }); });
    var step = niceStep(max, 5), top = Math.max(step, Math.ceil(max / step) * step);
    function px(i) { return L + (n > 1 ? i / (n - 1) : 0.5) * pw; }
    function py(v) { return TOP + (1 - v / top) * ph; }
    var label = "Quantum-vulnerable assets in each of " + fmtInt(n) + " complete scans, " + trendWhen(when[0]) + " to " +
      trendWhen(when[n - 1]) + " UTC: all systems " + fmtInt(total[0]) + " in the first, " + fmtInt(total[n - 1]) + " in the latest; " +
      lines.map(function (ln) { return ln.label + " " + fmtInt(ln.values[n - 1]); }).join(", ") + " in the latest.";
    var svg = s("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, "class": "chart", role: "img", "aria-label": label,
      "font-family": "sans-serif", "font-size": "11" }, svgTitle(label));
    append(svg, s("rect", { x: L, y: TOP, width: pw, height: ph, fill: "#fff", stroke: "#888" }));
    for (var v = 0; v <= top; v += step) {
      append(svg, s("line", { x1: L, x2: L + pw, y1: py(v), y2: py(v), stroke: "#eee" }));
      append(svg, s("text", { x: L - 6, y: py(v) + 4, "text-anchor": "end" }, fmtInt(v)));
    }
    // scan labels at least 80 px apart, counted back from the latest scan (always labelled)
    var every = n > 1 ? Math.max(1, Math.ceil(80 / (pw / (n - 1)))) : 1, shown = [];
    for (var i = n - 1; i >= 0; i -= every) shown.push(i);
    shown.forEach(function (k) {
      append(svg, s("line", { x1: px(k), x2: px(k), y1: TOP + ph, y2: TOP + ph + 4, stroke: "#888" }));
      append(svg, s("text", { x: px(k), y: TOP + ph + 16, "text-anchor": "middle" }, "#" + ids[k]));
      append(svg, s("text", { x: px(k), y: TOP + ph + 29, "text-anchor": "middle", fill: "#555" }, when[k].slice(0, 10)));
    });
    var mid = TOP + ph / 2;
    append(svg, s("text", { x: 14, y: mid, transform: "rotate(-90 14 " + mid + ")", "text-anchor": "middle" }, "quantum-vulnerable assets"));
    append(svg, s("text", { x: L + pw / 2, y: H - 6, "text-anchor": "middle" }, "complete scan (id, day finished, UTC), one step per scan"));
    var markers = n <= 60;
    lines.forEach(function (ln) {
      var g = s("g", { "data-series": ln.key, "data-system": ln.system });
      var pts = ln.values.map(function (val, k) { return px(k).toFixed(1) + "," + py(val).toFixed(1); }).join(" ");
      append(g, s("polyline", { points: pts, fill: "none", stroke: ln.colour, "stroke-width": ln.width, "stroke-dasharray": ln.dash,
        "stroke-linejoin": "round" }, svgTitle(ln.label)));
      if (markers) ln.values.forEach(function (val, k) {
        append(g, s("circle", { cx: px(k).toFixed(1), cy: py(val).toFixed(1), r: 3, fill: ln.colour },
          svgTitle(ln.label + ", scan #" + ids[k] + " (" + trendWhen(when[k]) + " UTC): " + fmtInt(val))));
      });
      append(svg, g);
    });
    return svg;
  }

  function renderTrendTable(lines) {
    var box = clear(document.getElementById("trend-table"));
    var sc = TREND.scans, n = sc.id.length, size = 25, start = trendPage * size;
    var order = [];
    for (var i = n - 1; i >= 0; i--) order.push(i);
    var headers = [{ label: "Scan", num: true }, { label: "Finished (UTC)" }].concat(lines.map(function (ln) { return { label: ln.label, num: true }; }));
    var rows = order.slice(start, start + size).map(function (k) {
      return h("tr", { "data-scan": sc.id[k] },
        h("td", { "class": "num", title: "targets: " + sc.targets[k].join(", ") }, String(sc.id[k])),
        h("td", { "class": "nowrap" }, trendWhen(sc.finished[k])),
        lines.map(function (ln) {
          return h("td", { "class": "num", "data-series": ln.key, "data-system": ln.system }, fmtInt(ln.values[k]));
        }));
    });
    append(box, table(headers, rows, { id: "trend-rows" }));
    pager(document.getElementById("trend-pager"), n, size, trendPage, function (p) { trendPage = p; renderTrendTable(lines); });
  }

  function renderTrend() {
    if (!TREND || TREND.scans.id.length < 2) return;  // the page says why in words
    var lines = trendLines();
    var box = clear(document.getElementById("trend-chart"));
    append(box, h("figure", null, trendChart(lines), h("figcaption", { "class": "legend" }, lines.map(function (ln) {
      return h("span", { "data-series": ln.key }, lineSample(ln), ln.label);
    }))));
    renderTrendTable(lines);
  }

  // ------------------------------------------------------------------ inventory table

  var INV_COLUMNS = [
    { key: "status", label: "Status" }, { key: "kind", label: "Kind" }, { key: "algorithm", label: "Algorithm" },
    { key: "usage", label: "Usage" }, { key: "threat", label: "Threat" }, { key: "system", label: "System" },
    { key: "p", label: "P(exposed)", num: true }, { key: "e", label: "E[years]", num: true },
    { key: "name", label: "Name" }, { key: "location", label: "Location" }, { key: "id", label: "Asset id" }
  ];
  var inv = { sort: "p", dir: -1, page: 0, size: 50, status: "", threat: "", kind: "", system: "", query: "", view: null };

  function rankOf(list) {
    var order = list.map(function (v, i) { return [String(v).toLowerCase(), i]; });
    order.sort(function (a, b) { return a[0] < b[0] ? -1 : (a[0] > b[0] ? 1 : 0); });
    var rank = new Array(list.length);
    order.forEach(function (pair, r) { rank[pair[1]] = r; });
    return rank;
  }

  var RANKS = null;
  function ranks() {
    if (!RANKS) RANKS = { algorithm: rankOf(DICT.algorithm), kind: rankOf(DICT.kind), usage: rankOf(DICT.usage), threat: rankOf(DICT.threat),
      system: SYSTEMS.map(function (sys, i) { return i; }) };
    return RANKS;
  }

  function sortKey(col) {
    var rk = ranks();
    switch (col) {
      case "status": return function (r) { return SEVERITY[DICT.status[r[C.STATUS]]]; };
      case "kind": return function (r) { return rk.kind[r[C.KIND]]; };
      case "algorithm": return function (r) { return rk.algorithm[r[C.ALG]] * 1e6 + (parseFloat(paramsOf(r)) || 0); };
      case "usage": return function (r) { return rk.usage[r[C.USAGE]]; };
      case "threat": return function (r) { return rk.threat[r[C.THREAT]]; };
      case "system": return function (r) { return r[C.SYS]; };
      case "p": return function (r) { var v = probOf(r); return v === null ? -1 : v; };
      case "e": return function (r) { var v = yearsOf(r); return v === null ? -1 : v; };
      case "name": return function (r) { return String(r[C.NAME]).toLowerCase(); };
      case "location": return function (r) { return r[C.OCC].length ? location(r[C.OCC][0]).toLowerCase() : ""; };
      default: return function (r) { return r[C.ID]; };
    }
  }

  var HAY = null;
  function haystack(i) {
    if (!HAY) HAY = new Array(ROWS.length);
    var v = HAY[i];
    if (v === undefined) {
      var r = ROWS[i];
      var parts = [r[C.ID], DICT.algorithm[r[C.ALG]], paramsOf(r), r[C.NAME], SYSTEMS[r[C.SYS]] ? SYSTEMS[r[C.SYS]].system : "",
        DICT.kind[r[C.KIND]], DICT.status[r[C.STATUS]]];
      r[C.OCC].forEach(function (o) { parts.push(location(o)); });
      v = HAY[i] = parts.join("\u0001").toLowerCase();
    }
    return v;
  }

  function inventoryView() {
    var out = [];
    var st = inv.status === "" ? -1 : Number(inv.status), th = inv.threat === "" ? -1 : Number(inv.threat);
    var kd = inv.kind === "" ? -1 : Number(inv.kind), sy = inv.system === "" ? -1 : Number(inv.system);
    var terms = inv.query.toLowerCase().split(/\s+/).filter(Boolean);
    for (var i = 0; i < ROWS.length; i++) {
      var r = ROWS[i];
      if (st >= 0 && r[C.STATUS] !== st) continue;
      if (th >= 0 && r[C.THREAT] !== th) continue;
      if (kd >= 0 && r[C.KIND] !== kd) continue;
      if (sy >= 0 && r[C.SYS] !== sy) continue;
      if (terms.length) {
        var hay = haystack(i), ok = true;
        for (var t = 0; t < terms.length; t++) { if (hay.indexOf(terms[t]) < 0) { ok = false; break; } }
        if (!ok) continue;
      }
      out.push(i);
    }
    var key = sortKey(inv.sort), dir = inv.dir;
    var keys = new Array(ROWS.length);
    out.forEach(function (i) { keys[i] = key(ROWS[i]); });
    out.sort(function (a, b) {
      var ka = keys[a], kb = keys[b];
      if (ka < kb) return -dir;
      if (ka > kb) return dir;
      return a - b;
    });
    return out;
  }

  function renderInventory(recompute) {
    if (recompute || !inv.view) inv.view = inventoryView();
    var view = inv.view;
    var box = clear(document.getElementById("inventory-table"));
    var pages = Math.max(1, Math.ceil(view.length / inv.size));
    if (inv.page >= pages) inv.page = pages - 1;
    var start = inv.page * inv.size;
    var head = h("tr", null, INV_COLUMNS.map(function (col) {
      var sorted = inv.sort === col.key;
      var b = h("button", { type: "button", "class": "sort", "data-sort": col.key }, col.label);
      b.addEventListener("click", function () {
        if (inv.sort === col.key) inv.dir = -inv.dir; else { inv.sort = col.key; inv.dir = col.num || col.key === "status" ? -1 : 1; }
        inv.page = 0;
        renderInventory(true);
      });
      return h("th", { scope: "col", "class": col.num ? "num" : null, "aria-sort": sorted ? (inv.dir > 0 ? "ascending" : "descending") : "none" }, b);
    }));
    var body = view.slice(start, start + inv.size).map(function (i) {
      var r = ROWS[i], first = r[C.OCC][0];
      var sys = SYSTEMS[r[C.SYS]];
      return h("tr", { "data-asset": r[C.ID] },
        h("td", null, statusBadge(r[C.STATUS])),
        h("td", null, DICT.kind[r[C.KIND]]),
        h("td", null, assetLabel(r)),
        h("td", null, DICT.usage[r[C.USAGE]]),
        h("td", null, DICT.threat[r[C.THREAT]]),
        h("td", { "class": "wrap" }, sys ? h("a", { href: "#system-" + r[C.SYS] }, sys.system) : ""),
        h("td", { "class": "num" }, pct(probOf(r))),
        h("td", { "class": "num" }, fixed(yearsOf(r), 1)),
        h("td", { "class": "wrap" }, r[C.NAME]),
        h("td", { "class": "mono wrap" }, first ? location(first) + (first[2] ? ":" + first[2] : "") + (countOf(r) > 1 ? " (+" + (countOf(r) - 1) + ")" : "") : ""),
        h("td", { "class": "mono" }, r[C.ID]));
    });
    append(box, h("table", { id: "inventory-rows" }, h("thead", null, head), h("tbody", null, body)));
    document.getElementById("inv-count").textContent = fmtInt(view.length) + " of " + fmtInt(ROWS.length) + " assets";
    pager(document.getElementById("inventory-pager"), view.length, inv.size, inv.page, function (p) { inv.page = p; renderInventory(false); });
  }

  function fillSelect(id, values, labelOf) {
    var sel = document.getElementById(id);
    values.forEach(function (v, i) { append(sel, h("option", { value: String(i) }, labelOf ? labelOf(v, i) : v)); });
    return sel;
  }

  function setupInventory() {
    fillSelect("inv-status", DICT.status);
    fillSelect("inv-threat", DICT.threat);
    fillSelect("inv-kind", DICT.kind);
    fillSelect("inv-system", SYSTEMS, function (sys) { return sys.system; });
    [["inv-status", "status"], ["inv-threat", "threat"], ["inv-kind", "kind"], ["inv-system", "system"]].forEach(function (pair) {
      document.getElementById(pair[0]).addEventListener("change", function (ev) { inv[pair[1]] = ev.target.value; inv.page = 0; renderInventory(true); });
    });
    document.getElementById("inv-pagesize").addEventListener("change", function (ev) { inv.size = Number(ev.target.value); inv.page = 0; renderInventory(false); });
    var timer = null;
    document.getElementById("inv-search").addEventListener("input", function (ev) {
      clearTimeout(timer);
      timer = setTimeout(function () { inv.query = ev.target.value; inv.page = 0; renderInventory(true); }, ROWS.length > 20000 ? 250 : 60);
    });
    renderInventory(true);
  }

  // ------------------------------------------------------------------ compliance matrix

  var CM = D.compliance;
  var cm = { page: 0, size: 50, query: "", verdict: "", view: null };
  var VERDICT_IDX = {};
  DICT.verdict.forEach(function (v, i) { VERDICT_IDX[v] = i; });

  function cmView() {
    var out = [], terms = cm.query.toLowerCase().split(/\s+/).filter(Boolean);
    var want = cm.verdict === "" ? -1 : VERDICT_IDX[cm.verdict];
    var profileHit = null;
    if (want >= 0) profileHit = CM.profiles.map(function (pr) {
      for (var j = 0; j < pr.length; j += 2) if (pr[j] === want) return true;
      return false;
    });
    for (var i = 0; i < ROWS.length; i++) {
      var r = ROWS[i];
      if (r[C.PROFILE] < 0) continue;
      if (profileHit && !profileHit[r[C.PROFILE]]) continue;
      if (terms.length) {
        var hay = haystack(i), ok = true;
        for (var t = 0; t < terms.length; t++) if (hay.indexOf(terms[t]) < 0) { ok = false; break; }
        if (!ok) continue;
      }
      out.push(i);
    }
    return out;
  }

  function ruleTitle(ruleIdx) {
    if (ruleIdx < 0) return "no rule of this policy covers the asset";
    var r = CM.rules[ruleIdx];
    return r[1] + " (" + r[2] + (r[3] ? ", deadline " + r[3] : ", in force") + ")" + (r[6] ? ", draft" : "") + (r[5] ? "" : ", guidance") + " \u2014 " + r[4];
  }

  function addDays(iso, days) {
    var t = Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10))) + days * 86400000;
    return new Date(t).toISOString().slice(0, 10);
  }

  function renderMatrix(recompute) {
    var box = clear(document.getElementById("compliance-matrix"));
    if (!CM.matrix_policies.length) { append(box, h("p", { "class": "empty" }, "No policy with per-asset rules was selected.")); return; }
    if (recompute || !cm.view) cm.view = cmView();
    var view = cm.view, start = cm.page * cm.size;
    var headers = [{ label: "Asset" }, { label: "System" }].concat(CM.matrix_policies.map(function (p) { return { label: p }; }));
    var rows = view.slice(start, start + cm.size).map(function (i) {
      var r = ROWS[i], prof = CM.profiles[r[C.PROFILE]];
      var sys = SYSTEMS[r[C.SYS]];
      var cells = CM.matrix_policies.map(function (pid, j) {
        var v = DICT.verdict[prof[2 * j]], ruleIdx = prof[2 * j + 1];
        var text = VERDICT_MARK[v];
        if (v === "non-compliant-from" && ruleIdx >= 0 && CM.rules[ruleIdx][3]) text += " " + addDays(CM.rules[ruleIdx][3], 1);
        else if (v === "non-compliant") text += " now";
        return h("td", { "class": "cell v-" + v, title: v + ": " + ruleTitle(ruleIdx), "data-verdict": v }, text);
      });
      return h("tr", { "data-asset": r[C.ID] },
        h("td", { "class": "wrap" }, assetLabel(r) + " " + DICT.kind[r[C.KIND]],
          r[C.NAME] ? h("div", { "class": "note" }, r[C.NAME]) : null, h("div", { "class": "mono note" }, r[C.ID])),
        h("td", { "class": "wrap" }, sys ? sys.system : ""), cells);
    });
    append(box, table(headers, rows, { "class": "matrix", id: "compliance-rows" }));
    document.getElementById("cm-count").textContent = fmtInt(view.length) + " of " + fmtInt(ROWS.length) + " assets";
    pager(document.getElementById("compliance-pager"), view.length, cm.size, cm.page, function (p) { cm.page = p; renderMatrix(false); });
  }

  function renderRules() {
    var box = clear(document.getElementById("rules-table"));
    var order = CM.rules.map(function (r, i) { return i; });
    order.sort(function (a, b) {
      var ra = CM.rules[a], rb = CM.rules[b];
      return ra[0] < rb[0] ? -1 : ra[0] > rb[0] ? 1 : (ra[3] < rb[3] ? -1 : ra[3] > rb[3] ? 1 : (ra[1] < rb[1] ? -1 : 1));
    });
    var rows = order.map(function (i) {
      var r = CM.rules[i];
      return h("tr", null, h("td", null, r[0]), h("td", { "class": "mono" }, r[1]), h("td", null, r[2]), h("td", null, r[3] || "in force"),
        h("td", null, (r[5] ? "binding" : "guidance") + (r[6] ? ", draft" : "")), h("td", { "class": "note wrap" }, r[4]));
    });
    append(box, table([{ label: "Policy" }, { label: "Rule" }, { label: "Kind" }, { label: "Deadline (last compliant day)" }, { label: "Status" }, { label: "Source" }], rows));
  }

  function setupCompliance() {
    var timer = null;
    document.getElementById("cm-search").addEventListener("input", function (ev) {
      clearTimeout(timer);
      timer = setTimeout(function () { cm.query = ev.target.value; cm.page = 0; renderMatrix(true); }, ROWS.length > 20000 ? 250 : 60);
    });
    document.getElementById("cm-verdict").addEventListener("change", function (ev) { cm.verdict = ev.target.value; cm.page = 0; renderMatrix(true); });
    renderMatrix(true);
    renderRules();
  }

  // ------------------------------------------------------------------ Gantt

  function dayNumber(iso) { return Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10))) / 86400000; }

  function decodeTable(t) {
    var coded = {};
    t.coded.forEach(function (c) { coded[c] = true; });
    return t.rows.map(function (row) {
      var o = {};
      t.columns.forEach(function (c, i) { o[c] = coded[c] ? t.strings[row[i]] : row[i]; });
      return o;
    });
  }

  var PLAN_ROWS = null;
  function planRows() {
    if (PLAN_ROWS) return PLAN_ROWS;
    PLAN_ROWS = decodeTable(D.plan.actions).map(function (r) {
      if (!r.wave) r.wave = "wave " + r.wave_number;
      if (!r.label) r.label = r.system + " \u00B7 " + r.kind;
      if (r.late === undefined) r.late = r.deadline_status === "misses" || r.deadline_status === "overdue";
      return r;
    });
    return PLAN_ROWS;
  }

  var ganttPage = 0;
  function renderGantt() {
    var box = clear(document.getElementById("gantt"));
    var plan = D.plan, rows = planRows();
    if (!rows.length) { append(box, h("p", { "class": "empty" }, "No migration work: the inventory holds no assets.")); return; }
    var size = 40, start = ganttPage * size, part = rows.slice(start, start + size);
    var t0 = dayNumber(D.meta.now), t1 = t0 + 365;
    rows.forEach(function (r) { t1 = Math.max(t1, dayNumber(r.end)); });
    var deadlines = {};
    (plan.deadlines || []).forEach(function (dl) {
      var key = dl.date;
      if (!deadlines[key]) deadlines[key] = { date: dl.date, labels: [], kind: dl.kind };
      deadlines[key].labels.push(dl.label);
      if (dl.kind === "policy") deadlines[key].kind = "policy";
    });
    var dls = Object.keys(deadlines).sort().map(function (k) { return deadlines[k]; });
    dls.forEach(function (dl) { t1 = Math.max(t1, dayNumber(dl.date) + 200); });
    t1 += 365;  // room for the labels after the last bar
    var y0 = Number(D.meta.now.slice(0, 4));
    var yEnd = Number(new Date(t1 * 86400000).toISOString().slice(0, 4)) + 1;
    t1 = dayNumber(String(yEnd) + "-01-01");
    var L = 230, R = 20, TOP = 30 + 14 * Math.min(dls.length, 8), RH = 22;
    var W = 1100, H = TOP + RH * part.length + 30, pw = W - L - R;
    function px(day) { return L + (day - t0) / (t1 - t0) * pw; }
    var label = "Migration plan (" + plan.source + "): " + rows.length + " row(s), deadlines " + dls.map(function (d) { return d.date; }).join(", ") + ".";
    var svg = s("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, "class": "chart", role: "img", "aria-label": label,
      "font-family": "sans-serif", "font-size": "11" }, svgTitle(label));
    var stepYears = (yEnd - y0) > 30 ? 5 : ((yEnd - y0) > 12 ? 2 : 1);
    for (var y = y0 + 1; y <= yEnd; y += stepYears) {
      var xx = px(dayNumber(String(y) + "-01-01"));
      append(svg, s("line", { x1: xx, x2: xx, y1: TOP - 4, y2: H - 24, stroke: "#eee" }));
      append(svg, s("text", { x: xx, y: H - 10, "text-anchor": "middle" }, String(y)));
    }
    var groups = [];
    rows.forEach(function (r) { if (groups.indexOf(r.wave) < 0) groups.push(r.wave); });
    part.forEach(function (r, i) {
      var yy = TOP + RH * i;
      var name = (r.rank !== undefined ? "#" + r.rank + " " : "") + (r.label || r.system);
      if (name.length > 34) name = name.slice(0, 33) + "\u2026";
      append(svg, s("text", { x: L - 6, y: yy + 15, "text-anchor": "end" }, name));
      var a = px(dayNumber(r.start)), b = px(dayNumber(r.end));
      var colour = OKABE[groups.indexOf(r.wave) % OKABE.length];
      append(svg, s("rect", { x: a, y: yy + 3, width: Math.max(2, b - a), height: RH - 6, fill: colour, "fill-opacity": "0.8",
        stroke: r.late ? "#D55E00" : "#333", "stroke-width": r.late ? "2.5" : "1" },
        svgTitle((r.title || r.label || r.system) + ": " + r.start + " to " + r.end + " (" + r.wave + ")" +
          (r.target ? "; target " + r.target : "") +
          (r.next_deadline ? "; deadline " + r.next_deadline + " (" + r.next_deadline_policy + ")" : "") +
          (r.deadline_status ? "; " + r.deadline_status : (r.late ? "; finishes after it" : "")) + (r.reason ? ". " + r.reason : ""))));
      var note = (r.target ? "\u2192 " + r.target + " \u00B7 " : "") + r.wave +
        (r.deadline_status === "overdue" ? " \u2014 overdue since " + r.next_deadline : (r.late ? " \u2014 late for " + r.next_deadline : ""));
      var tw = note.length * 6.2;
      if (b + 4 + tw > W - R && b - a > tw + 8) append(svg, s("text", { x: b - 4, y: yy + 15, "text-anchor": "end", fill: "#fff" }, note));
      else append(svg, s("text", { x: b + 4, y: yy + 15 }, note));
    });
    dls.forEach(function (dl, k) {
      // A deadline already past is in force: drawn at "now" and labelled overdue.
      var past = dayNumber(dl.date) < t0;
      var xx = px(Math.max(t0, dayNumber(dl.date)));
      var colour = dl.kind === "policy" ? "#D55E00" : "#CC79A7";
      append(svg, s("line", { x1: xx, x2: xx, y1: 22 + 14 * (k % 8), y2: H - 24, stroke: colour, "stroke-dasharray": dl.kind === "policy" ? "5 3" : "2 3" },
        svgTitle((past ? "overdue since " : "") + dl.date + ": " + dl.labels.join("; "))));
      var text = (past ? "overdue since " : "") + dl.date + " " + dl.labels.join(", ");
      if (text.length > 70) text = text.slice(0, 69) + "\u2026";
      var right = xx + 3 + text.length * 6.2 > W - R;
      append(svg, s("text", { x: right ? xx - 3 : xx + 3, y: 20 + 14 * (k % 8), fill: colour, "text-anchor": right ? "end" : "start" }, text));
    });
    append(box, svg);
    append(box, h("p", { "class": "legend note" }, groups.map(function (g, i) {
      return h("span", null, h("span", { "class": "swatch", style: "background:" + OKABE[i % OKABE.length] }), g);
    }), h("span", null, "dashed vermillion: policy deadline; dotted purple: CRQC date; thick vermillion outline: finishes after its next deadline")));
    var tableRows = part.map(function (r) {
      return h("tr", { "data-action": r.id || null }, h("td", null, r.wave), h("td", { "class": "wrap" }, r.title || r.label || r.system), h("td", null, r.target || ""),
        h("td", null, r.start), h("td", null, r.end),
        h("td", null, r.next_deadline ? r.next_deadline + " (" + r.next_deadline_policy + ")" : "\u2013"),
        h("td", null, r.deadline_status || (r.late ? "late" : "")));
    });
    append(box, h("details", null, h("summary", null, "The plan as a table"),
      table([{ label: "Wave" }, { label: "Action" }, { label: "Target" }, { label: "Start" }, { label: "End" }, { label: "Deadline" }, { label: "Status" }], tableRows, { id: "plan-table" })));
    pager(document.getElementById("gantt-pager"), rows.length, size, ganttPage, function (p) { ganttPage = p; renderGantt(); });
  }

  // ------------------------------------------------------------------ start

  safely("Mosca charts", renderMosca);
  safely("heatmap", renderHeatmap);
  safely("systems", renderSystems);
  safely("system details", renderDetails);
  safely("trend", renderTrend);
  safely("inventory", setupInventory);
  safely("compliance", setupCompliance);
  safely("plan", renderGantt);
  if (location_hash().length > 1) {
    var target = document.getElementById(location_hash().slice(1));
    if (target) target.scrollIntoView();
  }
  // The formatters, for anyone checking the page's figures against `qrisk assess` output.
  window.qriskFormat = Object.freeze({ fixed: fixed, pct: pct, int: fmtInt, clean: clean });
  document.documentElement.setAttribute("data-ready", "1");
  if (window.performance && performance.mark) performance.mark("qrisk-ready");
})();
