// Live countdowns to each deadline, report bars, and a periodic refresh of the lists.
// Everything it needs comes from data attributes: the pages allow no inline script (CSP).
(function () {
  const body = document.body.dataset;
  const overdue = body.overdue || "overdue";
  const days = body.days || "d";
  function fmt(ms) {
    let s = Math.floor(Math.abs(ms) / 1000);
    const d = Math.floor(s / 86400); s -= d * 86400;
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    const pad = (n) => String(n).padStart(2, "0");
    return (d ? d + days + " " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
  }
  function tick() {
    const now = Date.now();
    document.querySelectorAll(".countdown[data-deadline]").forEach((el) => {
      const left = Date.parse(el.dataset.deadline) - now;
      el.textContent = left < 0 ? overdue + " " + fmt(left) : fmt(left);
      el.classList.toggle("overdue", left < 0);
    });
  }
  document.querySelectorAll(".bar[data-share]").forEach((el) => {
    el.style.width = Math.round(Math.max(0, Math.min(1, Number(el.dataset.share))) * 200) + "px";
  });
  tick();
  setInterval(tick, 1000);
  const refresh = Number(body.refresh || 0);
  if (refresh > 0) {
    // Not while someone is typing into a form on the page.
    setTimeout(function reload() {
      const active = document.activeElement;
      if (active && ["INPUT", "TEXTAREA", "SELECT"].includes(active.tagName)) {
        setTimeout(reload, refresh * 1000);
      } else {
        window.location.reload();
      }
    }, refresh * 1000);
  }
})();
