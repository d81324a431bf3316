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
