// The studies page: every study of the storage, sortable and searchable; create and delete.
"use strict";
(() => {
  const { api, el, fmt, fmtValues, fmtTime, showError, replace } = Tansaku;
  const COLUMNS = [
    ["name", "Name", (s) => s.name],
    ["directions", "Directions", (s) => s.directions.join(", ")],
    ["n_trials", "Trials", (s) => s.n_trials],
    ["complete", "Complete", (s) => s.counts.COMPLETE],
    ["pruned", "Pruned", (s) => s.counts.PRUNED],
    ["fail", "Fail", (s) => s.counts.FAIL],
    ["running", "Running", (s) => s.counts.RUNNING],
    ["waiting", "Waiting", (s) => s.counts.WAITING],
    ["best", "Best value(s)", (s) => (s.best ? s.best.values[0] : null)],
    ["last_activity", "Last activity", (s) => s.last_activity || ""],
  ];
  let studies = [];
  let sort = { key: "last_activity", descending: true };

  function compare(a, b) {
    if (a === b) return 0;
    if (a === null || a === undefined) return 1;
    if (b === null || b === undefined) return -1;
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a).localeCompare(String(b));
  }

  function renderHead() {
    const head = document.getElementById("studies-head");
    replace(head, ...COLUMNS.map(([key, label]) => {
      const arrow = sort.key === key ? (sort.descending ? " ▼" : " ▲") : "";
      return el("th", {
        class: "sortable", "data-key": key,
        onclick: () => {
          sort = { key, descending: sort.key === key ? !sort.descending : false };
          render();
        },
      }, label + arrow);
    }), el("th", {}, ""));
  }

  function render() {
    renderHead();
    const needle = document.getElementById("search").value.trim().toLowerCase();
    const getter = COLUMNS.find(([key]) => key === sort.key)[2];
    const shown = studies
      .filter((s) => s.name.toLowerCase().includes(needle))
      .sort((a, b) => (sort.descending ? -1 : 1) * compare(getter(a), getter(b)));
    const rows = shown.map((s) => el("tr", { "data-study-id": s.id },
      el("td", { class: "name" }, el("a", { href: "/studies/" + s.id }, s.name)),
      el("td", {}, s.directions.join(", ")),
      el("td", { class: "num" }, s.n_trials),
      el("td", { class: "num" }, s.counts.COMPLETE),
      el("td", { class: "num" }, s.counts.PRUNED),
      el("td", { class: "num" }, s.counts.FAIL),
      el("td", { class: "num" }, s.counts.RUNNING),
      el("td", { class: "num" }, s.counts.WAITING),
      el("td", { class: "num" }, s.best ? fmtValues(s.best.values) : "—"),
      el("td", { class: "when" }, fmtTime(s.last_activity) || "—"),
      el("td", {}, el("button", { class: "danger", type: "button", onclick: () => remove(s) }, "Delete")),
    ));
    replace(document.getElementById("studies-body"), ...rows);
    document.getElementById("count").textContent =
      shown.length + " of " + studies.length + " studies";
  }

  async function remove(study) {
    const question = "Delete study \u201c" + study.name + "\u201d and its " + study.n_trials +
      " trials? This cannot be undone.";
    if (!window.confirm(question)) return;
    try {
      await api("/api/studies/" + study.id + "/delete", { method: "POST", body: { confirm: study.name } });
      await load();
    } catch (error) { showError(error); }
  }

  async function load() {
    try {
      studies = await api("/api/studies");
      showError(null);
      render();
      document.getElementById("live").textContent = "updated " + new Date().toLocaleTimeString();
    } catch (error) { showError(error); }
  }

  document.getElementById("search").addEventListener("input", render);
  document.getElementById("create").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = document.getElementById("create-name").value;
    const directions = document.getElementById("create-directions").value.split(",");
    try {
      await api("/api/studies/create", { method: "POST", body: { name, directions } });
      document.getElementById("create-name").value = "";
      await load();
    } catch (error) { showError(error); }
  });
  load();
  setInterval(load, 5000);
})();
