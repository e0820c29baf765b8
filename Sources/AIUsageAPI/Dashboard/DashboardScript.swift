extension DashboardPage {
    /// The page's script (inline; its hash is in the Content-Security-Policy). Plain JavaScript,
    /// no libraries. Money never passes through binary floating point: numbers are read from the
    /// answers as their exact decimal text and summed as scaled `BigInt`s; only the geometry of
    /// the chart uses `Number`.
    static let script = #"""
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  // The API lives next to this page: /prod/ai_usage/dashboard → /prod/ai_usage.
  const api = location.pathname.replace(/\/dashboard\/?$/, "");
  const palette = ["#1a73e8", "#e8710a", "#188038", "#d01884", "#9334e6", "#12b5cb", "#b06000", "#5f6368"];
  const FILTERS = ["service", "model", "operation", "job_id", "user_id"];

  // ---- Exact decimals: {v: BigInt, s: scale} --------------------------------------------
  function dec(text) {
    const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(String(text).trim());
    if (!m) return { v: 0n, s: 0 };
    let digits = m[2] + (m[3] || "");
    let scale = (m[3] || "").length - Number(m[4] || 0);
    if (scale < 0) { digits += "0".repeat(-scale); scale = 0; }
    const v = BigInt(digits);
    return { v: m[1] ? -v : v, s: scale };
  }
  function align(a, b) {
    const s = Math.max(a.s, b.s);
    return [a.v * 10n ** BigInt(s - a.s), b.v * 10n ** BigInt(s - b.s), s];
  }
  function add(a, b) { const [x, y, s] = align(a, b); return { v: x + y, s }; }
  function cmp(a, b) { const [x, y] = align(a, b); return x < y ? -1 : x > y ? 1 : 0; }
  const ZERO = { v: 0n, s: 0 };
  // Half-even rounding to `places` fraction digits, as text ("-" sign kept).
  function roundText(a, places) {
    let v = a.v, s = a.s;
    if (s > places) {
      const d = 10n ** BigInt(s - places);
      const neg = v < 0n; let q = (neg ? -v : v) / d; const r = (neg ? -v : v) % d;
      if (r * 2n > d || (r * 2n === d && q % 2n === 1n)) q += 1n;
      v = neg ? -q : q; s = places;
    } else if (s < places) { v *= 10n ** BigInt(places - s); s = places; }
    const neg = v < 0n; let t = (neg ? -v : v).toString().padStart(places + 1, "0");
    const whole = t.slice(0, t.length - places), frac = t.slice(t.length - places);
    return (neg && /[1-9]/.test(t) ? "-" : "") + group(whole) + (places ? "." + frac : "");
  }
  function exactText(a) {
    if (a.s === 0) return a.v.toString();
    const neg = a.v < 0n; const t = (neg ? -a.v : a.v).toString().padStart(a.s + 1, "0");
    let frac = t.slice(t.length - a.s).replace(/0+$/, "");
    return (neg ? "-" : "") + t.slice(0, t.length - a.s) + (frac ? "." + frac : "");
  }
  function group(digits) { return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  const money = (a) => "$" + roundText(a, 2);
  const count = (text) => group(String(text));
  const ratio = (a, b) => (b.v === 0n ? 0 : Number(align(a, b)[0]) / Number(align(a, b)[1]));

  // ---- JSON with numbers kept as their source text ---------------------------------------
  function parseJSON(text) {
    return JSON.parse(text, function (key, value, context) {
      if (typeof value === "number") return context && typeof context.source === "string" ? context.source : String(value);
      return value;
    });
  }
  // ---- CSV (RFC 4180) ---------------------------------------------------------------------
  function parseCSV(text) {
    const rows = []; let row = [], field = "", i = 0, quoted = false;
    while (i < text.length) {
      const c = text[i];
      if (quoted) {
        if (c === '"') { if (text[i + 1] === '"') { field += '"'; i += 2; continue; } quoted = false; i++; continue; }
        field += c; i++; continue;
      }
      if (c === '"') { quoted = true; i++; continue; }
      if (c === ",") { row.push(field); field = ""; i++; continue; }
      if (c === "\r" && text[i + 1] === "\n") { row.push(field); rows.push(row); row = []; field = ""; i += 2; continue; }
      field += c; i++;
    }
    if (field !== "" || row.length) { row.push(field); rows.push(row); }
    return rows;
  }

  // ---- Dates (UTC calendar days; not money) -----------------------------------------------
  const iso = (d) => d.toISOString().slice(0, 10);
  const day = (text) => new Date(text + "T00:00:00Z");
  function addDays(text, n) { const d = day(text); d.setUTCDate(d.getUTCDate() + n); return iso(d); }
  function daysBetween(start, end) {
    const out = []; for (let d = start; d <= end && out.length < 400; d = addDays(d, 1)) out.push(d); return out;
  }
  function preset(name) {
    const today = iso(new Date()); const [y, m] = today.split("-").map(Number);
    const first = (yy, mm) => `${yy}-${String(mm).padStart(2, "0")}-01`;
    switch (name) {
      case "today": return [today, today];
      case "7d": return [addDays(today, -6), today];
      case "month": return [first(y, m), today];
      case "last-month": {
        const start = m === 1 ? first(y - 1, 12) : first(y, m - 1);
        return [start, addDays(first(y, m), -1)];
      }
    }
    return [addDays(today, -30), today];
  }

  // ---- The view's state lives in the URL ---------------------------------------------------
  function readState() {
    const q = new URLSearchParams(location.search);
    const [ds, de] = preset("30d");
    const st = { start_date: q.get("start_date") || ds, end_date: q.get("end_date") || de,
                 stack: ["service", "model", "operation"].includes(q.get("stack")) ? q.get("stack") : "service" };
    for (const f of FILTERS) st[f] = q.get(f) || "";
    return st;
  }
  function writeURL(st, push) {
    const q = new URLSearchParams();
    q.set("start_date", st.start_date); q.set("end_date", st.end_date);
    if (st.stack !== "service") q.set("stack", st.stack);
    for (const f of FILTERS) if (st[f]) q.set(f, st[f]);
    const url = location.pathname + "?" + q.toString();
    if (push) history.pushState(null, "", url); else history.replaceState(null, "", url);
  }
  function query(st, extra) {
    const q = new URLSearchParams();
    q.set("start_date", st.start_date); q.set("end_date", st.end_date);
    for (const f of FILTERS) if (st[f]) q.set(f, st[f]);
    for (const [k, v] of Object.entries(extra || {})) q.set(k, v);
    return api + "?" + q.toString();
  }

  let state = readState();
  let generation = 0;

  // ---- Fetching -----------------------------------------------------------------------------
  function headers() {
    const token = sessionStorage.getItem("ai-usage-token");
    return token ? { Authorization: "Bearer " + token } : {};
  }
  class APIError extends Error {}
  async function get(url) {
    let response;
    try {
      response = await fetch(url, { headers: headers(), credentials: "same-origin", cache: "no-store" });
    } catch (error) {
      throw new APIError("Could not reach the API (" + (error && error.message ? error.message : "network error") + "). Is the server running?");
    }
    const text = await response.text();
    if (!response.ok) {
      let message = "";
      try { const body = parseJSON(text); message = body.error || body.message || ""; } catch (_) { /* not JSON */ }
      throw new APIError(`The API answered ${response.status}: ${message || response.statusText || "no message"}`);
    }
    return { text, response };
  }

  // ---- Rendering helpers --------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") node.textContent = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v); else node.setAttribute(k, v);
    }
    for (const child of children) if (child != null) node.append(child);
    return node;
  }
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") node.textContent = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v); else node.setAttribute(k, String(v));
    }
    for (const child of children) if (child != null) node.append(child);
    return node;
  }
  function setStatus(kind, text) {
    const s = $("status"); s.dataset.state = kind; s.textContent = text;
    document.querySelector("main").setAttribute("aria-busy", kind === "loading" ? "true" : "false");
  }
  function setFigure(id, value, text, title) {
    const node = $(id); node.dataset.value = value; node.textContent = text; if (title) node.title = title; else node.removeAttribute("title");
  }
  function colorOf(keys) { const map = new Map(); keys.forEach((k, i) => map.set(k, palette[i % palette.length])); return map; }

  // ---- Loading one view ---------------------------------------------------------------------
  async function load() {
    const mine = ++generation;
    syncControls();
    setStatus("loading", "Loading…");
    try {
      // Jobs are not in the daily rollups: their table reads every call of the range, so it
      // loads on its own and never holds up the rest of the view.
      const jobs = get(query(state, { aggregation: "job" }));
      jobs.catch(() => {});
      const [json, csv] = await Promise.all([
        get(query(state, { aggregation: "day,service,model,operation,hour,user" })),
        get(query(state, { format: "csv" })),
      ]);
      if (mine !== generation) return;
      const report = parseJSON(json.text);
      const rows = parseCSV(csv.text).slice(1).filter((r) => r.length >= 8).map((r) => ({
        date: r[0], service: r[1], model: r[2], operation: r[3], cost: dec(r[4]), tokens: BigInt(r[5] || "0"), calls: BigInt(r[6] || "0"), unpriced: BigInt(r[7] || "0"),
      }));
      render(report, rows);
      if (BigInt(report.summary.total_api_calls) === 0n) {
        $("content").hidden = true;
        setStatus("empty", `No calls recorded from ${state.start_date} to ${state.end_date}${activeFilters() ? " with these filters" : ""}.`);
      } else {
        $("content").hidden = false;
        setStatus("ready", `Showing ${state.start_date} to ${state.end_date}.`);
      }
      loadJobs(mine, jobs, dec(report.summary.total_cost_usd));
      loadBudgets(mine);
    } catch (error) {
      if (mine !== generation) return;
      $("content").hidden = true;
      setStatus("error", error instanceof APIError ? error.message : "Something went wrong: " + error);
    }
  }

  function activeFilters() {
    return FILTERS.filter((f) => state[f]).map((f) => `${f.replace("_id", "")} ${state[f]}`).join(", ");
  }

  function render(report, rows) {
    const s = report.summary;
    const total = dec(s.total_cost_usd);
    $("range-label").textContent = `${state.start_date} to ${state.end_date} (UTC)`;
    const filters = activeFilters();
    $("filters").textContent = filters ? "Filtered to " + filters + "." : "";
    setFigure("total-cost", s.total_cost_usd, money(total), "$" + s.total_cost_usd + " exactly");
    setFigure("total-calls", s.total_api_calls, count(s.total_api_calls));
    setFigure("total-tokens", s.total_tokens, count(s.total_tokens));
    setFigure("average-cost", s.average_cost_per_call, "$" + s.average_cost_per_call);
    const unpriced = BigInt(s.unpriced_calls || "0");
    $("unpriced-box").hidden = unpriced === 0n;
    const slot = $("unpriced-slot"); slot.replaceChildren();
    if (unpriced > 0n) {
      slot.append(el("span", { id: "unpriced-calls", "data-value": s.unpriced_calls, text: count(s.unpriced_calls) }));
    }
    fillServices(Object.keys(report.aggregations.by_service || {}));
    renderChart(rows);
    renderHeat(report.aggregations.by_hour || {});
    renderTables(rows, total, report.aggregations.by_user);
  }

  function fillServices(found) {
    const select = $("service");
    const names = new Set(found); if (state.service) names.add(state.service);
    for (const option of [...select.options].slice(1)) names.add(option.value);
    const keep = select.options[0];
    select.replaceChildren(keep, ...[...names].sort().map((n) => el("option", { value: n, text: n })));
    select.value = state.service;
  }

  // ---- The daily chart, stacked -------------------------------------------------------------
  function renderChart(rows) {
    const days = daysBetween(state.start_date, state.end_date);
    const key = state.stack;
    const perDay = new Map(days.map((d) => [d, { total: ZERO, parts: new Map() }]));
    const keyTotals = new Map();
    for (const r of rows) {
      const bucket = perDay.get(r.date); if (!bucket) continue;
      bucket.total = add(bucket.total, r.cost);
      bucket.parts.set(r[key], add(bucket.parts.get(r[key]) || ZERO, r.cost));
      keyTotals.set(r[key], add(keyTotals.get(r[key]) || ZERO, r.cost));
    }
    const keys = [...keyTotals.keys()].sort((a, b) => cmp(keyTotals.get(b), keyTotals.get(a)) || (a < b ? -1 : 1));
    const colors = colorOf(keys);
    let max = ZERO; for (const b of perDay.values()) if (cmp(b.total, max) > 0) max = b.total;
    const W = 760, H = 260, left = 64, right = 8, top = 10, bottom = 36;
    const plotW = W - left - right, plotH = H - top - bottom;
    const ticks = niceTicks(max);
    const top$ = ticks[ticks.length - 1];
    const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "group", "aria-label": "Daily cost, stacked by " + key });
    for (const t of ticks) {
      const y = top + plotH - ratio(t, top$) * plotH;
      chart.append(svg("line", { class: "axis", x1: left, x2: W - right, y1: y, y2: y }));
      chart.append(svg("text", { x: left - 6, y: y + 4, "text-anchor": "end", text: "$" + roundText(t, cmp(top$, dec("0.1")) < 0 ? 4 : 2) }));
    }
    const slot = plotW / Math.max(days.length, 1);
    const barW = Math.max(1, Math.min(28, slot * 0.7));
    const every = Math.ceil(days.length / 8);
    days.forEach((d, i) => {
      const b = perDay.get(d);
      const x = left + i * slot + (slot - barW) / 2;
      const lines = [`${d}: ${money(b.total)}`];
      const g = svg("g", { class: "day-bar", tabindex: 0, role: "button", "data-date": d, "data-cost": exactText(b.total),
                          "aria-label": `${d}, ${money(b.total)}. Show this day.` });
      g.append(svg("rect", { class: "hit", x: left + i * slot, y: top, width: slot, height: plotH }));
      let y = top + plotH;
      for (const k of keys) {
        const part = b.parts.get(k); if (!part || part.v === 0n) continue;
        const h = ratio(part, top$) * plotH;
        y -= h;
        g.append(svg("rect", { x, y, width: barW, height: Math.max(h, 0.5), fill: colors.get(k) }));
        lines.push(`${k}: ${money(part)}`);
      }
      g.prepend(svg("title", { text: lines.join("\n") }));
      const pick = () => drill({ start_date: d, end_date: d });
      g.addEventListener("click", pick);
      g.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); pick(); } });
      chart.append(g);
      if (i % every === 0 || days.length === 1) {
        chart.append(svg("text", { x: left + i * slot + slot / 2, y: H - bottom + 16, "text-anchor": "middle", text: d.slice(5) }));
      }
    });
    chart.append(svg("line", { class: "axis", x1: left, x2: W - right, y1: top + plotH, y2: top + plotH }));
    $("chart").replaceChildren(chart);
    const legend = $("legend"); legend.replaceChildren();
    for (const k of keys) {
      const swatch = el("span", { class: "swatch", "aria-hidden": "true" }); swatch.style.background = colors.get(k);
      const filter = key === "service" ? "service" : key;
      legend.append(el("li", {}, swatch, el("button", { type: "button", class: "link", text: `${k} (${money(keyTotals.get(k))})`,
        onclick: () => drill({ [filter]: k }) })));
    }
  }
  function niceTicks(max) {
    // 4 steps of 1, 2 or 5 × 10^n above the tallest day (exact, as decimals).
    if (max.v <= 0n) return [ZERO, dec("1")];
    const raw = exactText(max);
    const asNumber = Number(raw) / 4;
    const power = Math.pow(10, Math.floor(Math.log10(asNumber)));
    let step = [1, 2, 5, 10].map((m) => m * power).find((c) => c >= asNumber) || 10 * power;
    const stepDec = dec(step.toPrecision(1));
    const out = [ZERO]; let t = ZERO;
    while (cmp(t, max) < 0 && out.length < 12) { t = add(t, stepDec); out.push(t); }
    return out;
  }

  // ---- The hourly strip ---------------------------------------------------------------------
  function renderHeat(byHour) {
    const W = 760, H = 56, left = 4, cellW = (W - 8) / 24;
    const costs = []; let max = ZERO;
    for (let h = 0; h < 24; h++) {
      const k = String(h).padStart(2, "0"); const g = byHour[k];
      const c = g ? dec(g.cost_usd) : ZERO; costs.push([k, c, g ? g.api_calls : "0"]);
      if (cmp(c, max) > 0) max = c;
    }
    const strip = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "Cost by hour of day" });
    costs.forEach(([k, c, calls], i) => {
      const cell = svg("rect", { class: "cell", x: left + i * cellW, y: 2, width: cellW - 2, height: 30, rx: 3,
        "fill-opacity": (0.06 + 0.94 * ratio(c, max)).toFixed(3) });
      cell.style.fill = "rgb(var(--heat))";
      cell.append(svg("title", { text: `${k}:00–${k}:59 UTC: ${money(c)}, ${count(calls)} calls` }));
      strip.append(cell);
      if (i % 3 === 0) strip.append(svg("text", { x: left + i * cellW + cellW / 2, y: 48, "text-anchor": "middle", text: k }));
    });
    $("heat").replaceChildren(strip);
  }

  // ---- Tables -------------------------------------------------------------------------------
  function groupBy(rows, key) {
    const map = new Map();
    for (const r of rows) {
      const g = map.get(r[key]) || { name: r[key], service: r.service, cost: ZERO, calls: 0n, tokens: 0n };
      g.cost = add(g.cost, r.cost); g.calls += r.calls; g.tokens += r.tokens; map.set(r[key], g);
    }
    return [...map.values()];
  }
  // The groups of a `by_user` or `by_job` answer (costs rounded by the API to 4 places).
  function fromAnswer(groups) {
    return Object.entries(groups || {}).map(([name, g]) => ({
      name, service: (g.services || []).join(", "), cost: dec(g.cost_usd), calls: BigInt(g.api_calls), tokens: BigInt(g.tokens),
    }));
  }
  function renderTables(rows, total, byUser) {
    table("models", "Top models", groupBy(rows, "model"), "model", "Model", true, total);
    table("operations", "Operations", groupBy(rows, "operation"), "operation", "Operation", false, total);
    table("services", "Services", groupBy(rows, "service"), "service", "Service", false, total);
    table("users", "Top users", fromAnswer(byUser), "user_id", "User", false, total);
  }
  async function loadJobs(mine, pending, total) {
    const wrap = $("jobs");
    wrap.dataset.state = "loading";
    wrap.replaceChildren(el("p", { class: "muted", text: "Loading jobs…" }));
    try {
      const answer = parseJSON((await pending).text);
      if (mine !== generation) return;
      table("jobs", "Top jobs", fromAnswer(answer.aggregations.by_job), "job_id", "Job", false, total);
      wrap.dataset.state = "ready";
    } catch (error) {
      if (mine !== generation) return;
      wrap.dataset.state = "error";
      wrap.replaceChildren(el("p", { class: "error", text: error instanceof APIError ? error.message : "Something went wrong: " + error }));
    }
  }
  function table(id, caption, groups, filter, label, withService, total) {
    const columns = [
      { key: "name", label, num: false },
      ...(withService ? [{ key: "service", label: "Service", num: false }] : []),
      { key: "cost", label: "Cost", num: true }, { key: "share", label: "Share", num: true },
      { key: "calls", label: "Calls", num: true }, { key: "tokens", label: "Tokens", num: true },
    ];
    let sortKey = "cost", descending = true;
    const wrap = $(id);
    function compare(a, b) {
      let r;
      if (sortKey === "cost" || sortKey === "share") r = cmp(a.cost, b.cost);
      else if (sortKey === "calls" || sortKey === "tokens") r = a[sortKey] < b[sortKey] ? -1 : a[sortKey] > b[sortKey] ? 1 : 0;
      else r = a[sortKey] < b[sortKey] ? -1 : a[sortKey] > b[sortKey] ? 1 : 0;
      return (descending ? -r : r) || (a.name < b.name ? -1 : 1);
    }
    function draw() {
      const head = el("tr", {}, ...columns.map((c) => {
        const th = el("th", { scope: "col", class: c.num ? "num" : "" },
          el("button", { type: "button", text: c.label, onclick: () => {
            if (sortKey === c.key) descending = !descending; else { sortKey = c.key; descending = c.num; }
            draw(); wrap.querySelector(`th[data-key="${c.key}"] button`).focus();
          } }));
        th.dataset.key = c.key;
        if (sortKey === c.key) th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        return th;
      }));
      const body = el("tbody");
      for (const g of [...groups].sort(compare).slice(0, 50)) {
        const share = total.v === 0n ? "0.0" : roundText({ v: align(g.cost, total)[0] * 1000n / align(g.cost, total)[1], s: 1 }, 1);
        // `unknown` gathers the calls without a value: there is nothing to filter to.
        const name = g.name === "unknown" ? el("span", { class: "muted", text: "unknown", title: `Calls without a ${label.toLowerCase()}` })
          : el("button", { type: "button", class: "link", text: g.name, title: `Show only ${label.toLowerCase()} ${g.name}`,
            onclick: () => drill({ [filter]: g.name }) });
        body.append(el("tr", { "data-name": g.name, "data-cost": exactText(g.cost) },
          el("th", { scope: "row" }, name),
          ...(withService ? [el("td", { text: g.service })] : []),
          el("td", { class: "num", text: money(g.cost), title: "$" + exactText(g.cost) }),
          el("td", { class: "num", text: share + "%" }),
          el("td", { class: "num", text: count(g.calls) }),
          el("td", { class: "num", text: count(g.tokens) })));
      }
      wrap.replaceChildren(el("table", {}, el("caption", { text: `${caption}, by ${sortKey} ${descending ? "descending" : "ascending"}` }), el("thead", {}, head), body));
    }
    draw();
  }

  // ---- Budgets ------------------------------------------------------------------------------
  async function loadBudgets(mine) {
    const section = $("budgets-section");
    let answer;
    try { answer = parseJSON((await get(api + "/budgets")).text); } catch (_) { section.hidden = true; return; }
    if (mine !== generation) return;
    const status = answer.status || [];
    if (!status.length) { section.hidden = true; return; }
    const byId = new Map((answer.budgets || []).map((b) => [`${b.scope}/${b.period}`, b]));
    const list = $("budgets"); list.replaceChildren();
    for (const e of status) {
      const budget = byId.get(e.budget) || { thresholds: [] };
      const spend = dec(e.spend_usd), limit = dec(e.limit_usd);
      const projected = e.projected_spend_usd == null ? null : dec(e.projected_spend_usd);
      const over = cmp(spend, limit) >= 0;
      const scaleTo = [limit, spend, projected || ZERO].reduce((m, x) => (cmp(x, m) > 0 ? x : m), limit);
      const W = 600, H = 26;
      const bar = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img",
        "aria-label": `${e.scope}: ${money(spend)} of ${money(limit)}, ${e.percent}%` });
      bar.append(svg("rect", { class: "track", x: 0, y: 6, width: W, height: 14, rx: 4 }));
      bar.append(svg("rect", { class: "spend" + (over ? " over" : ""), x: 0, y: 6, width: ratio(spend, scaleTo) * W, height: 14, rx: 4 }));
      for (const t of budget.thresholds || []) {
        const x = Math.min(W, ratio(limit, scaleTo) * (Number(t.percent) / 100) * W);
        const mark = svg("line", { class: "mark", x1: x, x2: x, y1: 2, y2: 24 });
        mark.append(svg("title", { text: `${t.percent}% (${t.level})` }));
        bar.append(mark);
      }
      if (projected) {
        const x = Math.min(W, ratio(projected, scaleTo) * W);
        const line = svg("line", { class: "projected", x1: x, x2: x, y1: 0, y2: 26 });
        line.append(svg("title", { text: `Projected by ${e.period_end}: ${money(projected)}` }));
        bar.append(line);
      }
      list.append(el("div", { class: "budget" },
        el("p", { class: "meta" }, el("strong", { text: e.scope }), ` ${e.budget} (${e.kind}), ${e.period_label}: `,
          el("span", { class: over ? "over" : "", text: `${money(spend)} of ${money(limit)} (${e.percent}%)` }),
          projected ? `; projected ${money(projected)} by ${e.period_end}` : ""),
        bar));
    }
    section.hidden = false;
  }

  // ---- Controls -----------------------------------------------------------------------------
  function syncControls() {
    $("start").value = state.start_date; $("end").value = state.end_date;
    $("stack").value = state.stack; $("job").value = state.job_id; $("user").value = state.user_id;
    if (![...$("service").options].some((o) => o.value === state.service) && state.service) {
      $("service").append(el("option", { value: state.service, text: state.service }));
    }
    $("service").value = state.service;
  }
  function drill(change) {
    state = Object.assign({}, state, change);
    writeURL(state, true);
    load();
  }
  $("controls").addEventListener("submit", (e) => {
    e.preventDefault();
    const start = $("start").value, end = $("end").value;
    if (!start || !end) { setStatus("error", "Give both dates (YYYY-MM-DD)."); return; }
    drill({ start_date: start, end_date: end, service: $("service").value, stack: $("stack").value,
            job_id: $("job").value.trim(), user_id: $("user").value.trim() });
  });
  for (const button of document.querySelectorAll("[data-preset]")) {
    button.addEventListener("click", () => { const [s, e] = preset(button.dataset.preset); drill({ start_date: s, end_date: e }); });
  }
  $("reset").addEventListener("click", () => drill(Object.fromEntries(FILTERS.map((f) => [f, ""]))));
  $("stack").addEventListener("change", () => drill({ stack: $("stack").value }));
  const token = $("token");
  token.value = sessionStorage.getItem("ai-usage-token") || "";
  token.addEventListener("change", () => {
    if (token.value) sessionStorage.setItem("ai-usage-token", token.value); else sessionStorage.removeItem("ai-usage-token");
    load();
  });
  $("download-csv").addEventListener("click", async () => {
    try {
      const { text, response } = await get(query(state, { format: "csv" }));
      const name = (/filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "") || [])[1] || "ai-usage.csv";
      const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
      const a = el("a", { href: url, download: name }); document.body.append(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (error) {
      setStatus("error", error.message);
    }
  });
  window.addEventListener("popstate", () => { state = readState(); load(); });
  writeURL(state, false);
  load();
})();
"""#
}
