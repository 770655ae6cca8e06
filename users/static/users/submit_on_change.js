// A control marked data-submit-on-change sends its form as soon as it changes (the merge
// preview's choice of primary account). A static file, so the Content-Security-Policy
// needs no inline script or handler.
document.addEventListener("change", (event) => {
  const control = event.target.closest("[data-submit-on-change]");
  if (control && control.form) {
    control.form.submit();
  }
});
