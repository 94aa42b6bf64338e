// Shows times and numbers the way the reader's browser would: its time zone and its locale.
// The server renders a readable fallback (the machine's local time, "1,234"), so every page reads
// fine without this script; here each <time datetime> gets the browser's local time (seconds where
// the element asks for them) with the UTC time on hover, and each <data class="num"> the locale's
// digit grouping. Pages that add rows later (the Events live feed) call MHC.localize(row).
(function () {
  "use strict";
  var numbers = window.Intl ? new Intl.NumberFormat() : null;

  function pad(value) { return String(value).padStart(2, "0"); }

  function stamp(date, seconds) {
    var text = date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
      " " + pad(date.getHours()) + ":" + pad(date.getMinutes());
    return seconds ? text + ":" + pad(date.getSeconds()) : text;
  }

  function utc(date) {
    return date.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  }

  function localize(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (isNaN(date.getTime())) { return; }
      el.textContent = stamp(date, el.dataset.precision === "seconds");
      el.title = utc(date);
    });
    if (!numbers) { return; }
    root.querySelectorAll("data.num[value]").forEach(function (el) {
      var value = Number(el.value);
      if (isFinite(value)) { el.textContent = numbers.format(value); }
    });
  }

  window.MHC = window.MHC || {};
  window.MHC.localize = localize;
  localize(document);
}());
