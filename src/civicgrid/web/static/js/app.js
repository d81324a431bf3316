// Small own scripts. htmx swaps 422 responses too, so forms re-render with their messages;
// other refusals (403, 409) are swapped when the server marks them as a form fragment.
document.addEventListener("htmx:beforeSwap", function (evt) {
  var xhr = evt.detail.xhr;
  if (xhr.status === 422 || (xhr.status >= 400 && xhr.getResponseHeader("X-Form-Fragment") === "1")) {
    evt.detail.shouldSwap = true;
    evt.detail.isError = false;
  }
});

// Buttons marked data-print print the page (the CSP allows no inline onclick handlers).
document.addEventListener("click", function (evt) {
  var target = evt.target instanceof Element ? evt.target.closest("[data-print]") : null;
  if (target) {
    evt.preventDefault();
    window.print();
  }
});

// One-time form tokens (web/shared/forms.py: submit_once): when a form is posted its token is
// remembered for this tab; when the page is shown again by Back or Forward (the browser may
// fetch it anew, with a fresh token), the remembered token is put back, so that submitting the
// same form again shows the first result instead of storing it twice.
(function () {
  var KEY = "civicgrid-form-token:";
  function store() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }
  function historyVisit() {
    var nav = window.performance && performance.getEntriesByType
      ? performance.getEntriesByType("navigation")[0] : null;
    return Boolean(nav && nav.type === "back_forward");
  }
  document.addEventListener("submit", function (evt) {
    var form = evt.target, s = store();
    var field = form.querySelector ? form.querySelector("input[name=form_token]") : null;
    if (field && s) s.setItem(KEY + form.getAttribute("action"), field.value);
  });
  window.addEventListener("pageshow", function (evt) {
    var s = store();
    if (!s || !(evt.persisted || historyVisit())) return;
    document.querySelectorAll("form").forEach(function (form) {
      var field = form.querySelector("input[name=form_token]");
      var kept = s.getItem(KEY + form.getAttribute("action"));
      if (field && kept) field.value = kept;
    });
  });
})();
