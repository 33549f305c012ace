#include "reports/html_assets.hpp"

namespace fsrace::reports {

const char* const kHtmlStyle = R"CSS(
:root { --fg: #1d2330; --muted: #5b6474; --line: #d9dee7; --bg: #f6f7f9; --card: #fff;
  --pass: #1f7a3d; --pass-bg: #e3f4e8; --fail: #b42318; --fail-bg: #fde8e6; --error: #8a2be2; --error-bg: #f1e6fd;
  --found: #b45309; --found-bg: #fdf0dc; --clean: #1f7a3d; --clean-bg: #e3f4e8;
  --t0: #2563eb; --t1: #d97706; --t2: #059669; --t3: #9333ea; --t4: #db2777; --t5: #0891b2; --t6: #65a30d; --t7: #78716c; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--fg); background: var(--bg); }
header { background: #1d2330; color: #fff; padding: 18px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; font-weight: 600; }
header .sources { margin: 0; color: #aeb6c4; font-size: 12px; }
header .interrupted { margin: 8px 0 0; color: #fecaca; font-weight: 600; }
header .totals { margin-top: 10px; display: flex; gap: 8px; flex-wrap: wrap; }
main { padding: 20px 32px 48px; max-width: 1500px; }
h2 { font-size: 18px; margin: 24px 0 10px; }
code, pre, .lanes td.step { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 10px; font-size: 12px; font-weight: 600; white-space: nowrap;
  background: #e5e8ee; color: var(--fg); }
.badge.pass, .badge.clean { background: var(--pass-bg); color: var(--pass); }
.badge.fail { background: var(--fail-bg); color: var(--fail); }
.badge.error { background: var(--error-bg); color: var(--error); }
.badge.found { background: var(--found-bg); color: var(--found); }
.controls { margin: 0 0 8px; color: var(--muted); font-size: 13px; }
table.summary { border-collapse: collapse; width: 100%; background: var(--card); border: 1px solid var(--line); }
table.summary th, table.summary td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
table.summary th { background: #eef1f5; font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
table.summary td.num { text-align: right; font-variant-numeric: tabular-nums; }
.file, .sub { color: var(--muted); font-size: 12px; }
table.summary .reason { color: var(--muted); font-size: 12px; margin-top: 3px; max-width: 46em; }
tr.hidden, section.hidden { display: none; }
a { color: #1d4ed8; text-decoration: none; } a:hover { text-decoration: underline; }
section.case { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 14px 18px; margin: 18px 0; }
section.case h3 { margin: 0 0 4px; font-size: 16px; }
section.case .reason { margin: 8px 0; }
article.violation { border-top: 1px solid var(--line); margin-top: 12px; padding-top: 12px; }
article.violation h4 { margin: 0 0 6px; font-size: 14px; }
article.violation h4 .kind { color: var(--fail); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 6px 0 10px; font-size: 13px; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
.cmd { display: flex; align-items: flex-start; gap: 8px; margin: 8px 0 12px; }
.cmd pre { flex: 1; margin: 0; padding: 8px 10px; background: #1d2330; color: #e6e9ef; border-radius: 4px; white-space: pre-wrap; word-break: break-all; }
button.copy { font: inherit; font-size: 12px; padding: 4px 10px; border: 1px solid var(--line); border-radius: 4px; background: #fff; cursor: pointer; }
.note { color: var(--muted); font-size: 12.5px; margin: 4px 0 8px; }
table.lanes { border-collapse: separate; border-spacing: 0; width: 100%; table-layout: fixed; margin: 6px 0 4px; }
.lanes-scroll { overflow-x: auto; }
table.lanes col.n { width: 4.2em; }
table.lanes th { position: sticky; top: 0; background: #fff; text-align: left; padding: 6px 8px; border-bottom: 2px solid var(--line); font-size: 13px; }
table.lanes th.lane { border-bottom-width: 3px; }
table.lanes td { padding: 2px 8px; vertical-align: top; border-left: 1px dashed #e3e7ee; }
table.lanes td.n { color: var(--muted); text-align: right; font-variant-numeric: tabular-nums; border-left: 0; font-size: 12px; padding-top: 4px; }
table.lanes tr.switch td { border-top: 1px solid #e3e7ee; }
table.lanes td.step { overflow-wrap: break-word; }
table.lanes td.step > .fn, table.lanes td.step > .args { line-height: 1.5; }
table.lanes td.step { background: #fbfcfd; box-shadow: inset 3px 0 0 var(--lane); }
table.lanes .fn { font-weight: 600; }
table.lanes .args { color: #374151; }
table.lanes .obj { color: #0b5cad; cursor: pointer; border-radius: 3px; }
table.lanes .nb { white-space: nowrap; }
table.lanes .obj:hover { background: #e5efff; }
table.lanes .obj.hl { background: #fde68a; color: #111; }
table.lanes tr.touch td.n { color: #111; font-weight: 600; }
table.lanes tr.violating td { background: var(--fail-bg); }
table.lanes tr.violating td.step { box-shadow: inset 3px 0 0 var(--fail); outline: 2px solid var(--fail); outline-offset: -2px; }
table.lanes tr.violating td.n { color: var(--fail); font-weight: 700; }
table.lanes tr.violating td.n::before { content: "\25B6\00a0"; }
table.lanes tr.folded td { color: var(--muted); font-style: italic; padding: 5px 8px; border-left: 0; background: repeating-linear-gradient(135deg, #f6f7f9, #f6f7f9 6px, #eef1f5 6px, #eef1f5 12px); }
table.lanes tr.folded td.n { font-style: normal; font-size: 11px; white-space: nowrap; }
table.lanes tr.preempt td { border-top: 2px solid #f59e0b; }
table.lanes .preempt-mark { color: #b45309; font: 600 11.5px system-ui, sans-serif; margin: 1px 0 2px; }
table.lanes .obj.finding-obj { background: #fee2e2; box-shadow: 0 0 0 1px var(--fail) inset; }
table.lanes tr.omitted td, table.lanes tr.fold td { color: var(--muted); font-style: italic; padding: 4px 8px; border-left: 0; }
table.lanes.collapsed tr.early { display: none; }
table.lanes tr.fold button { font: inherit; font-style: normal; font-size: 12px; margin-left: 8px; padding: 1px 8px; border: 1px solid var(--line); border-radius: 4px; background: #fff; cursor: pointer; }
.finding { margin-top: 4px; color: var(--fail); font-weight: 600; white-space: pre-wrap; font-family: system-ui, sans-serif; font-size: 12.5px; }
p.finding.after { margin: 8px 0; }
pre.diagram { background: #fff; border: 1px solid var(--line); padding: 10px; overflow-x: auto; }
details.text { margin: 6px 0 4px; } details.text summary { cursor: pointer; color: var(--muted); font-size: 12.5px; }
.t0 { --lane: var(--t0); } .t1 { --lane: var(--t1); } .t2 { --lane: var(--t2); } .t3 { --lane: var(--t3); }
.t4 { --lane: var(--t4); } .t5 { --lane: var(--t5); } .t6 { --lane: var(--t6); } .t7 { --lane: var(--t7); }
th.lane { color: var(--lane); border-bottom-color: var(--lane) !important; }
footer { color: var(--muted); font-size: 12px; padding: 0 32px 24px; }
)CSS";

const char* const kHtmlScript = R"JS(
(function () {
  "use strict";
  // Copy buttons next to every replay command.
  document.querySelectorAll(".cmd").forEach(function (box) {
    var code = box.querySelector("code");
    var button = document.createElement("button");
    button.className = "copy";
    button.type = "button";
    button.textContent = "copy";
    button.addEventListener("click", function () {
      var done = function () { button.textContent = "copied"; setTimeout(function () { button.textContent = "copy"; }, 1200); };
      if (navigator.clipboard) navigator.clipboard.writeText(code.textContent).then(done, function () {});
      else { var r = document.createRange(); r.selectNodeContents(code); getSelection().removeAllRanges(); getSelection().addRange(r); }
    });
    box.appendChild(button);
  });
  // "Only problems": hide the cases that went as expected (or were clean).
  var filter = document.getElementById("only-problems");
  var rows = document.querySelectorAll("tr.case");
  var count = document.getElementById("shown");
  function apply() {
    var shown = 0;
    rows.forEach(function (row) {
      var hide = filter.checked && !row.classList.contains("problem");
      row.classList.toggle("hidden", hide);
      var section = document.getElementById(row.dataset.section || "");
      if (section) section.classList.toggle("hidden", hide);
      if (!hide) shown++;
    });
    count.textContent = shown + " of " + rows.length + " case" + (rows.length === 1 ? "" : "s") + " shown";
  }
  if (filter) { filter.addEventListener("change", apply); apply(); }
  // Long executions: fold the rows before the last ones behind a row that shows them.
  document.querySelectorAll("table.lanes").forEach(function (table) {
    var early = table.querySelectorAll("tr.early");
    if (!early.length) return;
    table.classList.add("collapsed");
    var row = document.createElement("tr"), cell = document.createElement("td"), button = document.createElement("button");
    row.className = "fold";
    cell.colSpan = table.querySelector("thead tr").children.length;
    cell.textContent = "\u2026 " + early.length + " earlier step" + (early.length === 1 ? "" : "s") + " folded";
    button.type = "button";
    button.textContent = "show";
    button.addEventListener("click", function () {
      var folded = table.classList.toggle("collapsed");
      button.textContent = folded ? "show" : "fold";
    });
    cell.appendChild(button);
    row.appendChild(cell);
    early[0].parentNode.insertBefore(row, early[0]);
  });
  // The objects named in the finding are marked when the page opens.
  document.querySelectorAll("table.lanes[data-finding]").forEach(function (table) {
    var named = table.dataset.finding.split(" ");
    table.querySelectorAll(".obj").forEach(function (o) {
      if (named.indexOf(o.dataset.obj) >= 0) { o.classList.add("finding-obj"); o.closest("tr").classList.add("touch"); }
    });
  });
  // Clicking an object (a block group, bytenr, inode, lock) highlights every step of the table touching it.
  document.querySelectorAll("table.lanes").forEach(function (table) {
    table.addEventListener("click", function (event) {
      var target = event.target.closest(".obj");
      if (!target) return;
      var key = target.dataset.obj, on = !target.classList.contains("hl");
      table.querySelectorAll(".obj.hl").forEach(function (o) { o.classList.remove("hl"); });
      table.querySelectorAll("tr.touch").forEach(function (r) { r.classList.remove("touch"); });
      if (!on) return;
      table.querySelectorAll(".obj").forEach(function (o) {
        if (o.dataset.obj === key) { o.classList.add("hl"); o.closest("tr").classList.add("touch"); }
      });
    });
  });
  document.body.dataset.ready = "1";
})();
)JS";

}  // namespace fsrace::reports
