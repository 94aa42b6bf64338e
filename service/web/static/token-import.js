// Admin › Import: uploads the token history with XMLHttpRequest (its upload events drive the bar),
// then polls the import's JSON for the rows read until it is done or refused. Text only, never HTML.
(function () {
  "use strict";
  var form = document.getElementById("import-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  var box = document.getElementById("import-progress");
  var phase = document.getElementById("import-phase");
  var bar = document.getElementById("import-bar");
  var errorBox = document.getElementById("import-error");
  var button = form.querySelector("button[type=submit]");
  var POLL_MS = 500;

  function show(text, percent) {
    box.hidden = false;
    phase.textContent = text;
    if (percent === null) { bar.removeAttribute("value"); } else { bar.value = Math.max(0, Math.min(100, percent)); }
  }

  function fail(text) {
    box.hidden = true;
    errorBox.hidden = false;
    errorBox.textContent = text;
    button.disabled = false;
  }

  function number(n) { return Number(n).toLocaleString(); }

  function poll(url, lines) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.responseType = "json";
    xhr.onload = function () {
      var body = xhr.response;
      if (xhr.status !== 200 || !body || !body.ok) { fail((body && body.error) || "The import's progress could not be read."); return; }
      var item = body.import;
      if (item.status === "failed") { fail("The file was not imported: " + item.error); return; }
      if (item.status === "done") {
        show("Done: " + number(item.rows_read) + " rows read, " + number(item.rows_added) + " added, " +
             number(item.rows_known) + " already known, " + number(item.rows_matched) + " matched to room events, " +
             number(item.rows_not_spending) + " not spending.", 100);
        window.setTimeout(function () { window.location.reload(); }, 1500);
        return;
      }
      var total = Math.max(lines - 1, 1);
      if (item.rows_read >= total) {
        show("Adding " + number(item.rows_read) + " rows to the fans' figures…", null);
      } else {
        show("Reading rows: " + number(item.rows_read) + " of about " + number(total) + "…", 100 * item.rows_read / total);
      }
      window.setTimeout(function () { poll(url, lines); }, POLL_MS);
    };
    xhr.onerror = function () { fail("The panel could not be reached; the import may still be running. Reload to see it."); };
    xhr.send();
  }

  form.addEventListener("submit", function (event) {
    var input = form.querySelector("input[type=file]");
    if (!input.files || !input.files.length) { return; }
    event.preventDefault();
    var file = input.files[0];
    var limit = Number(form.dataset.limit);
    errorBox.hidden = true;
    if (limit && file.size > limit) { fail("The file is larger than the upload limit (" + Math.floor(limit / 1048576) + " MiB)."); return; }
    var data = new FormData();
    data.append("file", file);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/admin/import.json");
    xhr.responseType = "json";
    xhr.setRequestHeader("X-CSRF-Token", form.querySelector("input[name=csrf_token]").value);
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { show("Uploading " + file.name + "…", 100 * e.loaded / e.total); }
    };
    xhr.onload = function () {
      var body = xhr.response;
      if (xhr.status !== 200 || !body || !body.ok) { fail((body && body.error) || "The upload was refused (" + xhr.status + ")."); return; }
      show("Reading rows…", 0);
      poll(body.status_url, body.lines);
    };
    xhr.onerror = function () { fail("The upload did not reach the panel; try again."); };
    button.disabled = true;
    show("Uploading " + file.name + "…", 0);
    xhr.send(data);
  });
}());
