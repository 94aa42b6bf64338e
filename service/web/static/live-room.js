// The live room: each server-sent "room" event carries the whole room; the page is redrawn from it,
// and the difference with the previous one shows arrivals, departures and new tips (marked fresh).
// Text only (textContent), never HTML. Times go through localize.js like every page.
(function () {
  "use strict";
  var root = document.querySelector("[data-testid=live-room]");
  if (!root || !window.EventSource) { return; }
  var MAX_MOVES = 40;
  var previous = null;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function time(text, seconds) {
    if (!text) { return el("span", null, "—"); }
    var node = el("time", null, text.slice(0, seconds ? 19 : 16).replace("T", " ") + " UTC");
    node.dateTime = text;
    node.dataset.precision = seconds ? "seconds" : "minutes";
    return node;
  }

  function num(value, className) {
    var node = el("data", "num" + (className ? " " + className : ""), value);
    node.value = String(value);
    return node;
  }

  function link(href, text) {
    var a = el("a", null, text);
    a.href = href;
    return a;
  }

  function show(testid, text) {
    var node = root.querySelector("[data-testid=" + testid + "]");
    node.textContent = text || "";
    node.hidden = !text;
  }

  function totals(room) {
    var box = root.querySelector("[data-testid=live-totals]");
    box.textContent = "";
    box.hidden = !room.broadcast;
    if (!room.broadcast) { return; }
    room.broadcast.totals.forEach(function (t) {
      var trend = "";
      if (t.average_so_far !== null) {
        trend = t.value > t.average_so_far * 1.1 ? " up" : (t.value < t.average_so_far * 0.9 ? " down" : "");
      }
      var div = el("div", "total" + trend);
      div.dataset.total = t.key;
      div.appendChild(el("span", "label", t.label));
      div.appendChild(num(t.value, "value"));
      var avg = el("span", "avg", t.average === null ? "no average yet" : "avg ");
      if (t.average !== null) {
        avg.appendChild(num(Math.round(t.average)));
        if (t.average_so_far !== null) {
          avg.appendChild(document.createTextNode(" · by now "));
          avg.appendChild(num(Math.round(t.average_so_far)));
        }
      }
      div.appendChild(avg);
      box.appendChild(div);
    });
  }

  function person(p, fresh) {
    var li = el("li", "person" + (fresh ? " fresh" : ""));
    li.dataset.username = p.username;
    var who = el("div", "who");
    who.appendChild(link(p.profile_url, p.username));
    if (p.tier) {
      who.appendChild(document.createTextNode(" "));
      var badge = el("span", "tier tier-" + p.tier.rank, p.tier.name);
      badge.dataset.tier = String(p.tier.rank);
      who.appendChild(badge);
    }
    if (p.follower) { who.appendChild(document.createTextNode(" ")); who.appendChild(el("span", "badge follow", "follower")); }
    if (p.fanclub) { who.appendChild(document.createTextNode(" ")); who.appendChild(el("span", "badge fanclub", "fan club")); }
    p.lists.forEach(function (c) {
      who.appendChild(document.createTextNode(" "));
      var chip = el("span", "chip" + (c.warning ? " warning" : ""), c.name);
      chip.dataset.list = c.builtin || String(c.id);
      who.appendChild(chip);
    });
    li.appendChild(who);
    var figs = el("div", "figs");
    var here = el("span", null, "this broadcast ");
    here.appendChild(num(p.broadcast_tokens));
    var life = el("span", null, "lifetime ");
    life.appendChild(num(p.lifetime_tokens));
    var entered = el("span", null, "entered ");
    entered.appendChild(time(p.entered_at, false));
    var last = el("span", null, "last visit ");
    last.appendChild(p.previous_visit ? time(p.previous_visit, false) : document.createTextNode("first time"));
    [here, life, entered, last].forEach(function (span) { figs.appendChild(span); });
    li.appendChild(figs);
    if (p.pinned_note) {
      var note = el("div", "pinned", p.pinned_note.length > 200 ? p.pinned_note.slice(0, 197) + "..." : p.pinned_note);
      note.dataset.testid = "pinned-note";
      li.appendChild(note);
    }
    return li;
  }

  function people(room, before) {
    var list = root.querySelector("[data-testid=present]");
    list.textContent = "";
    room.present.forEach(function (p) {
      list.appendChild(person(p, before !== null && !before.has(p.username)));
    });
    root.querySelector("[data-testid=present-count]").textContent = String(room.present.length);
    root.querySelector(".empty-room").hidden = room.present.length > 0 || !room.broadcast;
  }

  function tips(room, known) {
    var list = root.querySelector("[data-testid=tips]");
    list.textContent = "";
    room.tips.forEach(function (t) {
      var li = el("li", known !== null && !known.has(t.id) ? "fresh" : null);
      li.dataset.id = t.id;
      li.appendChild(num(t.tokens, "tokens"));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(t.anonymous ? el("span", "anon", "anonymous") : link(t.profile_url, t.username));
      li.appendChild(document.createTextNode(" "));
      var when = el("span", "when");
      when.appendChild(time(t.at, true));
      li.appendChild(when);
      if (t.message) { li.appendChild(el("div", "msg", t.message)); }
      list.appendChild(li);
    });
  }

  function move(text, className) {
    var list = root.querySelector("[data-testid=moves]");
    var li = el("li", className + " fresh", text + " ");
    li.appendChild(el("span", "when", new Date().toLocaleTimeString()));
    list.insertBefore(li, list.firstChild);
    while (list.children.length > MAX_MOVES) { list.removeChild(list.lastChild); }
  }

  function apply(room) {
    root.dataset.state = room.state;
    show("live-message", room.message);
    show("live-warning", room.warning);
    var before = previous ? new Set(previous.present.map(function (p) { return p.username; })) : null;
    var now = new Set(room.present.map(function (p) { return p.username; }));
    var knownTips = previous ? new Set(previous.tips.map(function (t) { return t.id; })) : null;
    totals(room);
    people(room, before);
    tips(room, knownTips);
    if (before) {
      room.present.forEach(function (p) { if (!before.has(p.username)) { move(p.username + " arrived", "arrived"); } });
      before.forEach(function (name) { if (!now.has(name)) { move(name + " left", "left"); } });
    }
    previous = room;
    if (window.MHC) { window.MHC.localize(root); }
  }

  var state = root.querySelector("[data-testid=live-state]");
  var source = new EventSource(root.dataset.streamUrl);
  source.addEventListener("room", function (message) {
    apply(JSON.parse(message.data));
    state.textContent = "Updates live.";
  });
  source.onerror = function () { state.textContent = "Reconnecting to the live feed…"; };
}());
