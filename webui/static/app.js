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
  // The live SIP trace: a button with data-trace="URL" of a Server-Sent
  // Events stream ("sip" events, JSON) fills the element data-target
  // names; texts come from the button's data- attributes (translated by
  // the server). At most 300 messages are kept on the page.
  function trace(btn) {
    var out = document.getElementById(btn.getAttribute('data-target'));
    var state = document.getElementById(btn.getAttribute('data-state'));
    var stop = document.getElementById('trace-stop');
    var clear = document.getElementById('trace-clear');
    var es = null;
    function set(on, text) {
      btn.disabled = on;
      stop.disabled = !on;
      state.textContent = text;
      out.setAttribute('data-tracing', on ? '1' : '0');
    }
    function end(text) {
      if (es) {
        es.close();
        es = null;
      }
      set(false, text);
    }
    btn.addEventListener('click', function () {
      if (es) {
        return;
      }
      es = new EventSource(btn.getAttribute('data-trace'));
      es.addEventListener('ready', function () { set(true, btn.getAttribute('data-running')); });
      es.addEventListener('end', function () { end(btn.getAttribute('data-ended')); });
      es.addEventListener('error', function () { end(btn.getAttribute('data-ended')); });
      es.addEventListener('sip', function (ev) {
        var m = JSON.parse(ev.data);
        var item = document.createElement('details');
        item.className = 'sip ' + (m.sent ? 'sent' : 'received');
        var sum = document.createElement('summary');
        var t = new Date(m.at);
        sum.textContent = t.toLocaleTimeString() + '.' + String(t.getMilliseconds()).padStart(3, '0') + ' ' +
          (m.sent ? '→ ' + btn.getAttribute('data-sent') : '← ' + btn.getAttribute('data-received')) + ' ' +
          m.remote + ' (' + m.bytes + ' B): ' + m.head;
        var pre = document.createElement('pre');
        pre.textContent = m.text;
        item.appendChild(sum);
        item.appendChild(pre);
        out.appendChild(item);
        while (out.childNodes.length > 300) {
          out.removeChild(out.firstChild);
        }
      });
    });
    stop.addEventListener('click', function () { end(btn.getAttribute('data-stopped')); });
    clear.addEventListener('click', function () { out.textContent = ''; });
  }
  // A form with data-busy="text" shows the text while it is submitted
  // (an upload or a capture takes a while).
  function busy(form) {
    form.addEventListener('submit', function () {
      var note = document.createElement('p');
      note.className = 'flash warn busy';
      note.setAttribute('role', 'status');
      note.textContent = form.getAttribute('data-busy');
      form.parentNode.insertBefore(note, form.nextSibling);
      // A download (capture) leaves the page as it is: take the note away
      // after a while; an upload replaces the page.
      setTimeout(function () { note.remove(); }, 130000);
    });
  }
  document.addEventListener('DOMContentLoaded', function () {
    var forms = document.querySelectorAll('form[data-busy]');
    for (var j = 0; j < forms.length; j++) {
      busy(forms[j]);
    }
    var els = document.querySelectorAll('[data-refresh]');
    for (var i = 0; i < els.length; i++) {
      refresh(els[i]);
    }
    var t = document.querySelector('[data-trace]');
    if (t) {
      trace(t);
    }
  });
})();
