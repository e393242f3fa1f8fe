/* Signpost builder: small progressive enhancements; every page works without them. */
(function () {
  'use strict';
  document.documentElement.classList.add('js');
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';

  function api(path) {
    return fetch(path, { headers: { Accept: 'application/json', 'X-CSRF-Token': csrf }, credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }

  /* Re-render one region ([data-refresh]) from a fresh copy of this page. */
  var refreshing = false, again = false;
  function refresh(region) {
    if (refreshing) { again = true; return; }  // one at a time; a job that ends meanwhile refreshes after
    refreshing = true;
    fetch(location.pathname + location.search, { credentials: 'same-origin' })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var fresh = region.id && doc.getElementById(region.id);
        if (fresh) { region.replaceWith(fresh); watch(fresh); }
      })
      .catch(function () { /* keep the current view; the next change retries */ })
      .then(function () {
        refreshing = false;
        var current = again && document.getElementById(region.id);
        again = false;
        if (current) refresh(current);
      });
  }

  /* Live job progress: rows with data-job poll GET /api/v1/jobs/{id}; rows with
     data-watch-source poll GET /api/v1/sources/{id}; the region refreshes when done. */
  function watch(scope) {
    scope.querySelectorAll('[data-job]').forEach(function (row) {
      var region = row.closest('[data-refresh]');
      var bar = row.querySelector('.progress'), text = row.querySelector('[data-progress-text]');
      var badge = row.querySelector('[data-status] .badge');
      (function tick() {
        if (!row.isConnected) return;  // replaced by a refresh, which watches its own rows
        api('/api/v1/jobs/' + row.getAttribute('data-job')).then(function (job) {
          var done = job.progress.done, total = job.progress.total;
          if (badge) { badge.textContent = job.status; badge.className = 'badge ' + job.status; }
          if (bar && total) {
            bar.classList.remove('indeterminate');
            bar.setAttribute('aria-valuemax', total);
            bar.setAttribute('aria-valuenow', done);
            bar.firstElementChild.style.width = Math.round(100 * done / total) + '%';
          }
          if (text) text.textContent = total ? done + ' of ' + total : 'starting…';
          if (job.status === 'succeeded' || job.status === 'failed') { if (region) refresh(region); }
          else setTimeout(tick, 800);
        }).catch(function () { setTimeout(tick, 3000); });
      })();
    });
    scope.querySelectorAll('[data-watch-source]').forEach(function (row) {
      var region = row.closest('[data-refresh]');
      (function tick() {
        if (!row.isConnected) return;
        api('/api/v1/sources/' + row.getAttribute('data-watch-source')).then(function (s) {
          if (s.status === 'ready' || s.status === 'failed') { if (region) refresh(region); }
          else setTimeout(tick, 1500);
        }).catch(function () { setTimeout(tick, 4000); });
      })();
    });
  }

  /* Segmented tabs: [data-tabs] buttons show one [data-panel] form at a time. */
  function tabs() {
    document.querySelectorAll('[data-tabs]').forEach(function (list) {
      var buttons = Array.prototype.slice.call(list.querySelectorAll('[data-tab]'));
      var panels = document.querySelectorAll('[data-panel]');
      function show(name, focus) {
        buttons.forEach(function (b) {
          var on = b.getAttribute('data-tab') === name;
          b.setAttribute('aria-selected', on ? 'true' : 'false');
          b.tabIndex = on ? 0 : -1;
          if (on && focus) b.focus();
        });
        panels.forEach(function (p) { p.hidden = p.getAttribute('data-panel') !== name; });
      }
      buttons.forEach(function (b, i) {
        b.addEventListener('click', function () { show(b.getAttribute('data-tab')); });
        b.addEventListener('keydown', function (e) {
          var step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
          if (step) show(buttons[(i + step + buttons.length) % buttons.length].getAttribute('data-tab'), true);
        });
      });
      var wanted = (location.hash.match(/^#add-(.+)$/) || [])[1];
      show(buttons.some(function (b) { return b.getAttribute('data-tab') === wanted; }) ? wanted : buttons[0].getAttribute('data-tab'));
    });
  }

  document.addEventListener('submit', function (e) {
    var form = e.target;
    var question = form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) { e.preventDefault(); return; }
    var busy = form.getAttribute('data-busy');
    var button = form.querySelector('button[type="submit"]');
    if (button) {
      // Disable after the submit event, so the button's value is still sent.
      setTimeout(function () {
        button.disabled = true;
        button.setAttribute('aria-busy', 'true');
        if (busy) button.textContent = busy;
      }, 0);
    }
  });

  document.addEventListener('click', function (e) {
    var copy = e.target.closest('[data-copy]');
    if (!copy) return;
    var source = document.querySelector(copy.getAttribute('data-copy'));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.value || source.textContent).then(function () {
      var label = copy.textContent;
      copy.textContent = 'Copied';
      setTimeout(function () { copy.textContent = label; }, 1500);
    });
  });

  /* The colour picker mirrors into the text field the form submits, and back. */
  function colours() {
    document.querySelectorAll('input[type="color"][data-sync]').forEach(function (picker) {
      var text = document.querySelector(picker.getAttribute('data-sync'));
      if (!text) return;
      picker.addEventListener('input', function () { text.value = picker.value; });
      text.addEventListener('input', function () {
        if (/^#[0-9a-f]{6}$/i.test(text.value)) picker.value = text.value;
      });
    });
  }

  function start() { tabs(); colours(); watch(document); }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
