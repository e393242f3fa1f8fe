/* Signpost chat widget: <script src="https://HOST/widget.js" data-bot="PUBLIC_KEY" async></script>
   A shadow root keeps host CSS out and ours in; only global: window.Signpost. Fetch + SSE, no build. */
(() => {
'use strict';
const NS = window.Signpost = window.Signpost || { version: '1', widgets: [] };
const script = document.currentScript ||
  document.querySelector('script[data-bot]:not([data-sp-ready]),script[data-preview-chatbot]:not([data-sp-ready])');
if (!script || script.hasAttribute('data-sp-ready')) return;
script.setAttribute('data-sp-ready', '');

const CSS = `:host{all:initial!important;display:block!important;position:static!important}
.w{--c:#2563eb;--f:#fff;--t:#111827;--m:#6b7280;--b:#e5e7eb;--s:#f3f4f6;all:initial;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--t)}
:where(.w *,.w *::before,.w *::after){box-sizing:border-box;font:inherit;color:inherit;margin:0;padding:0}
:where(.w button){cursor:pointer;background:none;border:0;line-height:1.2}
.w button:disabled{cursor:default;opacity:.55}
:where(.w a){text-decoration:none}
.w :focus-visible{outline:2px solid var(--c);outline-offset:2px;box-shadow:0 0 0 4px #fff}
:where(.w svg){width:18px;height:18px;flex:none;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}
.panel,.log,.msg,.card,.cb,.box,.doc>div,.form,.form label,.form fieldset{display:flex;flex-direction:column}
.launcher,.head,.typing,.links,.cards,.cites,.fb,.chips,.comp{display:flex}
.av,.head button,.thumb,.fb button,.send{display:grid;place-items:center}
.bub,.typing,.card,.box,.chip{border:1px solid var(--b)}
.launcher img,.panel,.av img,.thumb img,.bub,.typing,.btn,.card,.box,.form input,.form textarea,.chip,.comp,.comp textarea,.foot{background:#fff}
.launcher,.head,.head button,.user .bub,.btn:hover,.primary,.send{color:var(--f)}
.launcher,.head,.btn,.box a,.doc,.fb{align-items:center}
.sr,.panel,.av,.title,.card,.thumb,.cs{overflow:hidden}
.launcher,.title,.ct,.box b,.primary{font-weight:600}
.sr{position:absolute!important;width:1px;height:1px;clip:rect(0 0 0 0);white-space:nowrap}
.launcher{position:fixed;z-index:2147483000;bottom:20px;right:20px;gap:8px;height:52px;padding:0 20px 0 16px;border-radius:26px;background:var(--c);font-size:15px;box-shadow:0 6px 20px rgba(0,0,0,.22);transition:transform .15s}
.launcher:hover{transform:translateY(-1px)}
.launcher img{width:26px;height:26px;border-radius:50%;object-fit:cover}
.panel{position:fixed;z-index:2147483001;bottom:84px;right:20px;width:380px;height:min(640px,calc(100vh - 110px));border-radius:16px;box-shadow:0 12px 40px rgba(0,0,0,.24),0 0 0 1px rgba(0,0,0,.05)}
.left .launcher,.left .panel{right:auto;left:20px}
[hidden]{display:none!important}
.inline .launcher,.inline .panel{position:absolute}
.inline .panel{height:calc(100% - 100px);max-height:640px;max-width:calc(100% - 40px)}
.head{gap:10px;padding:12px 12px 12px 16px;background:var(--c)}
.av{width:34px;height:34px;border-radius:50%;flex:none;background:rgba(255,255,255,.22);font-weight:700}
.av img,.thumb img{width:100%;height:100%;object-fit:cover}
.title{flex:1;min-width:0;font-size:15px;white-space:nowrap;text-overflow:ellipsis}
.head button{width:34px;height:34px;border-radius:8px}
.head button:hover{background:rgba(255,255,255,.16)}
.head :focus-visible{outline-color:var(--f);box-shadow:none}
.log{flex:1;overflow-y:auto;padding:16px 14px 8px;gap:10px;background:#fafafa;overscroll-behavior:contain}
.msg{gap:8px;max-width:88%}
.msg.user{align-self:flex-end;align-items:flex-end}
.bub{padding:9px 13px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere}
.bot .bub{border-top-left-radius:4px}
.user .bub{background:var(--c);border-color:transparent;border-top-right-radius:4px}
.bot{align-self:stretch;max-width:100%}
.bot>.bub{align-self:flex-start;max-width:92%}
.note{font-size:12px;color:var(--m)}
.typing{gap:4px;padding:13px 14px;align-self:flex-start;border-radius:14px;border-top-left-radius:4px}
.typing i{width:7px;height:7px;border-radius:50%;background:#9ca3af;animation:sp 1.2s infinite}
.typing i:nth-child(2){animation-delay:.2s}.typing i:nth-child(3){animation-delay:.4s}
@keyframes sp{0%,60%,100%{opacity:.3;transform:none}30%{opacity:1;transform:translateY(-3px)}}
@media (prefers-reduced-motion:reduce){.typing i{animation:none}.launcher{transition:none}}
.links{flex-wrap:wrap;gap:6px}
.btn{display:inline-flex;gap:6px;padding:7px 12px;border-radius:18px;border:1px solid var(--c);color:var(--c);font-weight:500;font-size:13px;line-height:1.3}
.btn:hover{background:var(--c)}
.btn svg{width:14px;height:14px}
.cards{gap:10px;overflow-x:auto;padding:2px 2px 6px;scroll-snap-type:x mandatory}
.card{flex:none;width:210px;scroll-snap-align:start;border-radius:12px}
.thumb{height:118px;background:var(--s);color:var(--m)}
.thumb svg{width:34px;height:34px;stroke-width:1.5}
.cb{padding:10px 12px 12px;gap:6px;flex:1}
.cs{font-size:13px;color:var(--m);display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical}
.cb .btn{align-self:flex-start;margin-top:auto}
.box{border-radius:12px;padding:10px 12px;gap:3px}
.box a{color:var(--c);display:inline-flex;gap:6px;overflow-wrap:anywhere}
.box a:hover{text-decoration:underline}
.doc{flex-direction:row;gap:10px}
.doc>svg{width:26px;height:26px;color:var(--c);stroke-width:1.5}
.doc>div{flex:1;min-width:0;gap:2px}
.form{gap:10px;padding:12px}
.form label{gap:4px;font-size:13px;font-weight:500}
.form label>span abbr{color:#b91c1c;text-decoration:none}
.form input,.form textarea{width:100%;padding:8px 10px;border:1px solid #d1d5db;border-radius:8px;font-weight:400;font-size:14px}
.form [aria-invalid=true]{border-color:#b91c1c}
.err{color:#b91c1c;font-size:12px;font-weight:400}
.form fieldset{border:0;gap:10px;min-width:0}
.primary{align-self:flex-start;padding:8px 16px;border-radius:8px;background:var(--c)}
.cites{font-size:12px;color:var(--m);flex-wrap:wrap;gap:4px 8px}
.cites a{color:var(--c);text-decoration:underline}
.fb{gap:2px}
.fb button{width:28px;height:28px;border-radius:6px;color:#9ca3af}
.fb button:hover{background:var(--s);color:var(--t)}
.fb button[aria-pressed=true]{color:var(--c);background:var(--s)}
.fb svg{width:15px;height:15px}.fb button+button svg{transform:scale(-1)}
.fail{border-color:#fecaca;background:#fef2f2;color:#991b1b}
.fail .primary{margin-top:8px;display:block}
.chips{flex-wrap:wrap;gap:6px;padding:4px 14px 10px;background:#fafafa}
.chip{padding:7px 12px;border-radius:16px;color:var(--t);font-size:13px;text-align:left}
.chip:hover{border-color:var(--c);color:var(--c)}
.comp{align-items:flex-end;gap:8px;padding:10px 12px;border-top:1px solid var(--b)}
.comp textarea{flex:1;resize:none;max-height:120px;min-height:40px;padding:9px 12px;border:1px solid #d1d5db;border-radius:20px;font-size:14px;line-height:1.4}
.comp textarea:focus-visible,.form input:focus-visible,.form textarea:focus-visible{outline:none;border-color:var(--c);box-shadow:0 0 0 1px var(--c)}
.send{width:40px;height:40px;border-radius:50%;background:var(--c)}
.foot{text-align:center;font-size:11px;color:#9ca3af;padding:0 0 8px}
@media (max-width:480px){.w:not(.inline) .panel{inset:0;width:auto;height:auto;border-radius:0}}`;

const ICONS = {
  chat: '<path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/>',
  x: '<path d="M18 6 6 18M6 6l12 12"/>',
  reset: '<path d="M3 12a9 9 0 1 0 3-6.7L3 8"/><path d="M3 3v5h5"/>',
  send: '<path d="M5 12h14M13 6l6 6-6 6"/>',
  out: '<path d="M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5"/>',
  mail: '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="m3 7 9 6 9-6"/>',
  tel: '<path d="M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2"/>',
  doc: '<path d="M14 3H6a1 1 0 0 0-1 1v16a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V8z"/><path d="M14 3v5h5M9 13h6M9 17h6"/>',
  dl: '<path d="M12 4v11M7 10l5 5 5-5M5 20h14"/>',
  img: '<rect x="3" y="4" width="18" height="16" rx="2"/><circle cx="9" cy="10" r="2"/><path d="m21 16-5-5-9 9"/>',
  up: '<path d="M7 10v10H4V10zM7 10l4-7a2 2 0 0 1 3 2l-1 5h6a2 2 0 0 1 2 2l-2 7a2 2 0 0 1-2 1H7"/>'
};

const icon = (name) => {
  const s = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  s.setAttribute('viewBox', '0 0 24 24');
  s.setAttribute('aria-hidden', 'true');
  s.innerHTML = ICONS[name];  // static markup, never data
  return s;
};

/* h('div', {class: 'x', onclick: fn}, child, 'text', [more]); text is never HTML. */
const add = (el, c) => {
  if (c == null || c === false) return;
  if (Array.isArray(c)) c.forEach((x) => add(el, x));
  else el.append(c.nodeType ? c : String(c));
};
const h = (tag, attrs, ...kids) => {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else if (k in el && !/^(list|type|role)$/.test(k)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  add(el, kids);
  return el;
};

const button = (attrs, ...kids) => h('button', Object.assign({ type: 'button' }, attrs), ...kids);
const safeUrl = (u) => {
  if (typeof u !== 'string') return null;
  u = u.trim();
  return /^(https?:|mailto:|tel:)/i.test(u) || (u[0] === '/' && u[1] !== '/') ? u : null;
};
const sameOrigin = (u) => { try { return new URL(u, location.href).origin === location.origin; } catch (e) { return false; } };
/* Off-site links open a new tab; host-site links navigate. */
const link = (url, cls, kids, label) => {
  const href = safeUrl(url);
  if (!href) return h('span', { class: cls }, kids);
  const ext = /^https?:/i.test(href) && !sameOrigin(href);
  return h('a', { class: cls, href, target: ext ? '_blank' : null, rel: ext ? 'noopener' : null, 'aria-label': label }, kids);
};
const readable = (hex) => {
  const n = parseInt(hex.slice(1), 16);
  return (0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255)) > 160 ? '#111827' : '#fff';
};
/* Plain text with **bold** spans; never HTML. */
const rich = (text) => String(text || '').split(/\*\*(.+?)\*\*/g).map((part, i) => i % 2 ? h('strong', { text: part }) : part);
const when = (iso) => {
  const d = new Date(iso);
  return isNaN(d) ? '' : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
};
const store = (key, value) => {
  try {
    if (value === undefined) return JSON.parse(localStorage.getItem(key) || 'null');
    if (value === null) localStorage.removeItem(key); else localStorage.setItem(key, JSON.stringify(value));
  } catch (e) { /* storage blocked: no restore */ }
  return null;
};

class HttpError extends Error {
  constructor(status, message, retryAfter) { super(message); this.status = status; this.retryAfter = retryAfter; }
}

/* Parse text/event-stream: blank-line separated `event:`/`data:` blocks. */
const readSSE = async (res, onEvent) => {
  const reader = res.body.getReader(), decoder = new TextDecoder();
  let buf = '';
  const flush = (chunk) => {
    let name = 'message';
    const data = [];
    for (const line of chunk.split(/\r?\n/)) {
      if (!line || line[0] === ':') continue;
      const i = line.indexOf(':'), field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') name = value; else if (field === 'data') data.push(value);
    }
    if (data.length) onEvent(name, JSON.parse(data.join('\n')));
  };
  for (;;) {
    const { done, value } = await reader.read();
    buf += decoder.decode(value || new Uint8Array(), { stream: !done });
    const parts = buf.split(/\r?\n\r?\n/);
    buf = parts.pop();
    parts.forEach(flush);
    if (done) { if (buf.trim()) flush(buf); return; }
  }
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;
const PHONE = /^\+?[\d\s().\-/]{6,}$/;
let seq = 0;

class Widget {
  constructor(el) {
    this.base = el.getAttribute('data-api') || (el.src || '').replace(/\/widget\.js(\?.*)?$/, '');
    this.key = el.getAttribute('data-bot');
    this.preview = el.getAttribute('data-preview-chatbot');
    this.csrf = el.getAttribute('data-csrf');
    this.mountSel = el.getAttribute('data-mount');
    this.busy = false;
    this.storeKey = 'signpost:' + (this.preview ? 'preview:' + this.preview : this.key);
    this.state = store(this.storeKey) || {};
    this.state.f = this.state.f || {};
  }

  /* Live: the public widget API. Preview: the builder API, builder session. */
  url(what, arg) {
    const b = this.base + '/api/v1/', t = encodeURIComponent(arg || '');
    if (this.preview) {
      const c = 'chatbots/' + this.preview;
      return b + { config: c, turns: c + '/preview/turns', history: 'conversations/' + t + '/messages' }[what];
    }
    return b + 'widget/' + encodeURIComponent(this.key) + '/' +
      { config: 'config', turns: 'turns', feedback: 'feedback', history: 'threads/' + t + '/messages' }[what];
  }

  async call(url, opts = {}) {
    const headers = Object.assign({ Accept: 'application/json' }, opts.headers);
    if (opts.body) headers['Content-Type'] = 'application/json';
    if (this.preview && this.csrf) headers['X-CSRF-Token'] = this.csrf;
    const res = await fetch(url, {
      method: opts.method || 'GET', headers, body: opts.body && JSON.stringify(opts.body),
      credentials: this.preview ? 'same-origin' : 'omit'
    });
    if (res.ok) return res;
    const body = await res.json().catch(() => ({}));
    const ra = parseInt(res.headers.get('Retry-After') || '', 10);
    throw new HttpError(res.status, body.message || 'The assistant answered with an error (' + res.status + ').', isNaN(ra) ? null : ra);
  }

  save() { store(this.storeKey, this.state.t ? this.state : null); }

  async start() {
    try {
      this.cfg = await (await this.call(this.url('config'))).json();
      this.build();
      await this.restore();
    } catch (e) {
      console.warn('Signpost: the chat widget could not start:', e && e.message || e);
    }
  }

  build() {
    const cfg = this.cfg, ui = cfg.ui || {}, name = cfg.name || 'Chat';
    const color = /^#[0-9a-f]{6}$/i.test(ui.primary_color || '') ? ui.primary_color : '#2563eb';
    const iconUrl = safeUrl(cfg.icon_url), label = ui.launcher_text || 'Chat with us';
    const mount = this.mountSel && document.querySelector(this.mountSel);
    const host = h('signpost-chat', { 'data-bot': this.key || this.preview });
    (mount || document.body).appendChild(host);
    const root = host.attachShadow({ mode: 'open' });
    if (root.adoptedStyleSheets && 'replaceSync' in CSSStyleSheet.prototype) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];  // exempt from the host's style-src CSP
    } else root.append(h('style', { text: CSS }));
    const avatar = h('span', { class: 'av', 'aria-hidden': 'true' }, iconUrl ? h('img', { src: iconUrl, alt: '' }) : name.trim().charAt(0).toUpperCase());
    this.launcher = button({
      class: 'launcher', 'aria-expanded': 'false', 'aria-controls': 'sp-panel',
      'aria-label': label + ' – open the ' + name + ' chat', onclick: () => this.toggle()
    }, iconUrl ? h('img', { src: iconUrl, alt: '' }) : icon('chat'), h('span', { text: label }));
    this.log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation with ' + name, tabindex: '0' });
    this.chips = h('div', { class: 'chips', role: 'group', 'aria-label': 'Suggested questions' },
      (cfg.suggested_questions || []).map((q) => button({ class: 'chip', text: q, onclick: () => this.ask(q) })));
    this.input = h('textarea', {
      rows: 1, placeholder: 'Type your question…', 'aria-label': 'Your message', maxLength: 2000,
      oninput: () => this.grow(),
      onkeydown: (e) => { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); this.submit(); } }
    });
    this.sendBtn = h('button', { class: 'send', type: 'submit', 'aria-label': 'Send message' }, icon('send'));
    this.panel = h('div', { class: 'panel', id: 'sp-panel', role: 'dialog', 'aria-label': name + ' chat', hidden: true },
      h('div', { class: 'head' }, avatar, h('span', { class: 'title', text: name }),
        button({ 'aria-label': 'Start a new conversation', title: 'New conversation', onclick: () => this.reset() }, icon('reset')),
        button({ 'aria-label': 'Close chat', title: 'Close', onclick: () => this.close() }, icon('x'))),
      this.log, this.chips,
      h('form', { class: 'comp', onsubmit: (e) => { e.preventDefault(); this.submit(); } }, this.input, this.sendBtn),
      h('div', { class: 'foot', text: this.preview ? 'Preview – stored as a preview conversation' : 'Powered by Signpost' }));
    const wrap = h('div', { class: 'w' + (ui.position === 'bottom-left' ? ' left' : '') + (mount ? ' inline' : '') }, this.launcher, this.panel);
    wrap.style.setProperty('--c', color);
    wrap.style.setProperty('--f', readable(color));
    root.append(wrap);
    root.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !this.panel.hidden) { e.stopPropagation(); this.close(); }
    });
    this.greet();
    if (mount) this.open(true);
  }

  greet() {
    this.log.textContent = '';
    if (this.cfg.greeting) this.log.append(h('div', { class: 'msg bot' }, h('div', { class: 'bub' }, rich(this.cfg.greeting))));
    this.chips.hidden = !(this.cfg.suggested_questions || []).length;
  }

  open(quiet) {
    this.panel.hidden = false;
    this.launcher.setAttribute('aria-expanded', 'true');
    this.scroll();
    if (!quiet) this.input.focus({ preventScroll: true });
  }
  close() {
    this.panel.hidden = true;
    this.launcher.setAttribute('aria-expanded', 'false');
    this.launcher.focus();
  }
  toggle() { if (this.panel.hidden) this.open(); else this.close(); }
  reset() {
    if (this.busy) return;
    this.state = { f: {} };
    this.save();
    this.greet();
    this.input.focus();
  }
  grow() {
    this.input.style.height = 'auto';
    this.input.style.height = Math.min(this.input.scrollHeight + 2, 120) + 'px';
  }
  scroll() { this.log.scrollTop = this.log.scrollHeight; }
  setBusy(on) {
    this.busy = on;
    this.sendBtn.disabled = on;
    this.log.setAttribute('aria-busy', String(on));
  }

  /* Restore the stored thread; an unknown or expired one starts fresh. */
  async restore() {
    if (!this.state.t) return;
    try {
      const msgs = (await (await this.call(this.url('history', this.state.t))).json()).messages || [];
      let last = -1;
      msgs.forEach((m, i) => { if (m.role === 'assistant' && m.output) last = i; });
      msgs.forEach((m, i) => {
        if (m.role === 'user') {
          const lead = m.lead_submitted || !!m.lead_input;
          this.addUser(lead ? null : (m.text != null ? m.text : m.content), lead);
        } else if (m.output) this.log.append(this.answer(m.output, i === last));
      });
      if (msgs.length) this.chips.hidden = true;
      this.scroll();
    } catch (e) {
      if (e.status === 404) { this.state = { f: {} }; this.save(); }
    }
  }

  addUser(text, lead) {
    this.log.append(h('div', { class: 'msg user' }, h('div', { class: 'bub' },
      lead ? [h('span', { 'aria-hidden': 'true', text: '✓ ' }), 'Details sent'] : text)));
    this.scroll();
  }

  submit() {
    const text = this.input.value.trim();
    if (!text || this.busy) return;
    this.input.value = '';
    this.grow();
    this.ask(text);
  }
  ask(text) {
    if (this.busy) return;
    this.addUser(text);
    this.turn({ message: text });
  }

  /* One turn over fetch + SSE; turn.completed's TurnOutput replaces the live render. */
  async turn(payload) {
    if (this.busy) return;
    this.setBusy(true);
    this.chips.hidden = true;
    const typing = h('div', { class: 'typing', role: 'status' }, h('i'), h('i'), h('i'), h('span', { class: 'sr', text: 'The assistant is typing' }));
    this.log.append(typing);
    this.scroll();
    let live = null, text = null, done = false;
    const liveNode = () => {
      if (!live) {
        typing.remove();
        text = h('div', { class: 'bub' });
        live = h('div', { class: 'msg bot', 'aria-busy': 'true' }, text);
        this.log.append(live);
      }
      return live;
    };
    const onEvent = (name, data) => {
      if (name === 'turn.started') { this.state.t = data.thread_id; this.save(); }
      else if (name === 'text.delta') { liveNode(); text.textContent += data.delta || ''; this.scroll(); }
      else if (name === 'ui.block') {
        const b = this.block(data, true);
        if (b) { add(liveNode(), b); this.scroll(); }
      } else if (name === 'turn.completed') {
        done = true;
        this.state.t = data.thread_id;
        this.save();
        const node = this.answer(data, true);
        typing.remove();
        if (live) live.replaceWith(node); else this.log.append(node);
        this.scroll();
      } else if (name === 'error') {
        throw new HttpError(0, data.message || 'The assistant could not answer. Please try again.');
      }
    };
    try {
      const res = await this.call(this.url('turns'), {
        method: 'POST', body: Object.assign({ thread_id: this.state.t || null }, payload), headers: { Accept: 'text/event-stream' }
      });
      if (/event-stream/.test(res.headers.get('Content-Type') || '')) await readSSE(res, onEvent);
      else onEvent('turn.completed', await res.json());
      if (!done) throw new HttpError(0, 'The connection was interrupted before the answer was complete.');
    } catch (e) {
      typing.remove();
      if (live) live.remove();
      this.fail(e, payload);
    }
    this.setBusy(false);
  }

  /* An error bubble with Retry (enabled after Retry-After on a 429). */
  fail(e, payload) {
    const http = e instanceof HttpError;
    let msg = http ? e.message : 'We could not reach the assistant. Check your connection and try again.';
    let wait = 0;
    if (http && e.status === 429) { wait = e.retryAfter || 5; msg = 'You are sending messages a little fast.'; }
    const retry = !http || e.status === 0 || e.status === 429 || e.status >= 500;
    const info = h('span', { class: 'note' });
    const box = h('div', { class: 'msg bot' });
    const btn = retry && button({ class: 'primary', text: 'Retry', onclick: () => { box.remove(); this.turn(payload); } });
    box.append(h('div', { class: 'bub fail', role: 'alert' }, msg, ' ', info, btn));
    if (wait && btn) {
      btn.disabled = true;
      const tick = () => {
        info.textContent = wait > 0 ? 'You can retry in ' + wait + ' s.' : '';
        if (wait-- > 0) setTimeout(tick, 1000); else btn.disabled = false;
      };
      tick();
    }
    this.log.append(box);
    this.scroll();
  }

  answer(out, active) {
    const node = h('div', { class: 'msg bot', 'data-turn': out.turn_id });
    if (out.text) node.append(h('div', { class: 'bub' }, rich(out.text)));
    (out.ui_blocks || []).forEach((b) => add(node, this.block(b, active)));
    const seen = new Set();
    const cites = (out.citations || []).filter((c) => {
      const k = c.title + '|' + (c.url || '');
      return c.title && !seen.has(k) && seen.add(k);
    });
    if (cites.length) {
      node.append(h('div', { class: 'cites' }, h('span', { text: 'Sources:' }),
        cites.map((c) => safeUrl(c.url) ? link(c.url, null, c.title) : h('span', { text: c.title, title: c.snippet || null }))));
    }
    if (!this.preview) { if (out.turn_id) node.append(this.feedback(out.turn_id)); }
    else if (out.trace_id) {  // preview: link the answer's trace
      node.append(h('div', { class: 'cites' }, h('a', { class: 'trace', href: this.base + '/ui/traces/' + encodeURIComponent(out.trace_id), target: '_blank', rel: 'noopener', text: 'View trace' })));
    }
    return node;
  }

  block(b, active) {
    if (b.type === 'links') {
      return h('div', { class: 'links' }, (b.links || []).map((l) => link(l.url, 'btn', [l.label, icon('out')])));
    }
    if (b.type === 'cards') {
      return h('div', { class: 'cards', role: 'list' }, (b.cards || []).map((c) => {
        const thumb = h('div', { class: 'thumb' });
        const placeholder = () => { thumb.textContent = ''; thumb.append(icon('img')); thumb.classList.add('ph'); };
        if (safeUrl(c.image_url)) {
          thumb.append(h('img', { src: c.image_url, alt: '', loading: 'lazy', referrerPolicy: 'no-referrer', onerror: placeholder }));
        } else placeholder();
        const cta = c.cta || 'View';
        return h('div', { class: 'card', role: 'listitem' }, thumb, h('div', { class: 'cb' },
          h('div', { class: 'ct', text: c.title }), c.snippet && h('div', { class: 'cs', text: c.snippet }),
          link(c.url, 'btn', [cta, icon('out')], cta + ': ' + c.title)));
      }));
    }
    if (b.type === 'contacts') {
      return (b.contacts || []).map((p) => h('div', { class: 'box' }, h('b', { text: p.name }),
        (p.role || p.department) && h('span', { class: 'note', text: [p.role, p.department].filter(Boolean).join(' · ') }),
        p.email && link('mailto:' + p.email, null, [icon('mail'), p.email], 'Email ' + p.name + ': ' + p.email),
        p.phone && link('tel:' + p.phone.replace(/[^\d+]/g, ''), null, [icon('tel'), p.phone], 'Call ' + p.name + ': ' + p.phone)));
    }
    if (b.type === 'documents') {
      return (b.documents || []).map((d) => {
        const expired = d.expires_at && new Date(d.expires_at) < new Date();
        return h('div', { class: 'box doc' }, icon('doc'), h('div', null, h('b', { text: d.title }),
          h('span', { class: 'note', text: expired ? 'This link has expired – ask again for a new one.' : d.expires_at ? 'Link valid until ' + when(d.expires_at) : '' })),
          !expired && h('a', { class: 'btn', href: safeUrl(d.url), target: '_blank', rel: 'noopener', download: '', 'aria-label': 'Download ' + d.title }, icon('dl'), 'Download'));
      });
    }
    return b.type === 'lead_form' ? this.leadForm(b, active) : null;
  }

  /* The lead form: client-side checks, server errors, pre-filled values. */
  leadForm(b, active) {
    const done = () => h('div', { class: 'box note', text: 'Contact details requested' + (b.reason ? ' ' + b.reason : '') + '.' });
    if (!active) return done();
    const n = ++seq, fields = b.fields || [], inputs = {}, errs = {};
    const fs = h('fieldset');
    const show = (name, msg) => {
      const input = inputs[name];
      if (!input) return;
      errs[name].textContent = msg || '';
      input.setAttribute('aria-invalid', msg ? 'true' : 'false');
      if (msg) input.setAttribute('aria-describedby', errs[name].id); else input.removeAttribute('aria-describedby');
    };
    for (const f of fields) {
      const id = 'sp-f' + n + '-' + f.name, type = { email: 'email', tel: 'tel' }[f.type] || 'text';
      const input = f.type === 'textarea' ? h('textarea', { id, name: f.name, rows: 3 })
        : h('input', { id, name: f.name, type, autocomplete: f.name === 'name' ? 'name' : type === 'text' ? null : type });
      input.value = (b.values || {})[f.name] || '';
      if (f.required) input.setAttribute('aria-required', 'true');
      inputs[f.name] = input;
      errs[f.name] = h('span', { class: 'err', id: id + '-e' });
      fs.append(h('label', { for: id }, h('span', null, f.label || f.name, f.required && h('abbr', { title: 'required', text: ' *' })), input, errs[f.name]));
    }
    Object.entries(b.errors || {}).forEach(([k, msg]) => show(k, msg));
    fs.append(h('button', { class: 'primary', type: 'submit', text: 'Send' }));
    const form = h('form', {
      class: 'box form', novalidate: true, 'aria-label': 'Your contact details',
      onsubmit: (e) => {
        e.preventDefault();
        if (this.busy) return;
        const lead = {};
        let first = null;
        for (const f of fields) {
          const v = inputs[f.name].value.trim(), what = (f.label || f.name).toLowerCase();
          let msg = '';
          if (f.required && !v) msg = 'Please fill in ' + what + '.';
          else if (v && f.type === 'email' && !EMAIL.test(v)) msg = 'Please enter a valid email address, like name@company.com.';
          else if (v && f.type === 'tel' && (!PHONE.test(v) || v.replace(/\D/g, '').length < 6)) msg = 'Please enter a phone number using digits, spaces and + ( ) - only.';
          show(f.name, msg);
          if (msg && !first) first = inputs[f.name];
          if (v) lead[f.name] = v;
        }
        if (first) { first.focus(); return; }
        form.replaceWith(done());
        this.addUser(null, true);
        this.turn({ lead });
      }
    }, b.reason && h('span', { class: 'note', text: 'We need a few details ' + b.reason + '.' }), fs);
    return form;
  }

  /* Thumbs up/down, remembered with the thread. */
  feedback(turnId) {
    const btns = {};
    const set = (score) => { for (const s of [1, -1]) btns[s].setAttribute('aria-pressed', String(score === s)); };
    const pick = async (score) => {
      const prev = this.state.f[turnId];
      set(score);
      try {
        await this.call(this.url('feedback'), { method: 'POST', body: { turn_id: turnId, score } });
        this.state.f[turnId] = score;
        this.save();
      } catch (e) { set(prev); }
    };
    btns[1] = button({ 'aria-label': 'Helpful answer', title: 'Helpful', onclick: () => pick(1) }, icon('up'));
    btns[-1] = button({ 'aria-label': 'Not helpful', title: 'Not helpful', onclick: () => pick(-1) }, icon('up'));
    set(this.state.f[turnId]);
    return h('div', { class: 'fb', role: 'group', 'aria-label': 'Rate this answer' }, btns[1], btns[-1]);
  }
}

const widget = new Widget(script);
NS.widgets.push(widget);
NS.open = () => NS.widgets.forEach((w) => w.panel && w.open());
NS.close = () => NS.widgets.forEach((w) => w.panel && w.close());
if (document.body) widget.start(); else document.addEventListener('DOMContentLoaded', () => widget.start());
})();
