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

// A wide table scrolls sideways inside its .table-wrap, a long case timeline inside its own box. A box
// that does scroll takes the keyboard focus (tabindex 0) so that it can be scrolled with the arrow keys
// (WCAG 2.1.1); one that fits is no extra tab stop. A table with a caption makes its box a region named
// after it (without one, the box's section already names it: a second landmark of the same name would
// only repeat it). Checked on load, after every htmx swap and when the window is resized.
const SCROLL_BOXES = ".table-wrap, .case-timeline";
function markScrollBoxes() {
  document.querySelectorAll(SCROLL_BOXES).forEach((box) => {
    const scrolls = box.scrollWidth > box.clientWidth || box.scrollHeight > box.clientHeight;
    const marked = box.hasAttribute("data-scroll-focus");
    if (scrolls && !marked && !box.hasAttribute("tabindex")) {
      const table = box.tagName === "DIV" && !box.hasAttribute("aria-label") ? box.querySelector("table") : null;
      const name = table && table.caption ? table.caption.textContent.replace(/\s+/g, " ").trim() : "";
      box.setAttribute("tabindex", "0");
      box.setAttribute("data-scroll-focus", name ? "named" : "");
      if (name) {
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", name);
      }
    } else if (!scrolls && marked) {
      const named = box.getAttribute("data-scroll-focus") === "named";
      ["tabindex", "data-scroll-focus"].concat(named ? ["aria-label", "role"] : []).forEach((attribute) => {
        box.removeAttribute(attribute);
      });
    }
  });
}
document.addEventListener("DOMContentLoaded", markScrollBoxes);
window.addEventListener("load", markScrollBoxes);  // web fonts and images may widen a table after DOMContentLoaded
document.addEventListener("htmx:afterSettle", markScrollBoxes);
let scrollBoxTimer;
window.addEventListener("resize", () => {
  clearTimeout(scrollBoxTimer);
  scrollBoxTimer = setTimeout(markScrollBoxes, 200);
});
