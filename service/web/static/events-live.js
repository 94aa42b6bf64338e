// Live feed of the Events page: appends each server-sent event as a row at the top of the table.
// Paused, rows are buffered and shown when the feed resumes. Text only (textContent), never HTML.
(function () {
  "use strict";
  var table = document.querySelector("table[data-live-url]");
  if (!table || !window.EventSource) { return; }
  var body = document.getElementById("event-rows");
  var toggle = document.getElementById("live-toggle");
  var state = document.getElementById("live-state");
  var paused = false;
  var buffer = [];
  var MAX_ROWS = 500;

  function cell(row, text) {
    var td = document.createElement("td");
    if (text !== null && text !== undefined) { td.textContent = String(text); }
    row.appendChild(td);
    return td;
  }

  // The same element the page renders; localize.js formats it (the server's text is the fallback).
  function moment(ev) {
    var time = document.createElement("time");
    time.dateTime = ev.at;
    time.dataset.precision = "seconds";
    time.textContent = ev.at_local;
    return time;
  }

  function localize(node) {
    if (window.MHC) { window.MHC.localize(node); }
  }

  // The status line's "last event" follows the feed, whether or not the rows are paused.
  function noteLastEvent(ev) {
    var last = document.querySelector("[data-testid=last-event]");
    if (!last) { return; }
    last.textContent = "";
    last.appendChild(moment(ev));
    localize(last);
  }

  function render(ev) {
    var tr = document.createElement("tr");
    tr.dataset.id = ev.id;
    tr.className = "ev-" + ev.method + " fresh";
    cell(tr, null).appendChild(moment(ev));
    cell(tr, ev.label);
    var who = cell(tr, null);
    if (ev.profile_url) {
      var link = document.createElement("a");
      link.href = ev.profile_url;
      link.textContent = ev.shown_name;
      who.appendChild(link);
    } else {
      who.textContent = ev.shown_name;
    }
    var tokens = cell(tr, null);
    if (ev.tokens) {
      var figure = document.createElement("data");
      figure.className = "num";
      figure.value = String(ev.tokens);
      figure.textContent = String(ev.tokens);
      tokens.appendChild(figure);
    }
    cell(tr, ev.message);
    localize(tr);
    return tr;
  }

  function show(ev) {
    var empty = body.querySelector("tr.empty");
    if (empty) { empty.remove(); }
    body.insertBefore(render(ev), body.firstChild);
    while (body.rows.length > MAX_ROWS) { body.deleteRow(body.rows.length - 1); }
  }

  function describe() {
    if (!state) { return; }
    state.textContent = paused
      ? "Paused: " + buffer.length + " new event(s) waiting."
      : "Live: new events appear at the top.";
  }

  var source = new EventSource(table.dataset.liveUrl);
  source.addEventListener("room-event", function (message) {
    var ev = JSON.parse(message.data);
    noteLastEvent(ev);
    if (paused) { buffer.push(ev); describe(); } else { show(ev); }
  });
  source.onerror = function () { if (state) { state.textContent = "Live feed reconnecting…"; } };
  source.onopen = describe;

  if (toggle) {
    toggle.addEventListener("click", function () {
      paused = !paused;
      toggle.textContent = paused ? "Resume" : "Pause";
      if (!paused) { buffer.forEach(show); buffer = []; }
      describe();
    });
  }
}());
