// The trial page: params, values, intermediate values, user attrs, constraints; a running
// trial can be told its value or failed, a waiting one removed from the queue.
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

  async function post(action, body, question) {
    if (!window.confirm(question)) return;
    try {
      await api(base + "/" + action, { method: "POST", body });
      await load();
    } catch (error) { showError(error); }
  }

  async function load() {
    try {
      const [study, trial] = await Promise.all([api("/api/studies/" + studyId), api(base)]);
      showError(null);
      document.title = "Trial " + trial.number + " · " + study.name;
      const link = document.getElementById("study-link");
      link.href = "/studies/" + studyId;
      link.textContent = study.name;
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
      const steps = trial.intermediate_values.map(([step, value]) =>
        el("tr", {}, el("td", { class: "num" }, step), el("td", { class: "num" }, fmt(value))));
      replace(document.getElementById("intermediate"), ...(steps.length ? steps : [el("tr", {}, el("td", { class: "muted" }, "none"))]));
      replace(document.getElementById("user-attrs"), ...kvRows(trial.user_attrs));
      actions(trial, study.directions.length);
    } catch (error) { showError(error); }
  }
  load();
})();
