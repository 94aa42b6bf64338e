// Alerts as they are raised, on every panel page: a toast (title, body, link) and the bell's count.
// The bell's data-live-url starts after the newest alert the page knew; EventSource resumes from the
// last one it got (Last-Event-ID) when the connection drops. Text only (textContent), never HTML.
(function () {
  "use strict";
  var bell = document.querySelector("a.bell[data-live-url]");
  var box = document.getElementById("toasts");
  if (!bell || !box || !window.EventSource) { return; }
  var count = bell.querySelector(".bell-count");
  var MAX_TOASTS = 4;
  var SHOWN_MS = 20000;
  var CAP = 99;

  function bump() {
    if (!count) { return; }
    var unread = Number(count.dataset.count || "0") + 1;
    count.dataset.count = String(unread);
    count.textContent = unread > CAP ? CAP + "+" : String(unread);
    count.hidden = false;
    bell.setAttribute("aria-label", "Alerts: " + count.textContent + " unread");
  }

  function dismiss(toast) {
    if (toast.parentNode) { toast.parentNode.removeChild(toast); }
  }

  function toast(alert) {
    var node = document.createElement("div");
    node.className = "toast";
    node.setAttribute("role", "status");
    node.dataset.alert = String(alert.id);
    var title = document.createElement("strong");
    title.textContent = alert.title;
    node.appendChild(title);
    if (alert.body) {
      var body = document.createElement("p");
      body.textContent = alert.body;
      node.appendChild(body);
    }
    var actions = document.createElement("div");
    actions.className = "toast-actions";
    if (alert.link) {
      var link = document.createElement("a");
      link.href = alert.link;
      link.textContent = alert.username ? "Open " + alert.username : "Open";
      actions.appendChild(link);
    }
    var all = document.createElement("a");
    all.href = "/alerts";
    all.textContent = "All alerts";
    actions.appendChild(all);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "link";
    close.textContent = "Dismiss";
    close.addEventListener("click", function () { dismiss(node); });
    actions.appendChild(close);
    node.appendChild(actions);
    box.appendChild(node);
    while (box.children.length > MAX_TOASTS) { dismiss(box.firstElementChild); }
    window.setTimeout(function () { dismiss(node); }, SHOWN_MS);
  }

  var source = new EventSource(bell.dataset.liveUrl);
  source.addEventListener("alert", function (message) {
    var alert = JSON.parse(message.data);
    if (!alert.read) { bump(); }
    // Raised in its rule's quiet hours: counted and listed, but it does not pop up.
    if (!alert.quiet) { toast(alert); }
  });
}());
