// audit report: the page's only script (allowed by hash in the Content-Security-Policy).
// The report reads fully without it; it adds sortable tables, the threshold explorer, and opens every
// <details> before printing. Data comes from the JSON island via JSON.parse and is inserted with
// textContent only: nothing from the data is ever parsed as HTML.
(function () {
  "use strict";

  function sortKey(cell) {
    var raw = cell.getAttribute("data-sort");
    if (raw === null) { return { num: false, value: cell.textContent }; }
    var n = Number(raw);
    if (raw !== "" && isFinite(n)) { return { num: true, value: n }; }
    return { num: false, value: raw };
  }

  function compare(a, b) {
    if (a.num && b.num) { return a.value - b.value; }
    if (a.num !== b.num) { return a.num ? -1 : 1; }
    return a.value < b.value ? -1 : (a.value > b.value ? 1 : 0);
  }

  function makeSortable(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, col) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var c = compare(sortKey(r1.cells[col]), sortKey(r2.cells[col]));
          return ascending ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  function pct(x) {
    if (typeof x !== "number" || !isFinite(x)) { return "\u2014"; }
    var v = 100 * x;
    return v.toFixed(v > 0 && v < 1 ? 2 : 1) + "%";
  }

  function ratio(x) {
    return (typeof x === "number" && isFinite(x)) ? x.toFixed(2) : "\u2014";
  }

  function explorer(box, sweep) {
    var input = box.querySelector("input[type=range]");
    var output = box.querySelector("output");
    var body = box.querySelector("tbody");
    input.max = String(sweep.thresholds.length - 1);
    input.value = String(sweep.start);
    function draw() {
      var j = Number(input.value);
      output.textContent = String(sweep.thresholds[j]);
      while (body.firstChild) { body.removeChild(body.firstChild); }
      sweep.groups.forEach(function (g) {
        var tr = document.createElement("tr");
        var th = document.createElement("th");
        th.scope = "row";
        th.textContent = g.label;
        tr.appendChild(th);
        sweep.metrics.forEach(function (m, k) {
          var td = document.createElement("td");
          td.className = "num";
          td.textContent = sweep.formats[k] === "ratio" ? ratio(g[m][j]) : pct(g[m][j]);
          tr.appendChild(td);
        });
        body.appendChild(tr);
      });
    }
    input.addEventListener("input", draw);
    draw();
    box.hidden = false;
  }

  var island = document.getElementById("report-data");
  var data = island ? JSON.parse(island.textContent) : { sweeps: [] };
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), makeSortable);
  Array.prototype.forEach.call(document.querySelectorAll("[data-sweep]"), function (box) {
    var sweep = data.sweeps[Number(box.getAttribute("data-sweep"))];
    if (sweep) { explorer(box, sweep); }
  });

  var reopened = [];
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details:not([open])"), function (d) {
      d.open = true;
      reopened.push(d);
    });
  });
  window.addEventListener("afterprint", function () {
    reopened.forEach(function (d) { d.open = false; });
    reopened = [];
  });
}());
