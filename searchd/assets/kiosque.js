/* Kiosque: suggestions while the reader types, for searchd's page and for
 * search boxes embedded in other sites (see searchd/EMBED.md).  The forms
 * work without this script; it only fills a <datalist> from /api/suggest.
 *
 * It enhances every input named "q" inside a form with role="search" or the
 * attribute data-kiosque.  Requests go to the server the script was loaded
 * from, so an embedding site needs searchd started with --allow-origin. */
(function () {
  'use strict';
  var script = document.currentScript;
  var base = script && script.src ? new URL(script.src, document.baseURI).origin : '';
  var counter = 0;

  /* Lower case without accents, blanks made single spaces. */
  function fold(s) {
    var t = s.normalize ? s.normalize('NFD').replace(/[\u0300-\u036f]/g, '') : s;
    return t.toLowerCase().replace(/\s+/g, ' ').trim();
  }

  /* /api/suggest lists completions of what was typed, then headlines of
   * articles holding those words, and says which is which in `kinds`.  A
   * server without `kinds`: a headline has several words and does not
   * continue the typed text (completions keep it, accents aside). */
  function isHeadline(suggestion, typed, kind) {
    if (kind) return kind === 'headline';
    return /\s/.test(suggestion.trim()) && fold(suggestion).indexOf(fold(typed)) !== 0;
  }

  function enhance(input) {
    if (input.dataset.kiosqueReady) return;
    input.dataset.kiosqueReady = '1';
    var list = input.list;
    if (!list) {
      list = document.createElement('datalist');
      list.id = 'kiosque-suggestions-' + (++counter);
      input.parentNode.insertBefore(list, input.nextSibling);
      input.setAttribute('list', list.id);
    }
    input.setAttribute('autocomplete', 'off');
    var timer = 0;
    var pending = null;
    var lastAsked = '';

    function fill(words, kinds, typed) {
      while (list.firstChild) list.removeChild(list.firstChild);
      words.forEach(function (w, i) {
        var option = document.createElement('option');
        option.value = w; /* a property, never HTML: nothing to escape */
        if (isHeadline(w, typed, kinds[i])) {
          /* Shown beside the headline by the browser's list. */
          option.label = 'titre d\u2019article';
          option.className = 'suggest-headline';
          option.setAttribute('data-kind', 'headline');
        } else {
          option.setAttribute('data-kind', 'completion');
        }
        list.appendChild(option);
      });
    }

    function ask() {
      var q = input.value;
      if (q.trim().length < 2 || q === lastAsked) return;
      lastAsked = q;
      if (pending) pending.abort();
      pending = typeof AbortController === 'function' ? new AbortController() : null;
      fetch(base + '/api/suggest?limit=8&q=' + encodeURIComponent(q), {
        signal: pending ? pending.signal : undefined,
        credentials: 'omit'
      }).then(function (r) {
        return r.ok ? r.json() : { suggestions: [] };
      }).then(function (data) {
        if (input.value === q) fill(data.suggestions || [], data.kinds || [], q);
      }).catch(function () { /* suggestions are optional: stay silent */ });
    }

    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 120);
    });
  }

  function init() {
    var inputs = document.querySelectorAll('form[role="search"] input[name="q"], form[data-kiosque] input[name="q"]');
    Array.prototype.forEach.call(inputs, enhance);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
