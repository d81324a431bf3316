// Small own scripts. htmx swaps 422 responses too, so forms re-render with their messages.
document.addEventListener("htmx:beforeSwap", function (evt) {
  if (evt.detail.xhr.status === 422) {
    evt.detail.shouldSwap = true;
    evt.detail.isError = false;
  }
});
