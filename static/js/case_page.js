// Case page (console): when the version poll says the case changed (HX-Trigger: case-changed),
// htmx reloads the read-only parts by itself. The transition buttons carry comment fields, so
// they are reloaded only while no comment is being typed: nobody loses what they wrote.
document.body.addEventListener("case-changed", () => {
  const panel = document.getElementById("case-transitions");
  if (!panel || !window.htmx) {
    return;
  }
  const typing = Array.from(panel.querySelectorAll("textarea, input[type=text]")).some((field) => field.value.trim() !== "");
  if (!typing) {
    window.htmx.trigger(panel, "refresh");
  }
});
