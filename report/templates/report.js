(function () {
  "use strict";
  var body = document.getElementById("rows");
  if (!body) { return; }
  var rows = Array.prototype.slice.call(body.querySelectorAll("tr.row"));
  rows.forEach(function (row) { row._detail = row.nextElementSibling; });
  var search = document.getElementById("q");
  var severity = document.getElementById("severity");
  var account = document.getElementById("account");
  var region = document.getElementById("region");
  var shown = document.getElementById("shown");
  var chips = Array.prototype.slice.call(document.querySelectorAll(".chip[data-status]"));
  var noMatch = document.getElementById("no-match");

  function toggle(row) {
    var open = row.getAttribute("aria-expanded") !== "true";
    row.setAttribute("aria-expanded", open ? "true" : "false");
    row._detail.hidden = !open;
  }
  rows.forEach(function (row) {
    row.addEventListener("click", function (e) {
      if (window.getSelection && String(window.getSelection()).length > 0) { return; }
      toggle(row);
    });
    row.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(row); }
    });
  });

  function apply() {
    var terms = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var statuses = {};
    chips.forEach(function (c) { statuses[c.dataset.status] = c.getAttribute("aria-pressed") === "true"; });
    var n = 0;
    rows.forEach(function (row) {
      var d = row.dataset;
      var ok = statuses[d.status] !== false &&
        (!severity.value || d.severity === severity.value) &&
        (!account.value || d.account === account.value) &&
        (!region.value || d.region === region.value);
      if (ok && terms.length) {
        var text = row._text || (row._text = (row.textContent + " " + row._detail.textContent).toLowerCase());
        for (var i = 0; i < terms.length && ok; i++) { ok = text.indexOf(terms[i]) >= 0; }
      }
      row.hidden = !ok;
      row._detail.hidden = !ok || row.getAttribute("aria-expanded") !== "true";
      if (ok) { n++; }
    });
    shown.textContent = "Showing " + n + " of " + rows.length;
    if (noMatch) { noMatch.hidden = n !== 0 || rows.length === 0; }
  }
  chips.forEach(function (c) {
    c.addEventListener("click", function () {
      c.setAttribute("aria-pressed", c.getAttribute("aria-pressed") === "true" ? "false" : "true");
      apply();
    });
  });
  [search, severity, account, region].forEach(function (el) { el.addEventListener("input", apply); });

  function place() {
    var frag = document.createDocumentFragment();
    rows.forEach(function (row) { frag.appendChild(row); frag.appendChild(row._detail); });
    body.appendChild(frag);
  }
  function byOrder(a, b) { return Number(a.dataset.order) - Number(b.dataset.order); }

  var headers = Array.prototype.slice.call(document.querySelectorAll("th[data-key]"));
  headers.forEach(function (th) {
    th.querySelector("button").addEventListener("click", function () {
      var key = th.dataset.key;
      var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      var numeric = th.dataset.numeric === "true";
      rows.sort(function (a, b) {
        var x = a.dataset[key] || "", y = b.dataset[key] || "";
        var c = numeric ? (Number(x) - Number(y)) : x.localeCompare(y);
        return c !== 0 ? c * dir : byOrder(a, b);
      });
      place();
    });
  });

  apply();
})();
