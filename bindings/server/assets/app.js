// fixbook agent page: paste a text, see the known problem, answer its questions.
//
// A client of the public JSON API only (POST /v1/diagnose, POST /v1/feedback, GET /v1/gaps),
// on this page's origin. The state (text and answered facts) lives in the URL fragment, so a
// link reproduces the diagnosis and the text is never sent in a request line or a Referer.
// Everything the user typed or the server answered is put in the page as text nodes
// (textContent), never parsed as HTML.
'use strict';

(() => {
  const DEBOUNCE_MS = 250;
  const KEY_STORE = 'fixbook.key';
  const $ = (id) => document.getElementById(id);

  const state = {
    text: '',
    facts: {}, // fact name -> value as answered (bool, number, string or list)
    order: [], // fact names in the order they were answered (for undo and the URL)
    skipped: new Set(),
    diagnosis: null,
    before: null, // the diagnosis before the last answer, to show what changed
    factError: '',
    seq: 0,
    controller: null,
    timer: 0,
    feedback: 'unknown', // 'yes' | 'no' | 'unknown': does the server keep outcomes?
    keyAsked: false,
    focusAfter: false,
  };

  // ---- small DOM helpers (text only) -------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      node.append(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return node;
  }

  const percent = (c) => `${Math.round((c || 0) * 100)} %`;
  const VERDICT_WORDS = { confirmed: 'confirmed', ruled_out: 'ruled out', unknown: 'unknown' };
  const verdictWord = (v) => VERDICT_WORDS[v] || String(v);

  // ---- URL state ---------------------------------------------------------------------------

  function encodeValue(v) {
    return Array.isArray(v) ? JSON.stringify(v) : String(v);
  }

  function decodeValue(s) {
    if (s.startsWith('[')) {
      try {
        const v = JSON.parse(s);
        if (Array.isArray(v)) return v.map(String);
      } catch (_) { /* a plain string that starts with [ */ }
    }
    return s;
  }

  function readUrl() {
    const params = new URLSearchParams(location.hash.slice(1));
    state.text = params.get('text') || '';
    state.facts = {};
    state.order = [];
    for (const [k, v] of params) {
      if (!k.startsWith('f.') || k.length < 3) continue;
      const name = k.slice(2);
      if (!(name in state.facts)) state.order.push(name);
      state.facts[name] = decodeValue(v);
    }
    state.skipped.clear();
    state.before = null;
  }

  function writeUrl() {
    const params = new URLSearchParams();
    if (state.text) params.set('text', state.text);
    for (const name of state.order) params.append(`f.${name}`, encodeValue(state.facts[name]));
    const hash = params.toString();
    history.replaceState(null, '', location.pathname + location.search + (hash ? `#${hash}` : ''));
  }

  // ---- the API -----------------------------------------------------------------------------

  async function api(method, path, body, signal) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const key = sessionStorage.getItem(KEY_STORE);
    if (key) headers.Authorization = `Bearer ${key}`;
    const resp = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: 'no-store',
      credentials: 'omit',
    });
    let json = null;
    try {
      json = await resp.json();
    } catch (_) { /* not JSON */ }
    return { status: resp.status, ok: resp.ok, json };
  }

  function errorText(r) {
    const e = r.json && r.json.error;
    return e && e.message ? e.message : `the server answered ${r.status}`;
  }

  function schedule() {
    clearTimeout(state.timer);
    state.timer = setTimeout(diagnose, DEBOUNCE_MS);
  }

  // Diagnoses the current text and facts; an answer that arrives after a newer request was
  // sent is dropped (and its request aborted), so results always show the latest text.
  async function diagnose() {
    clearTimeout(state.timer);
    const seq = ++state.seq;
    if (state.controller) state.controller.abort();
    writeUrl();
    if (!state.text.trim()) {
      state.controller = null;
      state.diagnosis = null;
      render();
      setStatus('Paste an error to start.', '');
      return;
    }
    const controller = new AbortController();
    state.controller = controller;
    $('results').setAttribute('aria-busy', 'true');
    let r;
    try {
      r = await api('POST', '/v1/diagnose', { text: state.text, facts: state.facts, trace: true }, controller.signal);
    } catch (e) {
      if (e.name === 'AbortError' || seq !== state.seq) return;
      $('results').removeAttribute('aria-busy');
      setStatus(`The server could not be reached (${e.message}).`, 'error');
      return;
    }
    if (seq !== state.seq) return;
    $('results').removeAttribute('aria-busy');
    if (r.status === 401) return needKey(errorText(r));
    if (r.status === 400 && r.json && r.json.error && r.json.error.fact in state.facts) {
      // an answer of the wrong type: take it back and say why at the question
      const name = r.json.error.fact;
      removeFact(name);
      state.factError = errorText(r);
      return diagnose();
    }
    if (!r.ok) return setStatus(errorText(r), 'error');
    state.diagnosis = r.json;
    render();
  }

  // ---- the API key -------------------------------------------------------------------------

  function needKey(message) {
    setStatus('This server needs an API key: press k to enter it.', 'error');
    if (!state.keyAsked) {
      state.keyAsked = true;
      openKeyDialog(message);
    }
  }

  function openKeyDialog(reason) {
    const dialog = $('key-dialog');
    $('key-reason').textContent = reason
      ? `The server said: ${reason.replace(/\.$/, '')}.`
      : 'Keys are needed when the server is configured with them.';
    $('key-input').value = sessionStorage.getItem(KEY_STORE) || '';
    if (!dialog.open) dialog.showModal();
    $('key-input').focus();
  }

  function onKeyDialogClose() {
    const how = $('key-dialog').returnValue;
    if (how === 'save' && $('key-input').value.trim()) {
      sessionStorage.setItem(KEY_STORE, $('key-input').value.trim());
    } else if (how === 'forget') {
      sessionStorage.removeItem(KEY_STORE);
    }
    $('key-input').value = '';
    $('text').focus();
    if (how !== 'save' && how !== 'forget') return; // cancelled: ask again only on k
    state.keyAsked = false;
    probeFeedback();
    diagnose();
  }

  // ---- outcomes ("Fixed it" / "Didn't help") -----------------------------------------------

  // The buttons appear only when the server keeps outcomes and the key may report them:
  // `GET /v1/gaps?limit=0` (same store, same `feedback` scope, reads nothing) answers 200
  // then, 409 without a store, 401/403 for a key without the scope. A POST /v1/feedback
  // that answers 403, 404, 405, 409, 501 or 503 hides them too.
  const NO_STORE = [403, 404, 405, 409, 501, 503];

  async function probeFeedback() {
    try {
      const r = await api('GET', '/v1/gaps?limit=0');
      state.feedback = r.ok ? 'yes' : 'no';
    } catch (_) {
      state.feedback = 'no';
    }
    renderActions();
  }

  async function sendFeedback(outcome) {
    const m = topMatch();
    if (!m) return;
    const r = await api('POST', '/v1/feedback', { entry: m.id, outcome, text: state.text });
    if (r.ok) {
      notice(outcome === 'resolved' ? 'Thanks: recorded as fixed.' : 'Thanks: recorded as not fixed.');
    } else if (NO_STORE.includes(r.status)) {
      state.feedback = 'no';
      renderActions();
      notice('This server keeps no outcomes.');
    } else if (r.status === 401) {
      openKeyDialog(errorText(r));
    } else {
      notice(`Not recorded: ${errorText(r)}.`);
    }
  }

  // ---- rendering ---------------------------------------------------------------------------

  function setStatus(text, kind) {
    const s = $('status');
    s.textContent = text;
    s.className = `status ${kind || ''}`;
  }

  function notice(text) {
    $('notice').textContent = text;
  }

  const topMatch = () => (state.diagnosis && state.diagnosis.matches && state.diagnosis.matches[0]) || null;

  function render() {
    const d = state.diagnosis;
    const matches = (d && d.matches) || [];
    const text = state.text;
    if (!d) {
      $('matches').replaceChildren();
      $('question').hidden = true;
      $('changes').hidden = true;
      renderMarked(text, null, null);
    } else if (matches.length === 0) {
      setStatus('No known problem matches this text.', 'none');
      $('matches').replaceChildren(
        el('p', { text: 'Try the exact error message, or add the product and what was being done.' }),
      );
      renderMarked(text, null, null);
    } else {
      const best = matches[0];
      const more = matches.length > 1 ? ` (and ${matches.length - 1} more)` : '';
      setStatus(`Best match: ${best.title}, confidence ${percent(best.confidence)}${more}.`, 'found');
      $('matches').replaceChildren(...matches.map((m, i) => renderMatch(m, i)));
      renderMarked(text, best, d.trace);
    }
    renderChanges();
    renderQuestion();
    renderFacts();
    renderActions();
    if (state.focusAfter) {
      state.focusAfter = false;
      focusAnswer();
    }
  }

  function renderMatch(m, index) {
    const body = [
      el('p', { class: 'id', text: m.id }),
      el('div', { class: 'confidence' },
        el('meter', { min: 0, max: 1, value: m.confidence, 'aria-label': `Confidence for ${m.title}` }),
        el('span', { class: 'confidence-value', text: `confidence ${percent(m.confidence)}` })),
    ];
    if (m.summary) body.push(el('p', { class: 'summary', text: m.summary }));
    const read = Object.entries((m.evidence && m.evidence.facts) || {});
    if (read.length) {
      body.push(el('p', { class: 'read' }, 'Read from the text: ',
        read.map(([k, v]) => `${k} = ${encodeValue(v)}`).join(', ')));
    }
    if (m.causes && m.causes.length) {
      body.push(el('h4', { class: 'small', text: 'Causes' }));
      body.push(el('ul', { class: 'causes' }, ...m.causes.map(renderCause)));
    }
    const steps = remedySteps(m);
    if (steps.length) {
      body.push(el('h4', { class: 'small', text: 'Remedy' }));
      body.push(el('ol', { class: 'remedy' }, ...steps.map((s) => el('li', { text: s }))));
    }
    if (m.where_to_look && m.where_to_look.length) {
      body.push(el('details', {},
        el('summary', { text: 'Where to look' }),
        el('ul', {}, ...m.where_to_look.map((w) => el('li', {}, el('strong', { text: w.place }),
          w.event ? ` (event ${w.event})` : '', w.hint ? `: ${w.hint}` : '')))));
    }
    const refs = (m.references || []).filter((r) => /^https?:\/\//i.test(r.url || ''));
    if (refs.length) {
      body.push(el('details', { class: 'refs' },
        el('summary', { text: 'References' }),
        el('ul', {}, ...refs.map((r) => el('li', {},
          el('a', { href: r.url, target: '_blank', rel: 'noopener noreferrer', text: r.title || r.url }))))));
    }
    if (index === 0) {
      return el('article', { class: 'match best', 'data-entry': m.id },
        el('h3', { text: m.title }), ...body);
    }
    return el('details', { class: 'match secondary', 'data-entry': m.id },
      el('summary', {}, el('strong', { text: m.title }), ` — confidence ${percent(m.confidence)}`), ...body);
  }

  function renderCause(c) {
    const why = c.verdict === 'unknown' && c.missing_facts && c.missing_facts.length
      ? `needs: ${c.missing_facts.join(', ')}`
      : c.explanation;
    return el('li', { 'data-cause': c.id, 'data-verdict': c.verdict },
      el('span', { class: `verdict ${c.verdict}`, text: verdictWord(c.verdict) }),
      el('span', { class: 'cause-title', text: c.title }),
      why ? el('span', { class: 'cause-why', text: why }) : null);
  }

  // The confirmed causes' own steps first, then the entry's.
  function remedySteps(m) {
    const steps = [];
    for (const c of m.causes || []) if (c.verdict === 'confirmed') steps.push(...(c.remedy || []));
    steps.push(...(m.remedy || []));
    return [...new Set(steps)];
  }

  // ---- what changed after an answer --------------------------------------------------------

  function changes(before, after) {
    const lines = [];
    const a = after && after.matches && after.matches[0];
    const b = before && before.matches && before.matches[0];
    if (b && !a) lines.push(`${b.title}: no longer matches`);
    if (a && b && a.id !== b.id) lines.push(`best match: ${b.title} → ${a.title}`);
    if (a) {
      const old = ((before && before.matches) || []).find((m) => m.id === a.id);
      if (!old) {
        lines.push(`${a.title}: now matches, confidence ${percent(a.confidence)}`);
      } else {
        if (percent(old.confidence) !== percent(a.confidence)) {
          lines.push(`confidence ${percent(old.confidence)} → ${percent(a.confidence)}`);
        }
        for (const c of a.causes || []) {
          const was = (old.causes || []).find((x) => x.id === c.id);
          if (was && was.verdict !== c.verdict) {
            lines.push(`${c.title}: ${verdictWord(was.verdict)} → ${verdictWord(c.verdict)}`);
          }
        }
      }
    }
    return lines;
  }

  function renderChanges() {
    const box = $('changes');
    if (!state.before || !state.diagnosis) {
      box.hidden = true;
      return;
    }
    const lines = changes(state.before, state.diagnosis);
    box.replaceChildren(
      el('strong', { text: 'What changed: ' }),
      lines.length ? el('ul', {}, ...lines.map((l) => el('li', { text: l }))) : 'nothing; the answer decided no cause.',
    );
    box.hidden = false;
  }

  // ---- questions ---------------------------------------------------------------------------

  function openQuestions() {
    const qs = (state.diagnosis && state.diagnosis.questions) || [];
    return qs.filter((q) => !(q.fact in state.facts));
  }

  function renderQuestion() {
    const box = $('question');
    const open = openQuestions();
    const pending = open.filter((q) => !state.skipped.has(q.fact));
    if (!topMatch() || open.length === 0) {
      box.hidden = true;
      box.replaceChildren();
      return;
    }
    if (pending.length === 0) {
      box.replaceChildren(
        el('p', { text: `${open.length} question(s) skipped.` }),
        el('button', { type: 'button', id: 'unskip', text: 'Ask them again', onclick: () => { state.skipped.clear(); render(); focusAnswer(); } }),
      );
      box.hidden = false;
      return;
    }
    const q = pending[0];
    const number = open.indexOf(q) + 1;
    const titleId = 'q-text';
    const parts = [
      el('p', { class: 'q-meta', text: `Question ${number} of ${open.length} (best first; decides ${q.decides} cause(s)) · fact ${q.fact}` }),
      el('p', { class: 'q-text', id: titleId, text: q.text }),
    ];
    if (state.factError) parts.push(el('p', { class: 'status error', role: 'alert', text: state.factError }));
    parts.push(answerControls(q, titleId));
    box.replaceChildren(...parts);
    box.dataset.fact = q.fact;
    box.hidden = false;
  }

  function answerControls(q, titleId) {
    const skip = el('button', { type: 'button', class: 'skip-q', text: 'Skip (s)', onclick: () => skipQuestion() });
    if (q.type === 'bool') {
      return el('div', { class: 'choices', role: 'group', 'aria-labelledby': titleId },
        el('button', { type: 'button', class: 'primary', 'data-value': 'true', 'aria-keyshortcut': 'y', text: 'Yes (y)', onclick: () => answer(q.fact, true) }),
        el('button', { type: 'button', class: 'primary', 'data-value': 'false', 'aria-keyshortcut': 'n', text: 'No (n)', onclick: () => answer(q.fact, false) }),
        skip);
    }
    if (q.choices && q.choices.length && q.type !== 'list') {
      return el('div', { class: 'choices', role: 'group', 'aria-labelledby': titleId },
        ...q.choices.map((c, i) => el('button', {
          type: 'button', class: 'primary', 'data-value': c,
          'aria-keyshortcut': i < 9 ? String(i + 1) : null,
          text: i < 9 ? `${c} (${i + 1})` : c,
          onclick: () => answer(q.fact, c),
        })),
        skip);
    }
    const input = el('input', {
      id: 'q-input', name: 'answer', 'aria-labelledby': titleId, autocomplete: 'off',
      type: q.type === 'int' || q.type === 'float' ? 'number' : 'text',
      step: q.type === 'int' ? '1' : q.type === 'float' ? 'any' : null,
      inputmode: q.type === 'int' ? 'numeric' : q.type === 'float' ? 'decimal' : null,
      placeholder: q.type === 'list' ? 'values, separated by commas' : q.type,
      required: true,
    });
    return el('form', {
      class: 'answer-form',
      onsubmit: (e) => {
        e.preventDefault();
        const raw = input.value.trim();
        if (!raw) return;
        if (q.type === 'list') answer(q.fact, raw.split(',').map((s) => s.trim()).filter(Boolean));
        else if (q.type === 'int' || q.type === 'float') answer(q.fact, Number(raw));
        else answer(q.fact, raw);
      },
    }, input, el('button', { type: 'submit', class: 'primary', text: 'Answer' }), skip);
  }

  function answer(fact, value) {
    state.before = state.diagnosis;
    state.factError = '';
    if (!(fact in state.facts)) state.order.push(fact);
    state.facts[fact] = value;
    state.focusAfter = true;
    diagnose();
  }

  function removeFact(name) {
    delete state.facts[name];
    state.order = state.order.filter((n) => n !== name);
  }

  function undo() {
    const last = state.order[state.order.length - 1];
    if (!last) return;
    state.before = state.diagnosis;
    removeFact(last);
    state.focusAfter = true;
    diagnose();
  }

  function skipQuestion() {
    const fact = $('question').dataset.fact;
    if (!fact || $('question').hidden) return;
    state.skipped.add(fact);
    renderQuestion();
    focusAnswer();
  }

  function renderFacts() {
    const list = $('facts');
    list.replaceChildren(...state.order.map((name) => el('li', { 'data-fact': name },
      `${name} = ${encodeValue(state.facts[name])} `,
      el('button', {
        type: 'button', 'aria-label': `Remove the answer ${name}`, text: '×',
        onclick: () => { state.before = state.diagnosis; removeFact(name); diagnose(); },
      }))));
    $('facts-wrap').hidden = state.order.length === 0;
  }

  function renderActions() {
    const has = Boolean(state.diagnosis && state.text.trim());
    $('actions').hidden = !has;
    $('feedback').hidden = !(has && topMatch() && state.feedback === 'yes');
  }

  function focusAnswer() {
    const first = $('question').hidden ? null : $('question').querySelector('button, input');
    (first || $('results')).focus();
  }

  // ---- highlighting ------------------------------------------------------------------------

  // The engine's normalisation (engine/src/matcher/normalize.rs), with for every normalised
  // UTF-16 unit the index of the original one, so signature spans map back onto the text.
  function normalizeWithMap(text) {
    const out = [];
    const map = [];
    let pending = -1;
    let i = 0;
    for (const ch of text) {
      const at = i;
      i += ch.length;
      let c = ch;
      if (/[\u2018\u2019\u201A\u201B\u2032\u00B4\u0060\uFF07]/.test(c)) c = "'";
      else if (/[\u201C\u201D\u201E\u201F\u2033\u00AB\u00BB\uFF02\u300C\u300D]/.test(c)) c = '"';
      else if (/[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]/.test(c)) c = '-';
      else if (c === '\u2026') c = '.';
      else if (/[\u200B\u200C\u200D\u2060\uFEFF\u00AD]/.test(c)) continue;
      else if (c === '\0' || /\s/u.test(c) || /\p{Cc}/u.test(c)) c = ' ';
      if (c === ' ') {
        if (out.length) pending = at;
        continue;
      }
      if (pending >= 0) {
        out.push(' ');
        map.push(pending);
        pending = -1;
      }
      for (let k = 0; k < c.length; k++) {
        out.push(c[k]);
        map.push(at + Math.min(k, ch.length - 1));
      }
    }
    map.push(text.length);
    return { text: out.join(''), map };
  }

  // The UTF-16 index of a UTF-8 byte offset in `s`.
  function byteToIndex(s, byte) {
    let bytes = 0;
    let i = 0;
    for (const ch of s) {
      if (bytes >= byte) return i;
      const cp = ch.codePointAt(0);
      bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      i += ch.length;
    }
    return i;
  }

  function signatureRanges(text, match, trace) {
    const ranges = [];
    const norm = normalizeWithMap(text);
    const exact = trace && trace.normalized === norm.text;
    for (const s of (match.evidence && match.evidence.signatures) || []) {
      let start = -1;
      let end = -1;
      if (exact && Array.isArray(s.span)) {
        start = norm.map[byteToIndex(norm.text, s.span[0])];
        const last = byteToIndex(norm.text, s.span[1]);
        end = last > 0 ? norm.map[last - 1] + 1 : start;
      } else if (s.text) {
        start = text.toLowerCase().indexOf(s.text.toLowerCase());
        end = start + s.text.length;
      }
      if (start >= 0 && end > start) ranges.push({ start, end, kind: 'sig', label: `signature ${s.id}` });
    }
    return ranges;
  }

  // Search terms are stems ("instanc", "ident"): a word is marked when it starts with one and
  // is at most a suffix longer.
  function termRanges(text, match) {
    const stems = ((match.evidence && match.evidence.terms) || [])
      .map((t) => t.toLowerCase())
      .filter((t) => t.length >= 2);
    const ranges = [];
    if (!stems.length) return ranges;
    for (const m of text.matchAll(/[\p{L}\p{N}_]+/gu)) {
      const w = m[0].toLowerCase();
      const hit = stems.find((st) => {
        const y = st.endsWith('i') ? `${st.slice(0, -1)}y` : null;
        return (w.startsWith(st) && w.length - st.length <= 5) || (y && w.startsWith(y) && w.length - y.length <= 4);
      });
      if (hit) ranges.push({ start: m.index, end: m.index + m[0].length, kind: 'term', label: `term ${hit}` });
    }
    return ranges;
  }

  function renderMarked(text, match, trace) {
    const wrap = $('marked-wrap');
    const box = $('marked');
    if (!match) {
      wrap.hidden = true;
      box.replaceChildren();
      return;
    }
    const sigs = signatureRanges(text, match, trace);
    const terms = termRanges(text, match).filter((t) => !sigs.some((s) => t.start < s.end && s.start < t.end));
    const ranges = [...sigs, ...terms].sort((a, b) => a.start - b.start || b.end - a.end);
    const nodes = [];
    let at = 0;
    for (const r of ranges) {
      if (r.start < at) continue;
      if (r.start > at) nodes.push(document.createTextNode(text.slice(at, r.start)));
      nodes.push(el('mark', { class: r.kind, title: r.label, text: text.slice(r.start, r.end) }));
      at = r.end;
    }
    if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
    box.replaceChildren(...nodes);
    wrap.hidden = false;
  }

  // ---- copy as note / link -----------------------------------------------------------------

  function note() {
    const m = topMatch();
    if (!m) return `fixbook: no known problem matches this text.\nLink: ${location.href}\n`;
    const lines = [`fixbook: ${m.title}`, `Entry: ${m.id}`, `Confidence: ${percent(m.confidence)}`];
    if (m.causes && m.causes.length) {
      lines.push('Causes:');
      for (const c of m.causes) lines.push(`  [${verdictWord(c.verdict)}] ${c.title}`);
    }
    if (state.order.length) {
      lines.push('Answers:');
      for (const n of state.order) lines.push(`  ${n} = ${encodeValue(state.facts[n])}`);
    }
    const steps = remedySteps(m);
    if (steps.length) {
      lines.push('Remedy:');
      steps.forEach((s, i) => lines.push(`  ${i + 1}. ${s}`));
    }
    const q = openQuestions()[0];
    if (q) lines.push(`Ask: ${q.text}`);
    lines.push(`Link: ${location.href}`);
    return `${lines.join('\n')}\n`;
  }

  async function copy(text, what) {
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch (_) {
      // no clipboard API outside secure contexts: the older way
      const ta = el('textarea', { readonly: true, class: 'visually-hidden' });
      ta.value = text;
      const back = document.activeElement;
      document.body.append(ta);
      ta.select();
      try { ok = document.execCommand('copy'); } catch (_e) { ok = false; }
      ta.remove();
      if (back && back.focus) back.focus();
    }
    notice(ok ? `${what} copied to the clipboard.` : `${what} could not be copied: select and copy it by hand.`);
  }

  // ---- keyboard ----------------------------------------------------------------------------

  function onKey(e) {
    if ($('key-dialog').open) return;
    const t = e.target;
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
      e.preventDefault();
      diagnose();
      return;
    }
    if (t === $('text') && e.key === 'Escape') {
      e.preventDefault();
      focusAnswer();
      return;
    }
    if (t.closest && t.closest('input, textarea, select, [contenteditable]')) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const q = $('question');
    const click = (sel) => {
      const b = q.hidden ? null : q.querySelector(sel);
      if (b) b.click();
      return Boolean(b);
    };
    let handled = true;
    switch (e.key) {
      case '/': $('text').focus(); break;
      case 'y': handled = click('button[data-value="true"]'); break;
      case 'n': handled = click('button[data-value="false"]'); break;
      case 's': skipQuestion(); break;
      case 'u': undo(); break;
      case 'c': if (!$('actions').hidden) copy(note(), 'Note'); break;
      case 'l': if (!$('actions').hidden) copy(location.href, 'Link'); break;
      case 'k': openKeyDialog(''); break;
      case '?': toggleShortcuts(); break;
      default:
        if (/^[1-9]$/.test(e.key)) handled = click(`.choices button[aria-keyshortcut="${e.key}"]`);
        else handled = false;
    }
    if (handled) e.preventDefault();
  }

  function toggleShortcuts() {
    const s = $('shortcuts');
    s.hidden = !s.hidden;
    $('help-button').setAttribute('aria-expanded', String(!s.hidden));
    if (!s.hidden) s.scrollIntoView({ block: 'nearest' });
  }

  // ---- start -------------------------------------------------------------------------------

  function start() {
    const text = $('text');
    readUrl();
    text.value = state.text;
    text.addEventListener('input', () => {
      state.text = text.value;
      state.before = null;
      schedule();
    });
    window.addEventListener('hashchange', () => {
      readUrl();
      text.value = state.text;
      diagnose();
    });
    document.addEventListener('keydown', onKey);
    $('key-button').addEventListener('click', () => openKeyDialog(''));
    $('key-dialog').addEventListener('close', onKeyDialogClose);
    $('help-button').setAttribute('aria-expanded', 'false');
    $('help-button').addEventListener('click', toggleShortcuts);
    $('copy-note').addEventListener('click', () => copy(note(), 'Note'));
    $('copy-link').addEventListener('click', () => copy(location.href, 'Link'));
    for (const b of document.querySelectorAll('#feedback button')) {
      b.addEventListener('click', () => sendFeedback(b.dataset.outcome));
    }
    probeFeedback();
    if (state.text) diagnose();
    text.focus();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
