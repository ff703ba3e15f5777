// select2 (Django's autocomplete widget) names its combobox by the value chosen alone
// (aria-labelledby points at it), so an empty one has no name at all for a screen reader.
// Name each after its field's label as well: "Entity: —". Runs again as inline rows are
// added (the observer), and never twice on one box.
(function () {
  function name() {
    document.querySelectorAll(".select2-selection[role=combobox]").forEach(function (box) {
      if (box.dataset.named) return;
      var container = box.closest(".select2");
      var select = container && container.previousElementSibling;
      var label = select && select.id && document.querySelector('label[for="' + select.id + '"]');
      if (!label) return;
      label.id = label.id || select.id + "-label";
      var own = box.getAttribute("aria-labelledby") || "";
      box.setAttribute("aria-labelledby", (label.id + " " + own).trim());
      // The chosen value's own box (role=textbox) is named after the field too.
      var chosen = box.querySelector("[role=textbox]");
      if (chosen) chosen.setAttribute("aria-label", label.textContent.replace(/:\s*$/, ""));
      box.dataset.named = "1";
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    name();
    new MutationObserver(name).observe(document.body, { childList: true, subtree: true });
  });
})();
