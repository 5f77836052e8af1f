// Small behaviours shared by every page. No inline scripts: the Content-Security-Policy forbids them.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target.matches("[data-autosubmit]")) {
    target.form.requestSubmit();
  }
});

// Wall-clock countdowns (a margin call's time left till its deadline): elements with data-deadline
// (ISO 8601) and data-live tick between server refreshes, written as the server writes them
// (servicedesk/formats.py countdown): "1 d 02:05", the part for the days from the translated
// format on the element or around it (data-days-format, "%(days)s d %(clock)s" in English,
// "%(days)s 天 %(clock)s" in Chinese); once the deadline has passed, "overdue by 00:05" from the
// element's data-overdue-format (and its "left:" label goes). SLA timers count business time,
// which stands still outside service hours: their figures carry no data-live and are only written
// by the server (the console's list is read again every 15 s, the case page's timers every minute).
function formatRemaining(seconds, daysFormat, overdueFormat) {
  let s = Math.abs(Math.round(seconds));
  const days = Math.floor(s / 86400); s -= days * 86400;
  const hours = Math.floor(s / 3600); s -= hours * 3600;
  const minutes = Math.floor(s / 60);
  const clock = String(hours).padStart(2, "0") + ":" + String(minutes).padStart(2, "0");
  const text = days ? daysFormat.replace("%(days)s", days).replace("%(clock)s", clock) : clock;
  // Overdue: the figure on one line, as the server writes it (formats.overdue).
  return seconds < 0 && overdueFormat ? overdueFormat.replace("%(time)s", text.replace(/ /g, "\u00a0")) : text;
}
function tickCountdowns() {
  const now = Date.now();
  document.querySelectorAll("[data-deadline][data-live]").forEach((el) => {
    const deadline = Date.parse(el.dataset.deadline);
    const format = el.closest("[data-days-format]");
    if (!Number.isNaN(deadline) && format && format.dataset.daysFormat) {
      const seconds = (deadline - now) / 1000;
      el.textContent = formatRemaining(seconds, format.dataset.daysFormat, el.dataset.overdueFormat);
      const label = el.parentElement.querySelector(".countdown-label");
      if (seconds < 0 && el.dataset.overdueFormat && label) {
        label.remove();
      }
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
