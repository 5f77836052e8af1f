// Small behaviours shared by every page. No inline scripts: the Content-Security-Policy forbids them.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target.matches("[data-autosubmit]")) {
    target.form.requestSubmit();
  }
});

// Countdowns: elements with data-deadline (ISO 8601) tick every second between server refreshes.
function formatRemaining(seconds) {
  const sign = seconds < 0 ? "-" : "";
  let s = Math.abs(Math.round(seconds));
  const days = Math.floor(s / 86400); s -= days * 86400;
  const hours = Math.floor(s / 3600); s -= hours * 3600;
  const minutes = Math.floor(s / 60);
  const text = (days ? days + "d " : "") + String(hours).padStart(2, "0") + ":" + String(minutes).padStart(2, "0");
  return sign + text;
}
function tickCountdowns() {
  const now = Date.now();
  document.querySelectorAll("[data-deadline][data-live]").forEach((el) => {
    const deadline = Date.parse(el.dataset.deadline);
    if (!Number.isNaN(deadline)) {
      el.textContent = formatRemaining((deadline - now) / 1000);
    }
  });
}
setInterval(tickCountdowns, 30000);

// The bell (templates/web/base.html) refreshes every minute, but not while its list is open:
// replacing it would close the list under the reader's pointer.
document.addEventListener("htmx:beforeRequest", (event) => {
  const slot = event.detail.elt;
  if (slot.classList && slot.classList.contains("bell-slot") && slot.querySelector("details[open]")) {
    event.preventDefault();
  }
});
