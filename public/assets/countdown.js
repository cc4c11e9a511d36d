/**
 * The claim page's live countdown: every second, `[data-testid=countdown]` shows the time left
 * until its `data-deadline` (ISO 8601), in the same words the server wrote it in.
 */
(function () {
  'use strict';
  function timeLeft(deadlineMs, nowMs) {
    var s = Math.floor((deadlineMs - nowMs) / 1000);
    if (s <= 0) return 'expired';
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    var sec = s % 60;
    if (h > 0) return h + ' h ' + String(m).padStart(2, '0') + ' min left';
    if (m > 0) return m + ' min ' + String(sec).padStart(2, '0') + ' s left';
    return sec + ' s left';
  }
  if (typeof module === 'object' && module.exports) module.exports = { timeLeft: timeLeft };
  if (typeof document === 'undefined') return;
  var el = document.querySelector('[data-testid=countdown]');
  var deadline = el && Date.parse(el.getAttribute('data-deadline') || '');
  if (!el || !deadline) return;
  var tick = function () {
    var text = timeLeft(deadline, Date.now());
    if (el.textContent !== text) el.textContent = text;
    if (text === 'expired') clearInterval(timer);
  };
  var timer = setInterval(tick, 1000);
  tick();
})();
