// Shared helpers of the dashboard's pages. User data is only ever put in the page with
// textContent (never innerHTML), so a study named <script>...</script> shows as text.
"use strict";

const Tansaku = (() => {
  function cookie(name) {
    for (const part of document.cookie.split(";")) {
      const [key, ...rest] = part.trim().split("=");
      if (key === name) return decodeURIComponent(rest.join("="));
    }
    return "";
  }

  async function api(path, options = {}) {
    const init = { method: options.method || "GET", headers: {}, credentials: "same-origin" };
    if (init.method === "POST") {
      init.headers["Content-Type"] = "application/json";
      init.headers["X-Tansaku-CSRF"] = cookie("tansaku_csrf");
      init.body = JSON.stringify(options.body || {});
    }
    const response = await fetch(path, init);
    const text = await response.text();
    let data = null;
    try { data = JSON.parse(text); } catch (error) { data = { error: text }; }
    if (!response.ok) {
      throw new Error((data && data.error) || response.status + " " + response.statusText);
    }
    return data;
  }

  // el("td", {class: "num"}, "text", otherNode): children that are strings become text nodes.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "class") node.className = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function fmt(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "number") {
      if (Number.isInteger(value)) return String(value);
      const abs = Math.abs(value);
      return abs !== 0 && (abs < 1e-3 || abs >= 1e6) ? value.toExponential(4) : value.toPrecision(6).replace(/\.?0+$/, "");
    }
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  function fmtValues(values) {
    return values ? values.map(fmt).join(", ") : "";
  }

  function fmtTime(text) {
    return text ? text.replace("T", " ") : "";
  }

  function fmtDuration(seconds) {
    if (seconds === null || seconds === undefined) return "";
    if (seconds < 1) return (seconds * 1000).toFixed(0) + " ms";
    if (seconds < 120) return seconds.toFixed(1) + " s";
    return (seconds / 60).toFixed(1) + " min";
  }

  function showError(error) {
    const box = document.getElementById("error");
    if (!box) return;
    box.textContent = error ? String(error.message || error) : "";
    box.hidden = !error;
  }

  function replace(node, ...children) {
    node.replaceChildren(...children.map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
  }

  return { api, el, fmt, fmtValues, fmtTime, fmtDuration, showError, replace };
})();
