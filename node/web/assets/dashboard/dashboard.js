// The supervisor dashboard: who is signed in (GET /v1/auth/me), then the
// node's figures, live, from GET /v1/admin/stats/live (server-sent events,
// `event: stats`, about one a second). Every update is applied in place:
// an element's text or attribute is written only when it changes, so focus,
// scroll and screen readers (aria-live tiles) see changes, not ticks.
// No framework, no build step, no request to another origin.
(() => {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const LIVE = '/v1/admin/stats/live';
  const STATS = '/v1/admin/stats';
  const STALE_MS = 10000; // no event for this long: the stream is reopened
  const SVGNS = 'http://www.w3.org/2000/svg';
  const HOUR = 3600e3;

  // ---- formatting: absent, null or non-finite numbers show as "—".

  const num = (v) => typeof v === 'number' && Number.isFinite(v);
  // arr and obj read a list or an object that may be absent, null or of
  // another shape: the page shows "—" for it rather than stopping.
  const arr = (v) => (Array.isArray(v) ? v.filter((x) => x && typeof x === 'object') : []);
  const obj = (v) => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});
  const nf = new Intl.NumberFormat();
  const nf1 = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const fmtInt = (v) => (num(v) ? nf.format(Math.round(v)) : '—');
  const fmtAvg = (v) => (num(v) ? nf1.format(v) : '—');
  const fmtPct = (v) => (num(v) ? `${Math.round(v * 100)}%` : '—');
  // fmtDur keeps each number with its unit (a no-break space): "3 s"
  // never wraps between the two.
  function fmtDur(s) {
    if (!num(s) || s < 0) return '—';
    s = Math.round(s);
    if (s < 60) return `${s}\u00a0s`;
    const m = Math.floor(s / 60);
    if (m < 60) return s % 60 ? `${m}\u00a0min ${s % 60}\u00a0s` : `${m}\u00a0min`;
    const h = Math.floor(m / 60);
    return m % 60 ? `${h}\u00a0h ${m % 60}\u00a0min` : `${h}\u00a0h`;
  }
  const hourFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
  const hourShort = new Intl.DateTimeFormat(undefined, { hour: 'numeric' });
  const clockFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const fmtHour = (ms) => hourFmt.format(ms);
  // Intent names are identifiers (track_order); people read "Track order".
  function readable(id) {
    const s = String(id).replace(/[_-]+/g, ' ').trim();
    return s ? s[0].toUpperCase() + s.slice(1) : String(id);
  }
  const REASONS = {
    requested: 'Asked for a person',
    asked: 'Asked for a person',
    not_understood: 'Bot did not understand',
    negative: 'Negative message',
    flow_abandoned: 'Flow abandoned',
  };
  const reasonText = (r) => REASONS[r] || readable(r);
  const csatText = (c) => (c && c.count > 0 && num(c.average) ? `${fmtAvg(c.average)} (${fmtInt(c.count)})` : '—');

  // ---- DOM writes that happen only on change.

  function text(el, s) {
    if (el.textContent !== s) el.textContent = s;
  }
  function attr(el, name, v) {
    v = String(v);
    if (el.getAttribute(name) !== v) el.setAttribute(name, v);
  }
  function show(el, on) {
    if (el.hidden === on) el.hidden = !on;
  }
  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === 'class') el.className = v;
      else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'role' || k === 'scope') el.setAttribute(k, v);
      else el[k] = v;
    }
    el.append(...kids);
    return el;
  }

  // sync makes parent's keyed children match items, in order: existing
  // elements are kept (and moved only when the order changed), new ones
  // made, gone ones removed.
  function sync(parent, items, key, make, update) {
    const old = new Map();
    for (const el of parent.children) old.set(el.dataset.key, el);
    let at = parent.firstElementChild;
    for (const it of items) {
      const k = String(key(it));
      let el = old.get(k);
      if (el) old.delete(k);
      else {
        el = make(it);
        el.dataset.key = k;
      }
      update(el, it);
      if (el !== at) parent.insertBefore(el, at);
      else at = at.nextElementSibling;
    }
    for (const el of old.values()) el.remove();
  }

  // ---- the figures.

  function tile(metric, value, note) {
    const el = document.querySelector(`[data-edgedesk=tile][data-metric=${metric}]`);
    text(el.querySelector('.value'), value);
    const n = el.querySelector('.note');
    if (n) text(n, note || '');
  }

  let last = null; // the last stats received
  let lastKey = ''; // last, serialized: charts are redrawn only when it changes

  function render(s) {
    const now = obj(s.now);
    const t = obj(s.totals);
    const agents = obj(now.agents);
    text($('node'), s.node ? `· ${s.node}` : '');

    tile('customers_connected', fmtInt(now.customers_connected));
    tile('agents_online', fmtInt(agents.online));
    tile('agents_away', fmtInt(agents.away));
    tile('conversations', fmtInt(t.conversations), num(t.messages) ? `${fmtInt(t.messages)} messages` : '');
    let rate = t.bot_resolution_rate;
    if (!num(rate) && num(t.bot_resolved) && t.conversations > 0) rate = t.bot_resolved / t.conversations;
    tile('bot_resolution_rate', fmtPct(rate), num(t.bot_resolved) && num(t.conversations) ? `${fmtInt(t.bot_resolved)} of ${fmtInt(t.conversations)} without a hand-over` : '');
    tile('handovers', fmtInt(t.handovers), num(t.handovers) && t.conversations > 0 ? `${fmtPct(t.handovers / t.conversations)} of conversations` : '');
    const csat = obj(t.csat);
    tile('csat_average', csat.count > 0 ? fmtAvg(csat.average) : '—', csat.count > 0 ? `out of 5, from ${fmtInt(csat.count)} rating${csat.count === 1 ? '' : 's'}` : 'no ratings yet');
    tile('csat_count', fmtInt(csat.count), csatSpread(obj(csat.by_score)));
    const [frt, frtNote] = firstResponse(s);
    tile('first_response_median', fmtDur(frt), frtNote);

    renderGroups(s);
    renderReasons(obj(t.handovers_by_reason));
    renderIntents('hour', arr(t.top_intents_hour));
    renderIntents('day', arr(t.top_intents_day));
    filterOptions(s);

    // The charts' window moves by the hour: s.to counts only by its hour.
    const key = JSON.stringify([s.series, s.forecast, Math.floor((Date.parse(s.to || s.generated_at) || 0) / HOUR)]);
    if (key !== lastKey) {
      lastKey = key;
      renderCharts(s);
      renderForecasts(arr(s.forecast));
    }
  }

  // csatSpread is the ratings by score, 5 to 1, for the count tile.
  function csatSpread(by) {
    const parts = ['5', '4', '3', '2', '1'].filter((k) => by[k] > 0).map((k) => `${k}★ ${fmtInt(by[k])}`);
    return parts.join(' · ');
  }

  // firstResponse is the node-wide median first response when the server
  // gives it (totals.first_response_median_seconds), else the one group's,
  // else the hand-over-weighted median of the groups' medians, said so.
  function firstResponse(s) {
    const t = obj(s.totals);
    // 0 with no hand-over is the node's "no samples", not a median.
    if (num(t.first_response_median_seconds) && (t.first_response_median_seconds > 0 || t.handovers > 0)) return [t.first_response_median_seconds, ''];
    const gs = arr(s.groups).filter((g) => num(g.first_response_median_seconds) && g.handovers > 0);
    if (gs.length === 0) return [null, ''];
    if (gs.length === 1) return [gs[0].first_response_median_seconds, arr(s.groups).length > 1 ? `in ${gs[0].name}` : ''];
    const w = gs.map((g) => ({ v: g.first_response_median_seconds, w: Math.max(1, g.handovers || 0) })).sort((a, b) => a.v - b.v);
    const half = w.reduce((a, x) => a + x.w, 0) / 2;
    let acc = 0;
    for (const x of w) {
      acc += x.w;
      if (acc >= half) return [x.v, `across ${gs.length} groups`];
    }
    return [null, ''];
  }

  function renderGroups(s) {
    const byName = new Map();
    for (const g of arr(obj(s.now).groups)) if (g.name != null) byName.set(g.name, { now: g });
    for (const g of arr(s.groups)) if (g.name != null) (byName.get(g.name) || byName.set(g.name, {}).get(g.name)).day = g;
    const rows = [...byName.entries()].map(([name, v]) => ({ name, now: v.now || {}, day: v.day || {} }));
    const body = $('groups');
    sync(body, rows, (r) => r.name, (r) => {
      const tr = h('tr', { 'data-edgedesk': 'group-row', 'data-group': r.name });
      tr.append(h('th', { scope: 'row' }, h('bdi', {}, r.name)));
      // data-label: the column's name, shown beside the value where the
      // table is laid out as cards (phones).
      for (const th of [...document.querySelectorAll('.groups thead th')].slice(1)) tr.append(h('td', { 'data-label': th.textContent }));
      return tr;
    }, (tr, r) => {
      const c = tr.children;
      const open = r.now.open;
      attr(tr, 'data-open', open === true ? 'true' : open === false ? 'false' : '');
      text(c[1], open === true ? '● Open' : open === false ? '○ Closed' : '—');
      text(c[2], fmtInt(r.now.agents_online));
      text(c[3], fmtInt(r.now.agents_away));
      text(c[4], fmtInt(r.now.waiting));
      text(c[5], r.now.waiting > 0 ? fmtDur(r.now.longest_wait_seconds) : '—');
      // The node sends 0 for a median without samples: a group no chat
      // reached has none.
      text(c[6], r.day.handovers > 0 ? fmtDur(r.day.first_response_median_seconds) : '—');
      text(c[7], r.day.handovers > 0 ? fmtDur(r.day.handle_median_seconds) : '—');
      text(c[8], csatText(obj(r.day.csat)));
      // A queue with nobody online to take it is what a supervisor acts on.
      attr(tr, 'data-alert', r.now.waiting > 0 && !(r.now.agents_online > 0) ? 'true' : 'false');
    });
    show($('groups-empty'), rows.length === 0);
  }

  // barItem is one row of a bar list: its label, a bar proportional to
  // the largest count and the count (and share) as text.
  function barItem(attrs) {
    return h('li', attrs, h('span', { class: 'name' }), h('span', { class: 'bar', 'aria-hidden': 'true' }, h('span')), h('span', { class: 'count' }));
  }
  function fillBar(li, label, count, max, share) {
    text(li.querySelector('.name'), label);
    attr(li.querySelector('.name'), 'title', label); // the whole name where it is cut short
    text(li.querySelector('.count'), share == null ? fmtInt(count) : `${fmtInt(count)} (${fmtPct(share)})`);
    const w = `${max > 0 ? Math.round((count / max) * 100) : 0}%`;
    const bar = li.querySelector('.bar > span');
    if (bar.style.inlineSize !== w) bar.style.inlineSize = w;
  }

  function renderReasons(by) {
    const items = Object.entries(by).filter(([, n]) => num(n)).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const total = items.reduce((a, [, n]) => a + n, 0);
    const max = items.length ? items[0][1] : 0;
    sync($('reasons'), items, ([r]) => r, ([r]) => barItem({ 'data-edgedesk': 'handover-reason', 'data-reason': r }),
      (li, [r, n]) => fillBar(li, reasonText(r), n, max, total > 0 ? n / total : null));
    show($('reasons-empty'), items.length === 0);
  }

  function renderIntents(window, list) {
    const items = list.filter((x) => x && x.intent != null && num(x.count));
    const max = items.reduce((a, x) => Math.max(a, x.count), 0);
    sync($(`intents-${window}`), items, (x) => x.intent,
      (x) => barItem({ 'data-edgedesk': 'top-intent', 'data-intent': x.intent, 'data-window': window }),
      (li, x) => {
        attr(li, 'data-count', x.count);
        fillBar(li, readable(x.intent), x.count, max, null);
      });
    show($(`intents-${window}-empty`), items.length === 0);
  }

  // The group filter lists every group seen since the page opened (a
  // filtered stream carries only its group).
  const known = new Set();
  function filterOptions(s) {
    const names = [...arr(obj(s.now).groups), ...arr(s.groups)].map((g) => g.name)
      .concat(arr(s.forecast).map((f) => f.group));
    const sel = $('group');
    for (const n of names) {
      if (n == null || known.has(n)) continue;
      known.add(n);
      const opts = [...sel.options].slice(1);
      const before = opts.find((o) => o.value.localeCompare(n) > 0) || null;
      sel.insertBefore(h('option', { value: n, textContent: n }), before);
    }
  }

  // ---- charts: inline SVG drawn at the plot's width, one unit a pixel,
  // so the text stays readable on a phone.

  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  // hours24 is the last 24 hourly slots, oldest first, ending with the
  // hour that holds s.to (or generated_at, or now), each with its series
  // entry when there is one.
  function hours24(s) {
    const end = Date.parse(s.to || s.generated_at) || Date.now();
    const lastHour = Math.floor((end - 1) / HOUR) * HOUR;
    const by = new Map();
    for (const p of arr(s.series)) {
      const t = Date.parse(p.hour);
      if (!Number.isNaN(t)) by.set(Math.floor(t / HOUR) * HOUR, p);
    }
    const out = [];
    for (let i = 23; i >= 0; i--) {
      const t = lastHour - i * HOUR;
      out.push({ t, p: by.get(t) || {} });
    }
    return out;
  }

  // niceMax rounds a chart's top up to 1, 2 or 5 × 10ⁿ.
  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = 10 ** Math.floor(Math.log10(v));
    for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  // draw returns an SVG of bars and lines over hourly slots. series items:
  // {kind: 'bar'|'line', cls, values (null: no point)}.
  function draw(width, slots, series, opts) {
    // floor: the least top of the scale, so few or no data keep whole ticks.
    const max = opts.max || niceMax(Math.max(opts.floor || 2, ...series.flatMap((x) => x.values.filter(num))));
    const tick = (v) => (opts.tick ? opts.tick(v) : Number.isInteger(v) ? fmtInt(v) : fmtAvg(v));
    // The value axis is as wide as its longest label (about 6.5 px a character at 11 px).
    // In right-to-left pages time runs from the right, as the page reads,
    // and the value axis is on the right.
    const rtl = document.documentElement.dir === 'rtl';
    const H = 170, top = 12, bottom = 24;
    const axisW = 8 + Math.ceil(6.5 * Math.max(...[0, max / 2, max].map((v) => tick(v).length)));
    const left = rtl ? 8 : axisW;
    const pw = Math.max(60, width - axisW - 8), ph = H - top - bottom;
    const n = slots.length;
    const slot = pw / n;
    const xAt = (i) => (rtl ? left + pw - (i + 1) * slot : left + i * slot);
    const y = (v) => top + ph - (Math.min(v, max) / max) * ph;
    let g = '';
    for (const f of [0, 0.5, 1]) {
      const v = max * f, yy = y(v).toFixed(1);
      g += `<line class="grid" x1="${left}" x2="${left + pw}" y1="${yy}" y2="${yy}"/>`;
      g += `<text class="tick" x="${rtl ? left + pw + 4 : left - 4}" y="${yy}" text-anchor="${rtl ? 'start' : 'end'}" dominant-baseline="middle">${esc(tick(v))}</text>`;
    }
    const every = slot < 18 ? 6 : slot < 30 ? 3 : 2;
    slots.forEach((sl, i) => {
      if (sl.band) g += `<rect class="${sl.band}" x="${xAt(i).toFixed(1)}" y="${top}" width="${slot.toFixed(1)}" height="${ph}"/>`;
      if (i % every === 0) g += `<text class="tick" x="${(xAt(i) + slot / 2).toFixed(1)}" y="${H - 6}" text-anchor="middle">${esc(hourShort.format(sl.t))}</text>`;
    });
    const bars = series.filter((x) => x.kind === 'bar');
    const bw = Math.max(1, (slot - 2) / Math.max(1, bars.length));
    bars.forEach((x, k) => {
      x.values.forEach((v, i) => {
        if (!num(v) || v <= 0) return;
        const off = rtl ? slot - 1 - (k + 1) * bw : 1 + k * bw;
        const cls = x.cls + (x.flag && x.flag[i] ? ' ' + x.flag[i] : '');
        g += `<rect class="${cls}" x="${(xAt(i) + off).toFixed(1)}" y="${y(v).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${(top + ph - y(v)).toFixed(1)}"/>`;
        if (x.mark && x.mark[i]) g += `<text class="mark" x="${(xAt(i) + off + bw / 2).toFixed(1)}" y="${(y(v) - 3).toFixed(1)}" text-anchor="middle">${esc(x.mark[i])}</text>`;
      });
    });
    for (const x of series.filter((s) => s.kind === 'line')) {
      // A slot without a value breaks the line: no point is invented.
      let d = '', dots = '', pen = false;
      x.values.forEach((v, i) => {
        if (!num(v)) { pen = false; return; }
        const cx = (xAt(i) + slot / 2).toFixed(1), cy = y(v).toFixed(1);
        d += `${pen ? 'L' : 'M'}${cx},${cy}`;
        pen = true;
        dots += `<circle class="${x.cls}" cx="${cx}" cy="${cy}" r="3"/>`;
      });
      g += `<path class="${x.cls}" d="${d}"/>${dots}`;
    }
    for (const x of series.filter((s) => s.kind === 'step')) {
      x.values.forEach((v, i) => {
        if (!num(v)) return;
        const yy = y(v).toFixed(1);
        g += `<line class="${x.cls}" x1="${xAt(i).toFixed(1)}" x2="${(xAt(i) + slot).toFixed(1)}" y1="${yy}" y2="${yy}"/>`;
      });
    }
    g += `<line class="axis" x1="${left}" x2="${left + pw}" y1="${top + ph}" y2="${top + ph}"/>`;
    if (series.every((x) => !x.values.some(num))) g += `<text class="none" x="${left + pw / 2}" y="${top + ph / 2}" text-anchor="middle">No data yet</text>`;
    return `<svg xmlns="${SVGNS}" role="img" aria-label="${esc(opts.label)}" width="${width}" height="${H}" viewBox="0 0 ${width} ${H}">${g}</svg>`;
  }

  function legend(items) {
    return `<ul class="legend">${items.map(([cls, name]) => `<li><span class="key ${cls}" aria-hidden="true"></span>${esc(name)}</li>`).join('')}</ul>`;
  }

  // table writes a chart's table alternative.
  function fillTable(table, caption, head, rows) {
    table.innerHTML = `<caption class="vh">${esc(caption)}</caption><thead><tr>${head.map((x) => `<th scope="col">${esc(x)}</th>`).join('')}</tr></thead>` +
      `<tbody>${rows.map((r) => `<tr><th scope="row">${esc(r[0])}</th>${r.slice(1).map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody>`;
  }

  function plotWidth(fig) {
    return Math.floor(fig.querySelector('.plot').clientWidth) || 320;
  }

  function renderCharts(s) {
    const slots = hours24(s);
    const sum = (k) => slots.reduce((a, x) => a + (num(x.p[k]) ? x.p[k] : 0), 0);
    const peak = (vals) => vals.reduce((b, v, i) => (num(v) && (b < 0 || v > vals[b]) ? i : b), -1);

    let fig = document.querySelector('[data-series=conversations]');
    const conv = slots.map((x) => (num(x.p.conversations) ? x.p.conversations : 0));
    const hand = slots.map((x) => (num(x.p.handovers) ? x.p.handovers : 0));
    const pk = peak(conv);
    fig.querySelector('.plot').innerHTML = draw(plotWidth(fig), slots, [
      { kind: 'bar', cls: 's-conv', values: conv },
      { kind: 'bar', cls: 's-hand', values: hand },
    ], { label: `Conversations and hand-overs per hour, last 24 hours: ${sum('conversations')} conversations, ${sum('handovers')} hand-overs` +
      (conv[pk] > 0 ? `; busiest hour ${fmtHour(slots[pk].t)} with ${conv[pk]}.` : '.') }) +
      legend([['s-conv', 'Conversations'], ['s-hand', 'Hand-overs']]);
    fillTable(fig.querySelector('table'), 'Conversations and hand-overs per hour', ['Hour', 'Conversations', 'Bot answered', 'Hand-overs', 'Messages'],
      slots.map((x) => [fmtHour(x.t), fmtInt(x.p.conversations || 0), fmtInt(x.p.bot_resolved || 0), fmtInt(x.p.handovers || 0), fmtInt(x.p.messages || 0)]));

    fig = document.querySelector('[data-series=csat]');
    const avg = slots.map((x) => (x.p.csat_count > 0 && num(x.p.csat_sum) ? x.p.csat_sum / x.p.csat_count : null));
    const rated = avg.filter(num).length;
    fig.querySelector('.plot').innerHTML = draw(plotWidth(fig), slots, [{ kind: 'line', cls: 's-csat', values: avg }],
      { max: 5, label: `CSAT average per hour on a 1 to 5 scale, last 24 hours: ${rated ? `ratings in ${rated} hours, lowest ${fmtAvg(Math.min(...avg.filter(num)))}, highest ${fmtAvg(Math.max(...avg.filter(num)))}` : 'no ratings'}.` }) +
      legend([['s-csat', 'Average rating (hours without ratings have no point)']]);
    fillTable(fig.querySelector('table'), 'CSAT per hour', ['Hour', 'Ratings', 'Average'],
      slots.map((x, i) => [fmtHour(x.t), fmtInt(x.p.csat_count || 0), fmtAvg(avg[i])]));

    fig = document.querySelector('[data-series=first_response]');
    const frt = slots.map((x) => (num(x.p.first_response_median_seconds) ? x.p.first_response_median_seconds : null));
    const fp = peak(frt);
    fig.querySelector('.plot').innerHTML = draw(plotWidth(fig), slots, [{ kind: 'bar', cls: 's-frt', values: frt }],
      { tick: fmtDur, floor: 10, label: `Median first response per hour, last 24 hours: ${fp >= 0 ? `slowest ${fmtDur(frt[fp])} at ${fmtHour(slots[fp].t)}` : 'no chats answered by agents'}.` }) +
      legend([['s-frt', 'Median time to an agent\u2019s first answer']]);
    fillTable(fig.querySelector('table'), 'First response per hour', ['Hour', 'Median first response'], slots.map((x, i) => [fmtHour(x.t), fmtDur(frt[i])]));
  }

  // ---- staffing forecast: per group, 24 hours of needed vs scheduled.

  let forecastIDs = 0;
  function renderForecasts(list) {
    sync($('forecasts'), list.filter((f) => f.group != null), (f) => f.group, (f) => {
      const id = `fc-${++forecastIDs}`;
      return h('section', { class: 'forecast', 'data-edgedesk': 'forecast', 'data-group': f.group, 'aria-labelledby': id },
        h('h3', { id }, h('bdi', {}, f.group)),
        h('p', { class: 'summary' }),
        h('figure', { class: 'chart', 'data-edgedesk': 'chart', 'data-series': 'forecast' }, h('div', { class: 'plot' })),
        // Open beside the chart on a laptop; folded under it on a phone.
        h('details', { open: window.matchMedia('(min-width: 761px)').matches },
          h('summary', {}, 'Hour by hour'),
          h('div', { class: 'scroll', role: 'region', 'aria-label': `${f.group}, hour by hour`, tabIndex: 0 },
            h('table', {}, h('thead', {}, h('tr', {}, ...['Hour', 'Expected chats', 'Agents needed', 'Agents scheduled', 'Status'].map((x) => h('th', { scope: 'col' }, x)))), h('tbody')))));
    }, renderForecast);
    show($('forecasts-empty'), list.length === 0);
  }

  function renderForecast(sec, f) {
    const hours = arr(f.hours).filter((x) => !Number.isNaN(Date.parse(x.hour)));
    const rows = hours.map((x) => {
      const need = num(x.agents_needed) ? x.agents_needed : null;
      const sched = num(x.agents_scheduled) ? x.agents_scheduled : 0;
      const short = x.open !== false && need != null ? Math.max(0, need - sched) : 0;
      return { x, t: Date.parse(x.hour), need, sched, short, closed: x.open === false };
    });
    const shortHours = rows.filter((r) => r.short > 0);
    const most = shortHours.reduce((a, r) => Math.max(a, r.short), 0);
    text(sec.querySelector('.summary'), (shortHours.length
      ? `⚠ Short in ${shortHours.length} of the next ${rows.length} hours (by up to ${most} agent${most === 1 ? '' : 's'}).`
      : rows.some((r) => r.need != null) ? '✓ Enough agents scheduled in every open hour.' : 'No forecast for these hours yet.') +
      (num(f.service_level) && num(f.answer_within_seconds) ? ` Target: ${fmtPct(f.service_level)} of chats answered within ${fmtDur(f.answer_within_seconds)}.` : ''));
    attr(sec, 'data-short-hours', shortHours.length);

    const fig = sec.querySelector('figure');
    const slots = rows.map((r) => ({ t: r.t, band: r.closed ? 'closed' : '' }));
    fig.querySelector('.plot').innerHTML = draw(plotWidth(fig), slots, [
      { kind: 'bar', cls: 's-need', values: rows.map((r) => r.need), flag: rows.map((r) => (r.short ? 'short' : '')), mark: rows.map((r) => (r.short ? `−${r.short}` : '')) },
      { kind: 'step', cls: 's-sched', values: rows.map((r) => (r.closed ? null : r.sched)) },
    ], { label: `${f.group}: agents needed per hour beside agents scheduled, next ${rows.length} hours. ` +
      (shortHours.length ? `Short at ${shortHours.map((r) => `${fmtHour(r.t)} by ${r.short}`).join(', ')}.` : 'No hour is short.') }) +
      legend([['s-need', 'Agents needed'], ['s-need short', 'Needed, short by (−n)'], ['s-sched', 'Agents scheduled'], ['closed', 'Closed']]);

    sync(sec.querySelector('tbody'), rows, (r) => r.x.hour, (r) => {
      const tr = h('tr', { 'data-edgedesk': 'forecast-hour', 'data-hour': r.x.hour });
      tr.append(h('th', { scope: 'row' }), h('td'), h('td'), h('td'), h('td'));
      return tr;
    }, (tr, r) => {
      attr(tr, 'data-needed', r.need == null ? '' : r.need);
      attr(tr, 'data-scheduled', r.sched);
      attr(tr, 'data-short', r.short);
      attr(tr, 'data-open', r.closed ? 'false' : 'true');
      const c = tr.children;
      text(c[0], fmtHour(r.t));
      text(c[1], num(r.x.arrivals) ? fmtAvg(r.x.arrivals) : '—');
      text(c[2], fmtInt(r.need));
      text(c[3], r.closed ? '—' : fmtInt(r.sched));
      text(c[4], r.closed ? 'Closed' : r.need == null ? '—' : r.short ? `⚠ Short by ${r.short}` : 'OK');
    });
  }

  // Charts are drawn at their width: redraw on resize (once per frame).
  let resizeQueued = false;
  let drawnWidth = 0;
  new ResizeObserver(() => {
    if (resizeQueued || !last) return;
    resizeQueued = true;
    requestAnimationFrame(() => {
      resizeQueued = false;
      if ($('main').clientWidth === drawnWidth) return; // grew taller: the charts still fit
      drawnWidth = $('main').clientWidth;
      renderCharts(last);
      for (const sec of $('forecasts').children) {
        const f = arr(last.forecast).find((x) => String(x.group) === sec.dataset.key);
        if (f) renderForecast(sec, f);
      }
    });
  }).observe($('main'));

  // ---- the connection: sign-in check, the stream, backoff.

  const live = document.querySelector('[data-edgedesk=live-status]');
  function state(name, label) {
    attr(live, 'data-state', name);
    text($('state'), label);
  }

  function refuse(title, body, link, href) {
    closeStream();
    state('refused', 'Not connected');
    text($('refused-title'), title);
    text($('refused-text'), body);
    text($('refused-link'), link);
    $('refused-link').href = href;
    show($('refused'), true);
    show($('board'), false);
    $('group').disabled = true;
  }
  const signIn = () => refuse('Sign in to see the dashboard', 'The dashboard shows this node\u2019s figures to signed-in supervisors and admins.',
    'Sign in', '/console?next=/dashboard');
  const notAllowed = () => refuse('The dashboard is for supervisors and admins', 'You are signed in as an agent: your chats are in the console.',
    'Open the console', '/console');

  let es = null;
  let retry = 0;
  let retryTimer = 0;
  let watchdog = 0;
  let lastAt = 0;

  function groupParam() {
    const g = $('group').value;
    return g ? `?group=${encodeURIComponent(g)}` : '';
  }

  function closeStream() {
    if (es) es.close();
    es = null;
    clearTimeout(retryTimer);
    clearTimeout(watchdog);
  }

  function open() {
    closeStream();
    state(retry ? 'reconnecting' : 'connecting', retry ? 'Reconnecting…' : 'Connecting…');
    const src = new EventSource(LIVE + groupParam());
    es = src;
    arm();
    src.addEventListener('stats', (e) => {
      if (src !== es) return;
      let s;
      try {
        s = JSON.parse(e.data);
      } catch {
        return; // one bad event: the next one, a second later, will do
      }
      if (!s || typeof s !== 'object') return;
      retry = 0;
      last = s;
      lastAt = Date.now();
      arm();
      render(s);
      if ($('board').hidden) {
        // Filled while hidden, the tiles' live regions announce nothing
        // on arrival, only later changes; the charts are drawn again once
        // they have a width.
        show($('board'), true);
        lastKey = '';
        render(s);
      }
      state('live', 'Live');
      text(live.querySelector('time'), clockFmt.format(lastAt));
      attr(live.querySelector('time'), 'datetime', new Date(lastAt).toISOString());
      show($('updated'), true);
    });
    src.addEventListener('error', () => {
      if (src === es) failed();
    });
  }

  // arm restarts the watchdog: a stream that goes quiet (a proxy holding
  // it, a suspended laptop) is reopened rather than trusted.
  function arm() {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => { if (es) failed(); }, STALE_MS);
  }

  // failed learns why the stream failed (an EventSource shows no status):
  // 401 and 403 stop, anything else retries with backoff and full jitter.
  async function failed() {
    closeStream();
    state('reconnecting', 'Reconnecting…');
    let status = 0;
    try {
      const r = await fetch(STATS + groupParam(), { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } });
      status = r.status;
      r.body && r.body.cancel().catch(() => {});
    } catch {
      // offline: retry
    }
    if (status === 401) return signIn();
    if (status === 403) return notAllowed();
    const delay = Math.random() * Math.min(30000, 1000 * 2 ** retry);
    retry = Math.min(retry + 1, 10);
    retryTimer = setTimeout(open, Math.max(500, delay));
  }

  $('group').addEventListener('change', () => {
    const u = new URL(location.href);
    if ($('group').value) u.searchParams.set('group', $('group').value);
    else u.searchParams.delete('group');
    history.replaceState(null, '', u);
    retry = 0;
    open();
  });

  // The stream comes back at once when the page is shown again after the
  // browser froze it.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && es && Date.now() - lastAt > STALE_MS) open();
  });

  async function start() {
    const params = new URL(location.href).searchParams;
    if (params.get('dir') === 'rtl') document.documentElement.dir = 'rtl';
    const g = params.get('group');
    if (g) {
      known.add(g);
      $('group').append(h('option', { value: g, textContent: g }));
      $('group').value = g;
    }
    let me = null;
    try {
      const r = await fetch('/v1/auth/me', { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } });
      if (r.status === 401) return signIn();
      if (r.ok) me = await r.json();
    } catch {
      // the node is unreachable: the stream's retries report it
    }
    if (me && me.role === 'agent') return notAllowed();
    if (me && me.name) {
      text($('who'), `Signed in as ${me.name} (${me.role})`);
      show($('who'), true);
    }
    open();
  }
  start();
})();
