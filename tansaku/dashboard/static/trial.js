// The trial page: params, values, intermediate values, user attrs, constraints; a running
// trial can be told its value or failed, a waiting one removed from the queue. While the trial
// is live the page polls it: each answer carries the intermediate values reported since.
"use strict";
(() => {
  const { api, el, fmt, fmtValues, fmtTime, fmtDuration, showError, replace } = Tansaku;
  const match = location.pathname.match(/^\/studies\/(\d+)\/trials\/(\d+)/);
  const studyId = match[1];
  const number = match[2];
  const base = "/api/studies/" + studyId + "/trials/" + number;

  function kvRows(object) {
    const entries = Object.entries(object || {});
    if (!entries.length) return [el("tr", {}, el("td", { class: "muted" }, "none"))];
    return entries.map(([key, value]) => el("tr", {}, el("th", {}, key), el("td", {}, fmt(value))));
  }

  function actions(trial, nObjectives) {
    const box = document.getElementById("actions");
    if (trial.state === "RUNNING") {
      const inputs = Array.from({ length: nObjectives }, (_, i) =>
        el("input", { type: "number", step: "any", "aria-label": "value " + i, class: "tell-value", required: true }));
      const form = el("form", { class: "toolbar", id: "tell" },
        "Tell value" + (nObjectives > 1 ? "s" : ""), ...inputs,
        el("button", { class: "primary", type: "submit" }, "Complete"),
        el("button", { class: "danger", type: "button", id: "fail", onclick: () => post("tell", { state: "FAIL" }, "Fail trial " + number + "?") }, "Fail"));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const values = inputs.map((input) => Number(input.value));
        post("tell", { state: "COMPLETE", values }, "Complete trial " + number + " with " + values.join(", ") + "?");
      });
      replace(box, form);
    } else if (trial.state === "WAITING") {
      replace(box, el("div", { class: "toolbar" }, el("button", { class: "danger", type: "button", id: "remove",
        onclick: () => post("remove", {}, "Remove trial " + number + " from the queue? It ends FAIL.") }, "Remove from queue")));
    } else {
      replace(box);
    }
  }

  const POLL_MS = 1000;
  const view = { study: null, state: null, after: null, known: 0, timer: null, busy: false };

  async function post(action, body, question) {
    if (!window.confirm(question)) return;
    try {
      await api(base + "/" + action, { method: "POST", body });
      await load();
    } catch (error) { showError(error); }
  }

  function stepRow([step, value]) {
    return el("tr", { "data-step": step }, el("td", { class: "num" }, step), el("td", { class: "num" }, fmt(value)));
  }

  // steps: [[step, value], ...] sorted; all: whether they are every step (else those after view.after).
  function renderSteps(steps, all) {
    const body = document.getElementById("intermediate");
    if (all) {
      view.known = 0;
      replace(body, ...(steps.length ? steps.map(stepRow) : [el("tr", {}, el("td", { class: "muted" }, "none"))]));
    } else if (steps.length) {
      if (!view.known) replace(body);
      body.append(...steps.map(stepRow));
    }
    view.known += steps.length;
    if (steps.length) view.after = steps[steps.length - 1][0];
  }

  function render(trial) {
    document.getElementById("title").textContent = "Trial " + trial.number;
    replace(document.getElementById("overview"), ...kvRows({
      State: trial.state,
      "Value(s)": fmtValues(trial.values),
      Started: fmtTime(trial.datetime_start),
      Completed: fmtTime(trial.datetime_complete),
      Duration: fmtDuration(trial.duration),
      Constraints: Object.keys(trial.constraints || {}).length ? trial.constraints : "none",
    }));
    replace(document.getElementById("params"), ...kvRows(trial.params));
    replace(document.getElementById("user-attrs"), ...kvRows(trial.user_attrs));
    // The form is redrawn only when the state changes: a value being typed stays.
    if (trial.state !== view.state) actions(trial, view.study.directions.length);
    view.state = trial.state;
    const live = trial.state === "RUNNING" || trial.state === "WAITING";
    document.getElementById("live").textContent = live ? "Live · checked " + new Date().toLocaleTimeString() : "";
    if (live && view.timer === null) view.timer = setInterval(poll, POLL_MS);
    if (!live && view.timer !== null) { clearInterval(view.timer); view.timer = null; }
  }

  async function poll() {
    if (view.busy) return;
    view.busy = true;
    try {
      const query = new URLSearchParams({ after: view.after === null ? "" : view.after, known: view.known });
      const trial = await api(base + "/poll?" + query);
      renderSteps(trial.intermediate_values, trial.all);
      render(trial);
    } catch (error) {
      document.getElementById("live").textContent = "Live updates paused: " + error.message;
    } finally {
      view.busy = false;
    }
  }

  async function load() {
    try {
      const [study, trial] = await Promise.all([api("/api/studies/" + studyId), api(base)]);
      showError(null);
      view.study = study;
      view.state = null;
      view.after = null;
      document.title = "Trial " + trial.number + " · " + study.name;
      const link = document.getElementById("study-link");
      link.href = "/studies/" + studyId;
      link.textContent = study.name;
      renderSteps(trial.intermediate_values, true);
      render(trial);
    } catch (error) { showError(error); }
  }
  load();
})();
