// OpenIAD web page: the little script the pages need. No inline script
// anywhere (Content-Security-Policy default-src 'self').
//
// An element with data-refresh="URL" has its content replaced every
// data-every seconds (default 5) by the HTML that URL returns: the server
// renders the same part of the page, already translated and escaped.
'use strict';
(function () {
  function refresh(el) {
    var every = (parseInt(el.getAttribute('data-every'), 10) || 5) * 1000;
    var url = el.getAttribute('data-refresh');
    var busy = false;
    setInterval(function () {
      if (busy || document.hidden) {
        return;
      }
      busy = true;
      fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'text/html' }, redirect: 'manual' })
        .then(function (r) {
          if (r.type === 'opaqueredirect' || r.status === 401 || r.status === 403) {
            window.location.reload(); // logged out or must change the password
            return null;
          }
          return r.ok ? r.text() : null;
        })
        .then(function (html) {
          if (html !== null) {
            el.innerHTML = html;
            el.setAttribute('data-refreshed', String(Date.now()));
          }
        })
        .catch(function () {})
        .then(function () { busy = false; });
    }, every);
  }
  document.addEventListener('DOMContentLoaded', function () {
    var els = document.querySelectorAll('[data-refresh]');
    for (var i = 0; i < els.length; i++) {
      refresh(els[i]);
    }
  });
})();
