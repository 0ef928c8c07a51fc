// The study page: summary, plots drawn on the server (tansaku.visualization's figures as
// JSON), the trials table (sorted, filtered and paged on the server) and live updates by
// polling what changed since the page's cursor.
"use strict";
(() => {
  const { api, el, fmt, fmtValues, fmtDuration, showError, replace } = Tansaku;
  const studyId = location.pathname.match(/^\/studies\/(\d+)/)[1];
  const base = "/api/studies/" + studyId;
  const STATES = ["COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING"];
  const PLOT_LABELS = {
    history: "History", intermediate: "Intermediate values", importances: "Importances",
    contour: "Contour", slice: "Slice", parallel: "Parallel coordinates", rank: "Rank",
    edf: "EDF", timeline: "Timeline", pareto: "Pareto front", hypervolume: "Hypervolume history",
  };
  const PARAM_PLOTS = new Set(["contour", "slice", "parallel", "rank"]);
  const POLL_MS = 1000;

  const view = {
    study: null, kind: "history", objective: 0, params: null,
    sort: "number", descending: false, page: 1, perPage: 50, total: 0,
    states: new Set(STATES), cursor: { next: 0, live: [] }, pollBusy: false,
    plotDrawMs: 0, plotDrawnAt: 0, plotStale: false,
  };

  function renderSummary(summary) {
    const best = summary.best
      ? (summary.best.number !== undefined ? "Best " + fmtValues(summary.best.values) + " (trial " + summary.best.number + ")"
        : "Pareto front: " + summary.best.n_pareto + " trials; best per objective " + fmtValues(summary.best.values))
      : "No completed trial yet";
    const parts = [
      "Directions: " + summary.directions.join(", "),
      summary.n_trials + " trials",
      ...STATES.filter((s) => summary.counts[s]).map((s) => summary.counts[s] + " " + s.toLowerCase()),
      best,
    ];
    replace(document.getElementById("summary"), ...parts.map((text) => el("div", {}, text)));
  }

  // -- plots ----------------------------------------------------------------------------------
  function renderTabs() {
    const tabs = view.study.plot_kinds.map((kind) => el("button", {
      type: "button", role: "tab", "data-kind": kind, "aria-pressed": String(kind === view.kind),
      onclick: () => { view.kind = kind; renderTabs(); loadPlot(); },
    }, PLOT_LABELS[kind] || kind));
    replace(document.getElementById("tabs"), ...tabs);
    const options = [];
    if (view.study.directions.length > 1 && !["pareto", "hypervolume", "intermediate", "timeline"].includes(view.kind)) {
      const select = el("select", { id: "objective", onchange: (e) => { view.objective = Number(e.target.value); loadPlot(); } },
        ...view.study.objective_names.map((name, i) => el("option", { value: i, selected: i === view.objective }, name)));
      options.push(el("label", {}, "Objective ", select));
    }
    if (PARAM_PLOTS.has(view.kind) && view.study.param_names.length) {
      const chosen = new Set(view.params || view.study.param_names.slice(0, view.kind === "contour" ? 2 : 6));
      const boxes = view.study.param_names.map((name) => el("label", {},
        el("input", { type: "checkbox", value: name, checked: chosen.has(name), onchange: () => {
          view.params = Array.from(document.querySelectorAll("#plot-options input[type=checkbox]:checked")).map((b) => b.value);
          loadPlot();
        } }), name));
      options.push(el("span", { class: "params-choice" }, "Params: ", ...boxes));
    }
    replace(document.getElementById("plot-options"), ...options);
  }

  async function loadPlot() {
    const query = new URLSearchParams({ objective: view.objective });
    if (PARAM_PLOTS.has(view.kind) && view.params && view.params.length) query.set("params", view.params.join(","));
    const div = document.getElementById("plot");
    const began = Date.now();
    view.plotStale = false;
    try {
      const figure = await api(base + "/plot/" + view.kind + "?" + query);
      div.dataset.kind = view.kind;
      await Plotly.react(div, figure.data, figure.layout, { responsive: true, displaylogo: false });
      div.dataset.loaded = String(Date.now());
      view.plotDrawMs = Date.now() - began;
      view.plotDrawnAt = Date.now();
    } catch (error) {
      Plotly.purge(div);
      replace(div, el("p", { class: "muted" }, "This plot cannot be drawn: " + error.message));
    }
  }

  // -- trials table ---------------------------------------------------------------------------
  function columns() {
    const study = view.study;
    const values = study.directions.length === 1
      ? [["value", study.objective_names[0], (t) => (t.values ? t.values[0] : null)]]
      : study.objective_names.map((name, i) => ["value" + i, name, (t) => (t.values ? t.values[i] : null)]);
    return [
      ["number", "Number", (t) => t.number],
      ["state", "State", (t) => t.state],
      ...values,
      ["duration", "Duration", (t) => t.duration],
      ...study.param_names.map((name) => ["param:" + name, name, (t) => t.params[name]]),
    ];
  }

  function renderHead() {
    replace(document.getElementById("trials-head"), ...columns().map(([key, label]) => {
      const arrow = view.sort === key ? (view.descending ? " ▼" : " ▲") : "";
      return el("th", { class: "sortable", "data-key": key, onclick: () => {
        view.descending = view.sort === key ? !view.descending : false;
        view.sort = key; view.page = 1; loadTrials();
      } }, label + arrow);
    }));
  }

  function trialQuery() {
    const query = new URLSearchParams({
      sort: view.sort, order: view.descending ? "desc" : "asc", page: view.page, per_page: view.perPage,
    });
    if (view.states.size !== STATES.length) query.set("state", Array.from(view.states).join(",") || "NONE");
    if (document.getElementById("best-only").checked) query.set("best", "1");
    const param = document.getElementById("range-param").value;
    const low = document.getElementById("range-low").value;
    const high = document.getElementById("range-high").value;
    if (param && (low || high)) query.set("param", param + ":" + low + ":" + high);
    return query;
  }

  async function loadTrials() {
    let answer;
    try {
      answer = await api(base + "/trials?" + trialQuery());
    } catch (error) { showError(error); return; }
    view.total = answer.total;
    renderHead();
    const cols = columns();
    const rows = answer.trials.map((t) => el("tr", { "data-number": t.number },
      ...cols.map(([key, , get]) => {
        const value = get(t);
        if (key === "number") return el("td", { class: "num" }, el("a", { href: "/studies/" + studyId + "/trials/" + t.number }, value));
        if (key === "state") return el("td", { class: "state-" + value }, value);
        if (key === "duration") return el("td", { class: "num" }, fmtDuration(value));
        return el("td", { class: typeof value === "number" ? "num" : "" }, fmt(value));
      })));
    replace(document.getElementById("trials-body"), ...rows);
    const pages = Math.max(1, Math.ceil(answer.total / view.perPage));
    document.getElementById("page-info").textContent =
      "Page " + view.page + " of " + pages + " (" + answer.total + " trials)";
    document.getElementById("prev").disabled = view.page <= 1;
    document.getElementById("next").disabled = view.page >= pages;
    document.getElementById("page-jump").max = pages;
  }

  function setupFilters() {
    const box = document.getElementById("state-filters");
    replace(box, ...STATES.map((state) => el("label", {}, el("input", {
      type: "checkbox", value: state, checked: true, "data-state": state,
      onchange: (e) => { if (e.target.checked) view.states.add(state); else view.states.delete(state); view.page = 1; loadTrials(); },
    }), state.toLowerCase())));
    const select = document.getElementById("range-param");
    replace(select, el("option", { value: "" }, "—"), ...view.study.param_names.map((name) => el("option", { value: name }, name)));
    document.getElementById("filters").addEventListener("submit", (e) => { e.preventDefault(); view.page = 1; loadTrials(); });
    document.getElementById("best-only").addEventListener("change", () => { view.page = 1; loadTrials(); });
    document.getElementById("prev").addEventListener("click", () => { view.page -= 1; loadTrials(); });
    document.getElementById("next").addEventListener("click", () => { view.page += 1; loadTrials(); });
    document.getElementById("page-jump").addEventListener("change", (e) => {
      const pages = Math.max(1, Math.ceil(view.total / view.perPage));
      view.page = Math.min(pages, Math.max(1, Number(e.target.value) || 1)); loadTrials();
    });
    document.getElementById("csv").href = base + "/trials.csv";
  }

  function renderUserAttrs(attrs) {
    const entries = Object.entries(attrs || {});
    replace(document.getElementById("user-attrs"), ...(entries.length
      ? entries.map(([key, value]) => el("tr", {}, el("th", {}, key), el("td", {}, fmt(value))))
      : [el("tr", {}, el("td", { class: "muted" }, "none"))]));
  }

  // -- live -----------------------------------------------------------------------------------
  async function poll() {
    if (view.pollBusy) return;
    view.pollBusy = true;
    try {
      const query = new URLSearchParams({ next: view.cursor.next, live: view.cursor.live.join(",") });
      const answer = await api(base + "/poll?" + query);
      view.cursor = { next: answer.next, live: answer.live };
      document.getElementById("live").textContent = "Live · checked " + new Date().toLocaleTimeString();
      if (answer.changed.length) {
        renderSummary(answer.summary);
        const known = new Set(view.study.param_names);
        const newParam = answer.changed.some((t) => Object.keys(t.params).some((p) => !known.has(p)));
        if (newParam) { view.study = await api(base); setupFilters(); renderTabs(); }
        await loadTrials();
        // A plot of a big study takes the server a while to draw: redraw it at most once per
        // five drawing times, so that a study changing every second does not keep it busy.
        if (Date.now() - view.plotDrawnAt > 5 * view.plotDrawMs) await loadPlot();
        else view.plotStale = true;
      } else if (view.plotStale && Date.now() - view.plotDrawnAt > 5 * view.plotDrawMs) {
        await loadPlot();
      }
    } catch (error) {
      document.getElementById("live").textContent = "Live updates paused: " + error.message;
    } finally {
      view.pollBusy = false;
    }
  }

  async function start() {
    try {
      view.study = await api(base);
    } catch (error) { showError(error); return; }
    document.title = view.study.name + " · tansaku dashboard";
    document.getElementById("title").textContent = view.study.name;
    renderSummary(view.study);
    renderUserAttrs(view.study.user_attrs);
    setupFilters();
    renderTabs();
    // The study's cursor came with it: polls read only what changed after this load.
    view.cursor = view.study.cursor;
    await Promise.all([loadPlot(), loadTrials()]);
    setInterval(poll, POLL_MS);
  }
  start();
})();
