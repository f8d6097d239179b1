// Small form behaviours without inline handlers (the Content-Security-Policy forbids those):
// <form data-confirm="Question?"> asks before submitting; <select data-autosubmit> submits its
// form when changed.
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
}, true);
document.addEventListener("change", function (event) {
  if (event.target.hasAttribute && event.target.hasAttribute("data-autosubmit") && event.target.form) {
    event.target.form.requestSubmit ? event.target.form.requestSubmit() : event.target.form.submit();
  }
});
