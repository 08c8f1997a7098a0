// Live countdowns to each deadline, and a periodic refresh of the floor page.
(function () {
  function fmt(ms) {
    const sign = ms < 0 ? "-" : "";
    let s = Math.floor(Math.abs(ms) / 1000);
    const d = Math.floor(s / 86400); s -= d * 86400;
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    const pad = (n) => String(n).padStart(2, "0");
    return sign + (d ? d + "d " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
  }
  function tick() {
    const now = Date.now();
    document.querySelectorAll(".countdown[data-deadline]").forEach((el) => {
      const left = Date.parse(el.dataset.deadline) - now;
      el.textContent = left < 0 ? "overdue " + fmt(left).slice(1) : fmt(left);
      el.classList.toggle("overdue", left < 0);
    });
  }
  tick();
  setInterval(tick, 1000);
  if (window.caseflowRefresh) {
    setTimeout(() => window.location.reload(), window.caseflowRefresh * 1000);
  }
})();
