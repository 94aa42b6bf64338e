// Person images load from the local store (/images/<sha256>); when that copy is missing the
// remote URL in data-fallback is tried once. An external file because the CSP forbids inline JS.
(function () {
  "use strict";
  function fallBack(img) {
    var remote = img.getAttribute("data-fallback");
    if (remote && img.getAttribute("src") !== remote) {
      img.setAttribute("src", remote);
    } else {
      img.classList.add("broken");
    }
  }
  function watch(img) {
    img.addEventListener("error", function () { fallBack(img); });
    // The error may have fired before this deferred script ran.
    if (img.complete && img.naturalWidth === 0 && img.getAttribute("src")) {
      fallBack(img);
    }
  }
  document.querySelectorAll("img[data-fallback]").forEach(watch);
})();
