/**
 * "Verify my entry" (drops-lottery-v1, the README's section "The draw (drops-lottery-v1)"), in the
 * browser with WebCrypto: fetches this entry's ticket (GET /v1/drops/:dropId/entries/:entryId/ticket,
 * the receipt token from this page's path sent as `x-receipt-secret`, never in a query string),
 * then checks sha256(seed) == commitment, recomputes
 *   drawSeed = sha256(seed ":" entrantsDigest [":" beacon])
 *   key      = min over t < weight of sha256(drawSeed ":" dropId ":" entryId ":" t)
 * and compares both with what the server says. The same functions run under Node in the tests.
 */
(function () {
  'use strict';

  async function sha256Hex(text) {
    var digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
    return Array.from(new Uint8Array(digest), function (b) {
      return b.toString(16).padStart(2, '0');
    }).join('');
  }

  /** The entry's key: the smallest of its `weight` ticket keys (lowercase hex compares as a number). */
  async function entryKey(drawSeed, dropId, entryId, weight) {
    var best = '';
    for (var t = 0; t < weight; t++) {
      var key = await sha256Hex(drawSeed + ':' + dropId + ':' + entryId + ':' + t);
      if (best === '' || key < best) best = key;
    }
    return best;
  }

  /**
   * Checks a ticket (the JSON of the ticket route). Returns { state: 'pending' | 'verified' |
   * 'mismatch', problems: string[], key, drawSeed, position, entrants }.
   */
  async function checkTicket(ticket) {
    if (ticket.seed === null || ticket.seed === undefined) {
      return { state: 'pending', problems: [], key: null, drawSeed: null, position: null, entrants: null };
    }
    var problems = [];
    if ((await sha256Hex(ticket.seed)) !== ticket.commitment) problems.push('sha256(seed) is not the published commitment');
    var material = ticket.seed + ':' + ticket.entrantsDigest + (ticket.beacon === null ? '' : ':' + ticket.beacon);
    var drawSeed = await sha256Hex(material);
    if (drawSeed !== ticket.drawSeed) problems.push('the draw seed recomputed from the seed and the entrants digest is not the one the server used');
    var key = await entryKey(drawSeed, ticket.dropId, ticket.entryId, ticket.weight);
    if (key !== ticket.key) problems.push('your key recomputed here is not the key the server ranked you by');
    return {
      state: problems.length ? 'mismatch' : 'verified',
      problems: problems,
      key: key,
      drawSeed: drawSeed,
      position: ticket.position,
      entrants: ticket.entrants,
    };
  }

  if (typeof module === 'object' && module.exports) module.exports = { sha256Hex: sha256Hex, entryKey: entryKey, checkTicket: checkTicket };
  if (typeof document === 'undefined') return;

  var box = document.getElementById('verify');
  if (!box) return;
  var out = function (id, text) {
    var el = document.querySelector('[data-testid=' + id + ']');
    if (el) el.textContent = text;
  };
  var detail = document.getElementById('verify-detail');
  // /entrant/:dropId/:entryId/:token/verify: the token is read from the path this page was opened at.
  var parts = location.pathname.split('/');
  var token = decodeURIComponent(parts[4] || '');
  var dropId = box.getAttribute('data-drop-id');
  var entryId = box.getAttribute('data-entry-id');
  var url = '/v1/drops/' + encodeURIComponent(dropId) + '/entries/' + encodeURIComponent(entryId) + '/ticket';
  fetch(url, { headers: { 'x-receipt-secret': token }, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' })
    .then(function (res) {
      if (!res.ok) throw new Error('the server answered ' + res.status);
      return res.json();
    })
    .then(checkTicket)
    .then(function (r) {
      if (r.state === 'pending') {
        out('verify-result', 'pending: the draw has not happened yet');
        if (detail) detail.textContent = 'The seed is revealed at the draw. Until then, the commitment above is all there is to check: note it down.';
        return;
      }
      out('verify-result', r.state === 'verified' ? 'verified' : 'mismatch: ' + r.problems.join('; '));
      out('ticket-key', r.key);
      out('draw-position', r.position === null ? 'not ranked' : '#' + (r.position + 1) + ' of ' + r.entrants);
      if (detail) detail.textContent = 'Draw seed ' + r.drawSeed + '. The lower the key, the earlier the place: entries are ranked by key.';
    })
    .catch(function (err) {
      out('verify-result', 'error: could not check (' + err.message + ')');
    });
})();
