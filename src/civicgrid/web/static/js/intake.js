// Intake form: a click on a classification suggestion fills the category select.
document.addEventListener("click", function (evt) {
  var button = evt.target.closest("[data-set-category]");
  if (!button) return;
  var select = document.getElementById("category");
  if (select) select.value = button.getAttribute("data-set-category");
});
