// edgedesk agent console: sign-in, chats, replies, transfers and, for
// supervisors, the team's queues. No framework, no build step. It talks to
// the node only through /v1/auth/* (sign-in) and /v1/agent/ws
// (docs/AGENT_PROTOCOL.md); docs/CONSOLE.md describes the page and its
// data-edgedesk hooks.
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const RTL = new Set(['ar', 'he', 'fa', 'ur', 'ps', 'sd', 'yi', 'dv', 'ckb', 'ug']);
  const TITLE = 'edgedesk console';
  const MAX_MSGS = 2000; // per chat kept in the page

  const st = {
    me: null, // {id, name, role, groups}
    ws: null,
    wsOpen: false,
    backoff: 0,
    retry: null,
    away: false,
    chats: new Map(), // session → chat
    order: [], // sessions, newest assignment first
    sel: '',
    pending: new Map(), // cid → {session, text}: replies not yet acknowledged
    reqs: new Map(), // cid → {resolve, reject, timer}
    seq: 0,
    typingOn: false,
    typingTimer: null,
    teamTimer: null,
    beat: null,
    refreshTimer: null,
    lastActive: Date.now(),
    signedOut: false,
    welcomed: false, // a welcome came since the page loaded: a refusal now means an expired sign-in
    audio: null,
    opener: null, // the control a dialog returns focus to
    transferSession: '',
  };

  // ?next= is where to go once signed in: the dashboard sends visitors
  // here with next=/dashboard. Only a page of this node: the address is
  // resolved as the browser would ("//host", "/\host", a tab inside…) and
  // kept only when it stays on this origin.
  const NEXT = (() => {
    const n = new URLSearchParams(location.search).get('next');
    if (!n || !n.startsWith('/')) return '';
    try {
      const u = new URL(n, location.origin);
      return u.origin === location.origin ? u.pathname + u.search + u.hash : '';
    } catch { return ''; }
  })();

  const cid = (p) => `${p}${Date.now().toString(36)}${(++st.seq).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const base = (tag) => (tag || '').toLowerCase().split(/[-_]/)[0];
  const dirOf = (tag) => (tag ? (RTL.has(base(tag)) ? 'rtl' : 'ltr') : 'auto');
  const el = (tag, attrs = {}, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const k of kids) if (k) e.append(k);
    return e;
  };
  const announce = (text) => {
    const a = $('announce');
    a.textContent = '';
    setTimeout(() => { a.textContent = text; }, 50); // a change, even for the same text
  };
  const clock = (ts) => {
    const d = new Date(ts);
    return isNaN(d) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  };

  // ---- sign-in -------------------------------------------------------

  async function api(method, path, body) {
    const r = await fetch(path, {
      method, credentials: 'same-origin', cache: 'no-store',
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    let data = null;
    try { data = await r.json(); } catch { /* 204, or not JSON */ }
    return { status: r.status, data, headers: r.headers };
  }

  function showSignIn(message) {
    stopSession();
    $('app').hidden = true;
    $('signin').hidden = false;
    const err = $('login-error');
    err.hidden = !message;
    err.textContent = message || '';
    document.title = TITLE;
    $('login-email').focus();
  }

  function showApp() {
    $('signin').hidden = true;
    $('app').hidden = false;
    st.signedOut = false;
    renderMe();
    connect();
    startRefresh();
  }

  $('login-away').addEventListener('change', (e) => { st.away = e.target.checked; });
  document.querySelector('[data-edgedesk=login]').addEventListener('submit', async (e) => {
    e.preventDefault();
    const email = $('login-email').value.trim();
    const password = $('login-password').value;
    const err = $('login-error');
    const fail = (m) => { err.textContent = m; err.hidden = false; };
    if (!email || !password) return fail(!email ? 'Enter your email.' : 'Enter your password.');
    const btn = document.querySelector('[data-edgedesk=login-submit]');
    btn.disabled = true;
    try {
      const r = await api('POST', '/v1/auth/login', { email, password });
      if (r.status === 200 && r.data) {
        $('login-password').value = '';
        err.hidden = true;
        btn.disabled = false; // for the next time the form shows (signed out, expired)
        st.me = r.data;
        if (NEXT) return location.assign(NEXT);
        showApp();
        return;
      }
      if (r.status === 429) {
        const wait = parseInt(r.headers.get('Retry-After') || '60', 10) || 60;
        // The node's message already says how long to wait; said once.
        const said = (r.data && r.data.error) || '';
        fail(/try again/i.test(said) ? `${said[0].toUpperCase()}${said.slice(1)}.` : `Too many attempts. Try again in ${wait} s.`);
        setTimeout(() => { btn.disabled = false; }, wait * 1000);
        return;
      }
      fail((r.data && r.data.error) || (r.status === 401 ? 'Wrong email or password.' : `Sign-in failed (HTTP ${r.status}).`));
    } catch {
      fail('Cannot reach the node. Check your connection and try again.');
    }
    btn.disabled = false;
  });

  $('signout').addEventListener('click', async () => {
    st.signedOut = true;
    try { await api('POST', '/v1/auth/logout'); } catch { /* signed out here anyway */ }
    st.me = null;
    showSignIn('You are signed out.');
  });

  // The sign-in is refreshed every minute while the agent is active.
  for (const ev of ['keydown', 'pointerdown']) {
    document.addEventListener(ev, () => {
      st.lastActive = Date.now();
      // Browsers let a page play sound once the user interacted with it.
      try { st.audio = st.audio || new AudioContext(); if (st.audio.state === 'suspended') st.audio.resume(); } catch { /* no audio */ }
    }, true);
  }
  function startRefresh() {
    clearInterval(st.refreshTimer);
    st.refreshTimer = setInterval(async () => {
      if (Date.now() - st.lastActive > 60000) return;
      try {
        const r = await api('GET', '/v1/auth/me');
        if (r.status === 401) showSignIn('Your sign-in has expired. Please sign in again.');
        else if (r.status === 200 && r.data) { st.me = { ...st.me, ...r.data }; renderMe(); }
      } catch { /* offline: the connection state says so */ }
    }, 60000);
  }

  function stopSession() {
    clearInterval(st.refreshTimer);
    clearInterval(st.teamTimer);
    clearTimeout(st.retry);
    clearInterval(st.beat);
    if (st.ws) { st.ws.onclose = null; st.ws.close(1000); st.ws = null; }
    st.wsOpen = false;
    st.chats.clear();
    st.order = [];
    st.pending.clear();
    st.sel = '';
    for (const r of st.reqs.values()) { clearTimeout(r.timer); r.reject(new Error('signed out')); }
    st.reqs.clear();
    renderList();
    renderPane();
  }

  // ---- connection ----------------------------------------------------

  function setConn(state, text) {
    const c = $('conn');
    c.dataset.state = state;
    c.textContent = text;
  }

  function connect() {
    clearTimeout(st.retry);
    setConn('connecting', 'Connecting…');
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/v1/agent/ws`);
    st.ws = ws;
    let refused = '';
    ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', v: 1, status: st.away ? 'away' : 'online' }));
    ws.onmessage = (ev) => {
      let f;
      try { f = JSON.parse(ev.data); } catch { return; }
      if (f.type === 'error' && !f.cid && (f.code === 'unauthorized' || f.code === 'forbidden')) refused = f.code;
      onFrame(f);
    };
    ws.onclose = () => lost(ws, refused);
  }

  // lost handles the end of connection ws: back to the sign-in form when
  // the node refused it, else a reconnect with backoff.
  function lost(ws, refused) {
    if (st.ws !== ws) return;
    st.ws = null;
    st.wsOpen = false;
    clearInterval(st.beat);
    for (const [id, r] of st.reqs) { clearTimeout(r.timer); r.reject(new Error('connection lost')); st.reqs.delete(id); }
    if (refused === 'unauthorized') return showSignIn(st.welcomed ? 'Your sign-in has expired. Please sign in again.' : '');
    if (refused === 'forbidden') return showSignIn('This account may not take chats.');
    if (st.signedOut) return;
    const delay = Math.min(15000, 500 * 2 ** st.backoff) * (0.75 + Math.random() / 2);
    st.backoff = Math.min(st.backoff + 1, 5);
    setConn('offline', `Offline: reconnecting in ${Math.ceil(delay / 1000)} s`);
    st.retry = setTimeout(connect, delay);
  }

  // hangUp drops the connection now (the browser went offline, or the node
  // stopped answering heartbeats) rather than when TCP notices.
  function hangUp() {
    const ws = st.ws;
    if (!ws) return;
    ws.onclose = null;
    try { ws.close(); } catch { /* already closing */ }
    lost(ws, '');
  }
  window.addEventListener('offline', hangUp);
  window.addEventListener('online', () => {
    if (st.ws || !st.me || st.signedOut || $('app').hidden) return;
    st.backoff = 0;
    connect();
  });

  function send(f) {
    if (!st.ws || !st.wsOpen) return false;
    st.ws.send(JSON.stringify(f));
    return true;
  }

  // request sends a frame with a fresh cid and resolves with the answer
  // carrying it (ack, canned, queues, agents) or rejects with its error.
  function request(f) {
    return new Promise((resolve, reject) => {
      const id = cid('q');
      if (!send({ ...f, cid: id })) return reject(new Error('Not connected: try again in a moment.'));
      const timer = setTimeout(() => { st.reqs.delete(id); reject(new Error('No answer from the node.')); }, 10000);
      st.reqs.set(id, { resolve, reject, timer });
    });
  }

  function settle(f) {
    const r = f.cid && st.reqs.get(f.cid);
    if (!r) return false;
    st.reqs.delete(f.cid);
    clearTimeout(r.timer);
    if (f.type === 'error') r.reject(Object.assign(new Error(f.message || f.code), { code: f.code }));
    else r.resolve(f);
    return true;
  }

  function onFrame(f) {
    switch (f.type) {
      case 'welcome': {
        st.wsOpen = true;
        st.welcomed = true;
        st.backoff = 0;
        st.me = { ...(st.me || {}), id: f.agent, name: f.name, role: f.role, groups: f.groups || [] };
        st.away = f.status === 'away';
        setConn('connected', 'Connected');
        clearInterval(st.beat);
        st.beat = setInterval(() => request({ type: 'heartbeat' }).catch(hangUp), 25000); // a half-open connection shows as offline
        renderMe();
        const held = new Set();
        for (const a of f.chats || []) { held.add(a.session); upsert(a, false); }
        for (const s of [...st.chats.keys()]) if (!held.has(s)) drop(s);
        // Replies not acknowledged before the connection dropped go again
        // with the same cid: the node stores each once.
        for (const [id, p] of st.pending) {
          if (st.chats.has(p.session)) send({ type: 'msg', cid: id, session: p.session, text: p.text });
          else st.pending.delete(id);
        }
        renderList();
        renderPane();
        if (isSupervisor() && !$('team').hidden) pollTeam();
        break;
      }
      case 'assigned': {
        const fresh = !st.chats.has(f.session);
        upsert(f, true);
        renderList();
        if (f.session === st.sel) renderPane();
        if (fresh) notify(st.chats.get(f.session));
        break;
      }
      case 'msg': onMsg(f); break;
      case 'translation': { // a message from before the chat was ours, translated for us
        const c = st.chats.get(f.session);
        const m = c && c.msgs.get(f.seq);
        if (m && !m.translation) { m.translation = f.translation; if (f.session === st.sel) renderMessages(); }
        break;
      }
      case 'typing': {
        const c = st.chats.get(f.session);
        if (!c) break;
        c.typing = !!f.on;
        clearTimeout(c.typingTimer);
        if (c.typing) c.typingTimer = setTimeout(() => { c.typing = false; renderTyping(); }, 8000);
        renderTyping();
        break;
      }
      case 'unassigned': {
        const c = st.chats.get(f.session);
        if (c) announce(`The chat with ${who(c)} left your list (${f.reason || 'moved'}).`);
        const inPane = f.session === st.sel && document.activeElement && document.activeElement.closest('#pane');
        drop(f.session);
        renderList();
        renderPane();
        if (inPane) ($('chat-list').querySelector('button') || $('main')).focus(); // focus was in what is gone
        break;
      }
      case 'receipt': {
        const p = st.pending.get(f.cid);
        st.pending.delete(f.cid);
        if (p) { const c = st.chats.get(p.session); if (c) { c.pendingShown.delete(f.cid); if (p.session === st.sel) renderMessages(); } }
        break;
      }
      case 'error': {
        if (settle(f)) break;
        const p = f.cid && st.pending.get(f.cid);
        if (p) {
          st.pending.delete(f.cid);
          const c = st.chats.get(p.session);
          if (c) c.pendingShown.delete(f.cid);
          if (p.session === st.sel) {
            renderMessages();
            chatError(`Your reply was not sent: ${f.message || f.code}.`);
            if (!$('reply').value) $('reply').value = p.text;
          }
          break;
        }
        if (f.code !== 'unauthorized' && f.code !== 'forbidden') chatError(f.message || f.code);
        break;
      }
      case 'queues': if (!settle(f)) renderTeam(f.groups); break;
      default: settle(f); // ack, canned, agents
    }
  }

  const isSupervisor = () => st.me && (st.me.role === 'supervisor' || st.me.role === 'admin');
  // An anonymous customer is named by their session, so two are told apart.
  const who = (c) => (c.customer && (c.customer.name || c.customer.email || c.customer.id)) || `Customer ${c.session.slice(2, 8)}`;

  // ---- chats ---------------------------------------------------------

  function upsert(a, count) {
    let c = st.chats.get(a.session);
    if (!c) {
      c = { session: a.session, msgs: new Map(), unread: 0, typing: false, pendingShown: new Map() };
      st.chats.set(a.session, c);
      st.order.unshift(a.session);
    }
    Object.assign(c, {
      customer: a.customer || {}, lang: a.lang || '', tz: a.tz || '', channel: a.channel || '', group: a.group || '',
      entities: a.entities || [], why: a.why || [], note: a.note || '', from: a.from_agent || null,
      needsTranslation: !!a.needs_translation,
    });
    for (const m of a.history || []) addMsg(c, m, count && a.session !== st.sel);
  }

  function drop(s) {
    st.chats.delete(s);
    st.order = st.order.filter((x) => x !== s);
    if (st.sel === s) st.sel = '';
    updateTitle();
  }

  function addMsg(c, m, count) {
    if (c.msgs.has(m.seq)) return false;
    c.msgs.set(m.seq, m);
    if (c.msgs.size > MAX_MSGS) c.msgs.delete(c.msgs.keys().next().value);
    if (m.cid) c.pendingShown.delete(m.cid);
    if (count && m.from === 'customer') c.unread++;
    for (const e of m.entities || []) {
      if (m.from === 'customer' && !c.entities.some((x) => x.kind === e.kind && x.value === e.value)) c.entities.push(e);
    }
    return true;
  }

  function onMsg(m) {
    const c = st.chats.get(m.session);
    if (!c) return;
    const looking = m.session === st.sel && document.visibilityState === 'visible';
    if (!addMsg(c, m, !looking)) return;
    if (m.from === 'customer') { c.typing = false; }
    if (m.session === st.sel) { renderMessages(); renderTyping(); renderFacts(c); }
    renderList();
  }

  function notify(c) {
    announce(`New chat from ${who(c)}.`);
    updateTitle();
    try {
      st.audio = st.audio || new AudioContext();
      const o = st.audio.createOscillator();
      const g = st.audio.createGain();
      o.frequency.value = 880;
      g.gain.setValueAtTime(0.15, st.audio.currentTime);
      g.gain.exponentialRampToValueAtTime(0.001, st.audio.currentTime + 0.25);
      o.connect(g).connect(st.audio.destination);
      o.start();
      o.stop(st.audio.currentTime + 0.25);
    } catch { /* no audio: the title and the announcement tell */ }
  }

  function updateTitle() {
    let n = 0;
    for (const c of st.chats.values()) if (c.unread > 0) n++;
    document.title = n ? `(${n}) ${TITLE}` : TITLE;
  }

  function renderMe() {
    if (!st.me) return;
    $('me').textContent = `${st.me.name || st.me.id || ''}${st.me.role && st.me.role !== 'agent' ? ` (${st.me.role})` : ''}`;
    const s = $('status');
    s.value = st.away ? 'away' : 'online';
    s.dataset.state = s.value;
    $('tabs').hidden = !isSupervisor();
  }

  $('status').addEventListener('change', async (e) => {
    const want = e.target.value;
    st.away = want === 'away';
    e.target.dataset.state = want;
    try {
      await request({ type: 'status', status: want });
      announce(want === 'away' ? 'You are away: no new chats.' : 'You are online: new chats come to you.');
    } catch (err) {
      if (st.wsOpen) { st.away = !st.away; renderMe(); announce(`Availability not changed: ${err.message}`); }
      // not connected: the next hello carries it
    }
  });

  function renderList() {
    const ul = $('chat-list');
    ul.replaceChildren(...st.order.map((s) => {
      const c = st.chats.get(s);
      const last = [...c.msgs.values()].pop();
      const b = el('button', {
        type: 'button', 'data-edgedesk': 'chat', 'data-session': s, 'data-unread': c.unread,
        'aria-current': s === st.sel ? 'true' : null,
        onclick: () => select(s),
      },
      el('span', { class: 'who', text: who(c) }),
      c.unread ? el('span', { class: 'badge', text: String(c.unread), 'aria-label': `${c.unread} unread` }) : null,
      lastLine(last, c));
      return el('li', {}, b);
    }));
    $('list-empty').hidden = st.order.length > 0;
    updateTitle();
  }

  function select(s) {
    if (st.sel && st.sel !== s) typing(false);
    st.sel = s;
    const c = st.chats.get(s);
    if (c) c.unread = 0;
    document.body.classList.toggle('has-chat', !!c);
    renderList();
    renderPane();
    $('reply').focus();
  }

  $('back').addEventListener('click', () => {
    const s = st.sel;
    typing(false);
    st.sel = '';
    document.body.classList.remove('has-chat');
    renderList();
    renderPane();
    const b = document.querySelector(`[data-edgedesk=chat][data-session="${CSS.escape(s)}"]`);
    if (b) b.focus();
  });

  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'visible' || !st.sel) return;
    const c = st.chats.get(st.sel);
    if (c && c.unread) { c.unread = 0; renderList(); }
  });

  function renderPane() {
    const c = st.chats.get(st.sel);
    $('chat').hidden = !c;
    $('pane-empty').hidden = !!c;
    document.body.classList.toggle('has-chat', !!c);
    if (!c) return;
    $('pane-title').textContent = c.customer.email && c.customer.name ? `${c.customer.name} <${c.customer.email}>` : who(c);
    $('f-lang').textContent = (c.lang || '?') + (c.needsTranslation ? ' (no team speaks it)' : '');
    $('f-tier').textContent = c.customer.tier || 'standard';
    $('f-channel').textContent = c.channel || '?';
    $('f-group').textContent = c.group || '?';
    const note = $('note');
    const by = (c.from && (c.from.name || c.from.id)) || 'a colleague';
    note.hidden = !c.note && !c.from;
    note.textContent = c.note ? `Transferred by ${by}. Note (internal, the customer does not see it): ${c.note}` : (c.from ? `Transferred by ${by}.` : '');
    $('why-steps').replaceChildren(...c.why.map((w) => el('li', { text: w })));
    $('chat-error').hidden = true;
    renderFacts(c);
    renderMessages();
    renderTyping();
  }

  function renderFacts(c) {
    $('entities').replaceChildren(...(c.entities.length ? c.entities.map((e) => el('li', { 'data-kind': e.kind },
      el('span', { class: 'kind', text: e.kind.replace(/_/g, ' ') + ': ' }), el('span', { text: e.value })))
      : [el('li', { class: 'muted', text: 'nothing yet' })]));
    renderLocalTime(c);
  }

  function renderLocalTime(c) {
    const t = $('f-time');
    if (!c.tz) { t.textContent = 'unknown'; return; }
    try {
      const time = new Date().toLocaleTimeString([], { timeZone: c.tz, hour: '2-digit', minute: '2-digit', weekday: 'short' });
      t.textContent = `${time} (${c.tz})`;
      t.dataset.tz = c.tz;
    } catch { t.textContent = `unknown zone ${c.tz}`; }
  }
  setInterval(() => { const c = st.chats.get(st.sel); if (c) renderLocalTime(c); }, 30000);

  function renderMessages() {
    const c = st.chats.get(st.sel);
    if (!c) return;
    const ol = $('messages');
    const nearBottom = ol.scrollHeight - ol.scrollTop - ol.clientHeight < 80;
    const items = [...c.msgs.values()].sort((a, b) => a.seq - b.seq).map((m) => msgItem(m, c));
    for (const [id, p] of c.pendingShown) items.push(msgItem({ from: 'agent', text: p.text, cid: id, agent: { name: st.me && st.me.name } }, c, true));
    ol.replaceChildren(...items);
    if (nearBottom || items.length < 30) ol.scrollTop = ol.scrollHeight;
  }

  // lastLine previews a chat's last message, a customer's in the agent's
  // language when the node translated it.
  function lastLine(last, c) {
    const t = last && last.from === 'customer' && last.translation && last.translation.status === 'translated' ? last.translation : null;
    const lang = t ? t.to : (last && last.lang) || null;
    return el('span', { class: 'last', text: t ? t.text : last ? (last.text || '') : '', lang, dir: last ? dirOf(lang || c.lang) : null });
  }

  function msgItem(m, c, pending) {
    const lang = m.from === 'customer' ? (m.lang || c.lang) : (m.lang || '');
    const sender = { customer: who(c), bot: 'Bot', system: 'System', agent: (m.agent && (m.agent.name || m.agent.id)) || 'Agent' }[m.from] || m.from;
    const body = el('p', { class: 'text', text: m.text || '', lang: lang || null, dir: m.from === 'customer' || lang ? dirOf(lang) : null });
    const extra = translationOf(m, body);
    const atts = (m.attachments || []).map((a) => el('a', { href: a.url, target: '_blank', rel: 'noopener', text: a.name || 'attachment' }));
    return el('li', {
      class: `msg from-${m.from}${pending ? ' pending' : ''}`, 'data-edgedesk': 'message', 'data-from': m.from,
      'data-seq': pending ? null : m.seq, 'data-pending': pending ? 'true' : null,
    },
    el('span', { class: 'meta' }, el('span', { class: 'sender', text: sender }), ' ',
      el('time', { datetime: m.ts || null, text: pending ? 'sending…' : clock(m.ts) })),
    body, ...extra, ...atts);
  }

  // translationOf shows a message's machine translation (docs/TRANSLATION.md):
  // a customer's message reads in the agent's language with the original
  // under it; the agent's own reply shows what the customer was sent; a
  // message translation failed for is marked so.
  function translationOf(m, body) {
    const t = m.translation;
    if (!t) return [];
    if (t.status !== 'translated') {
      return [el('p', { class: 'tr-note', 'data-edgedesk': 'untranslated', text: `Not translated (${t.from}→${t.to}: translation ${t.status})` })];
    }
    if (m.from === 'customer') {
      body.textContent = t.text;
      body.lang = t.to;
      body.dir = dirOf(t.to);
      return [el('p', { class: 'tr-note', 'data-edgedesk': 'original' },
        el('span', { text: `Machine-translated from ${t.from} · original: ` }),
        el('span', { lang: t.from, dir: dirOf(t.from), text: m.text || '' }))];
    }
    return [el('p', { class: 'tr-note', 'data-edgedesk': 'translation' },
      el('span', { text: `Sent translated to ${t.to}: ` }),
      el('span', { lang: t.to, dir: dirOf(t.to), text: t.text }))];
  }

  function renderTyping() {
    const c = st.chats.get(st.sel);
    $('typing').hidden = !(c && c.typing);
  }

  function chatError(text) {
    const e = $('chat-error');
    e.textContent = text;
    e.hidden = !text;
  }

  // ---- replying ------------------------------------------------------

  function typing(on) {
    clearTimeout(st.typingTimer);
    if (!st.sel) { st.typingOn = false; return; }
    if (st.typingOn === on) return;
    st.typingOn = on;
    send({ type: 'typing', session: st.sel, on });
  }

  $('reply').addEventListener('input', () => {
    if (!$('reply').value.trim()) { typing(false); return; }
    typing(true);
    st.typingTimer = setTimeout(() => typing(false), 4000);
  });
  $('reply').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      sendReply();
    }
  });
  $('reply-form').addEventListener('submit', (e) => { e.preventDefault(); sendReply(); });

  function sendReply() {
    const c = st.chats.get(st.sel);
    const text = $('reply').value.trim();
    if (!c || !text) return;
    const id = cid('r');
    st.pending.set(id, { session: c.session, text });
    c.pendingShown.set(id, { text });
    $('reply').value = '';
    typing(false);
    chatError('');
    send({ type: 'msg', cid: id, session: c.session, text }); // offline: resent after the next welcome
    renderMessages();
  }

  // ---- dialogs -------------------------------------------------------

  function openDialog(d, opener) {
    st.opener = opener;
    d.showModal();
  }
  for (const d of [$('canned-dialog'), $('transfer-dialog')]) {
    d.addEventListener('close', () => { if (st.opener && document.contains(st.opener)) st.opener.focus(); });
  }

  let cannedQ = 0;
  async function loadCanned() {
    const c = st.chats.get(st.sel);
    if (!c) return;
    const n = ++cannedQ;
    const list = $('canned-list');
    try {
      const r = await request({ type: 'canned', session: c.session, q: $('canned-q').value });
      if (n !== cannedQ) return;
      $('canned-lang').textContent = `In ${r.lang || 'the default language'}. Fill in any {{…}} before sending.`;
      list.replaceChildren(...(r.answers.length ? r.answers.map((a) => el('li', {}, el('button', {
        type: 'button', class: 'canned-item', 'data-edgedesk': 'canned-answer', 'data-intent': a.intent, lang: a.lang, dir: dirOf(a.lang),
        onclick: () => insertCanned(a.text),
      }, el('strong', { text: a.intent.replace(/_/g, ' ') }), el('span', { text: a.text })))) : [el('li', { class: 'muted', text: 'No answer matches.' })]));
    } catch (err) {
      if (n === cannedQ) list.replaceChildren(el('li', { class: 'error', text: err.message }));
    }
  }
  $('canned-open').addEventListener('click', (e) => {
    $('canned-q').value = '';
    $('canned-list').replaceChildren();
    openDialog($('canned-dialog'), e.currentTarget);
    $('canned-q').focus();
    loadCanned();
  });
  let cannedTimer = null;
  $('canned-q').addEventListener('input', () => { clearTimeout(cannedTimer); cannedTimer = setTimeout(loadCanned, 200); });
  $('canned-q').addEventListener('keydown', (e) => { if (e.key === 'Enter') e.preventDefault(); });

  function insertCanned(text) {
    const r = $('reply');
    const { selectionStart: a, selectionEnd: b, value } = r;
    r.value = value.slice(0, a) + text + value.slice(b);
    st.opener = null;
    $('canned-dialog').close();
    r.focus();
    const v = r.value.indexOf('{{', a);
    if (v >= 0 && v < a + text.length) r.setSelectionRange(v, r.value.indexOf('}}', v) + 2); // the first blank to fill
    else r.setSelectionRange(a + text.length, a + text.length);
    r.dispatchEvent(new Event('input'));
  }

  async function openTransfer(session, opener) {
    st.transferSession = session;
    const sel = $('transfer-target');
    const err = $('transfer-error');
    err.hidden = true;
    $('transfer-note').value = '';
    sel.replaceChildren(el('option', { value: '', text: 'Loading…' }));
    openDialog($('transfer-dialog'), opener);
    sel.focus();
    try {
      const r = await request({ type: 'agents' });
      const agents = r.agents.filter((a) => a.id !== (st.me && st.me.id));
      sel.replaceChildren(el('option', { value: '', text: 'Choose an agent or a group' }),
        el('optgroup', { label: 'Agents' }, ...agents.map((a) => el('option', {
          value: `agent:${a.id}`, disabled: a.status !== 'online' ? true : null,
          text: `${a.name} (${a.status}, ${a.load} chats${a.groups.length ? `, ${a.groups.join(', ')}` : ''})`,
        }))),
        el('optgroup', { label: 'Groups' }, ...r.groups.map((g) => el('option', { value: `group:${g}`, text: g }))));
    } catch (e) {
      err.textContent = e.message;
      err.hidden = false;
    }
  }
  $('transfer-open').addEventListener('click', (e) => { if (st.sel) openTransfer(st.sel, e.currentTarget); });
  $('transfer-cancel').addEventListener('click', () => $('transfer-dialog').close());
  $('transfer-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const [kind, target] = $('transfer-target').value.split(/:(.*)/s);
    const err = $('transfer-error');
    if (!target) { err.textContent = 'Choose who takes the chat.'; err.hidden = false; $('transfer-target').focus(); return; }
    const f = { type: 'transfer', session: st.transferSession, note: $('transfer-note').value.trim() };
    f[kind === 'group' ? 'group' : 'agent'] = target;
    const btn = document.querySelector('[data-edgedesk=transfer-submit]');
    btn.disabled = true;
    try {
      await request(f);
      announce(`Chat transferred to ${target}.`);
      if (st.opener && (!document.contains(st.opener) || st.opener.closest('[hidden]'))) { // the chat left this view
        st.opener = (!$('chats-view').hidden && $('chat-list').querySelector('button')) || $('main');
      }
      $('transfer-dialog').close();
      if (!$('team').hidden) pollTeam();
    } catch (x) {
      err.textContent = `Not transferred: ${x.message}`;
      err.hidden = false;
    } finally {
      btn.disabled = false;
    }
  });

  $('close-chat').addEventListener('click', async () => {
    const s = st.sel;
    if (!s) return;
    try {
      await request({ type: 'close', session: s });
      announce('Chat closed.');
      drop(s);
      renderList();
      renderPane();
      ($('chat-list').querySelector('button') || $('status')).focus();
    } catch (x) {
      chatError(`Not closed: ${x.message}`);
    }
  });

  // ---- team (supervisors) --------------------------------------------

  function view(team) {
    $('team').hidden = !team;
    $('chats-view').hidden = team;
    $('tab-chats').setAttribute('aria-pressed', String(!team));
    $('tab-team').setAttribute('aria-pressed', String(team));
    clearInterval(st.teamTimer);
    if (team) { pollTeam(); st.teamTimer = setInterval(pollTeam, 2000); }
  }
  $('tab-chats').addEventListener('click', () => view(false));
  $('tab-team').addEventListener('click', () => view(true));

  function pollTeam() {
    if (st.wsOpen && isSupervisor()) request({ type: 'queues' }).then((f) => renderTeam(f.groups), () => {});
  }

  const wait = (s) => (s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min` : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`);

  function renderTeam(groups) {
    const focused = document.activeElement && document.activeElement.closest('#team') ? document.activeElement.dataset.key : '';
    const reassign = (session, label) => el('button', {
      type: 'button', 'data-edgedesk': 'reassign', 'data-session': session, 'data-key': `r:${session}`,
      'aria-label': `Reassign ${label}`, text: 'Reassign', onclick: (e) => openTransfer(session, e.currentTarget),
    });
    $('team-groups').replaceChildren(...(groups || []).map((g) => el('section', { class: 'group', 'data-edgedesk': 'queue', 'data-group': g.name, 'aria-label': `Group ${g.name}` },
      el('h3', { text: `${g.name} · ${g.open ? 'open' : 'closed'} · ${(g.queue || []).length} waiting` }),
      (g.queue || []).length ? el('ul', { class: 'waiting' }, ...(g.queue || []).map((q) => el('li', { 'data-session': q.session },
        el('span', { text: `${q.customer || `Customer ${q.session.slice(2, 8)}`}${q.lang ? ` (${q.lang})` : ''}${q.tier ? ` · ${q.tier}` : ''} · waiting ${wait(q.wait_seconds || 0)}` }), ' ',
        reassign(q.session, `the waiting chat of ${q.customer || q.session.slice(2, 8)}`)))) : el('p', { class: 'muted', text: 'Nobody waiting.' }),
      (g.agents || []).length ? el('table', {}, el('caption', { class: 'sr-only', text: `Agents of ${g.name}` }),
        el('thead', {}, el('tr', {}, ...['Agent', 'Status', 'Load', 'Chats'].map((h) => el('th', { scope: 'col', text: h })))),
        el('tbody', {}, ...g.agents.map((a) => el('tr', { 'data-edgedesk': 'agent-row', 'data-agent': a.id, 'data-status': a.status || (a.online ? 'online' : 'offline') },
          el('th', { scope: 'row', text: a.name || a.id }),
          el('td', { text: a.status || (a.online ? 'online' : 'offline') }),
          el('td', { text: `${a.load ?? a.chats.length}/${g.capacity || '?'}` }),
          el('td', {}, ...(a.chats || []).map((s) => el('span', { class: 'chip' }, el('span', { text: s.slice(0, 10) + '…', title: s }), ' ', reassign(s, `chat ${s} of ${a.name || a.id}`))))))))
        : el('p', { class: 'muted', text: 'No agent of this group is signed in.' }))));
    $('team-updated').textContent = `Updated ${new Date().toLocaleTimeString()}`;
    if (focused) { const b = $('team').querySelector(`[data-key="${CSS.escape(focused)}"]`); if (b) b.focus(); }
  }

  // ---- start ---------------------------------------------------------

  (async () => {
    try {
      const r = await api('GET', '/v1/auth/me');
      if (r.status === 401) return showSignIn('');
      if (r.status === 200 && r.data) {
        if (NEXT) return location.assign(NEXT);
        st.me = r.data;
      }
    } catch { /* the connection decides: an unauthorized hello brings the sign-in form */ }
    showApp();
  })();
})();
