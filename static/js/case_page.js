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

// Saved replies: choosing one puts its text (in the client's language, the case's values filled
// in by the server) into the reply; text already typed is kept, the saved reply added after it.
document.addEventListener("change", (event) => {
  const select = event.target;
  if (!select.matches("[data-saved-reply]")) {
    return;
  }
  const option = select.selectedOptions[0];
  const body = select.form && select.form.querySelector("textarea[name$=body]");
  if (!option || !option.value || !body) {
    return;
  }
  const text = option.dataset.body || "";
  body.value = body.value.trim() ? body.value.replace(/\s*$/, "") + "\n\n" + text : text;
  body.focus();
  select.value = "";
});

// The timeline opens at its newest entry (the bottom of its box); a refresh keeps a reader who
// was at the newest there, and leaves one reading older entries where they are.
function timelineBox() {
  return document.querySelector("#case-timeline .case-timeline");
}
function showNewest() {
  const box = timelineBox();
  if (box) {
    box.scrollTop = box.scrollHeight;
  }
}
let readingNewest = true;
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.target && event.detail.target.id === "case-timeline") {
    const box = timelineBox();
    readingNewest = !box || box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  }
});
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail.target && event.detail.target.id === "case-timeline" && readingNewest) {
    showNewest();
  }
});
showNewest();
