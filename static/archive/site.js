// The only script of the public pages, and optional: every page works without it.
// Panels marked data-open-wide (search filters, an article's entity list) are sent open,
// so they work without this script; on a phone, where they sit above the text, it folds
// them (a tap opens them), and a wider screen opens them again.
(function () {
  var wide = window.matchMedia("(min-width: 801px)");
  function place() {
    document.querySelectorAll("details[data-open-wide]").forEach(function (panel) {
      panel.open = wide.matches;
    });
  }
  place();
  wide.addEventListener("change", place);
})();
