/*! edgedesk chat widget. Widget protocol v1 (docs/PROTOCOL.md). Apache-2.0.
 * <script src="https://NODE/widget.js" async data-node=""></script>, or
 * EdgeDesk.init({node: "wss://NODE/v1/ws", token, locale: "auto"}).
 * One global (window.EdgeDesk); everything else lives in a Shadow DOM. */
(function (W, D) {
  'use strict';
  if (W.EdgeDesk) return;
  var SCRIPT = D.currentScript;
  var LS = W.localStorage;
  var HISTORY = 200; // messages kept in localStorage for an instant reload

  // UI strings; en is the fallback for missing languages and keys.
  var T = {
    en: { title: 'Chat with us', open: 'Open chat', close: 'Close chat', ph: 'Type a message…', send: 'Send', msg: 'Message',
      attach: 'Attach a photo or file', connecting: 'Connecting…', reconnecting: 'Reconnecting…', typing: 'Typing…',
      queue: 'You are number {p} in line (about {m} min).', back: 'We are back {t}.', away: 'Leave your email and we will answer you.',
      email: 'Email', thanks: 'Thanks! We will write to you.', rate: 'How was your chat?', comment: 'Comment (optional)',
      stars: '{n} of 5', rated: 'Thank you for your feedback!', failed: 'Not sent', slow: 'Sending too fast, retrying…',
      denied: 'Not authorized to chat.', uploading: 'Uploading…', agent: 'Agent', tr: 'Translated', orig: 'Show original' },
    es: { title: 'Chatea con nosotros', open: 'Abrir chat', close: 'Cerrar chat', ph: 'Escribe un mensaje…', send: 'Enviar', msg: 'Mensaje',
      attach: 'Adjuntar foto o archivo', connecting: 'Conectando…', reconnecting: 'Reconectando…', typing: 'Escribiendo…',
      queue: 'Eres el número {p} en la fila (unos {m} min).', back: 'Volvemos el {t}.', away: 'Déjanos tu correo y te responderemos.',
      email: 'Correo electrónico', thanks: '¡Gracias! Te escribiremos.', rate: '¿Qué tal fue el chat?', comment: 'Comentario (opcional)',
      stars: '{n} de 5', rated: '¡Gracias por tu opinión!', failed: 'No enviado', slow: 'Demasiado rápido, reintentando…',
      denied: 'No autorizado para chatear.', uploading: 'Subiendo…', agent: 'Agente', tr: 'Traducido', orig: 'Ver original' },
    fr: { title: 'Discutons', open: 'Ouvrir le chat', close: 'Fermer le chat', ph: 'Écrivez un message…', send: 'Envoyer', msg: 'Message',
      attach: 'Joindre une photo ou un fichier', connecting: 'Connexion…', reconnecting: 'Reconnexion…', typing: 'En train d’écrire…',
      queue: 'Vous êtes n° {p} dans la file (environ {m} min).', back: 'Nous revenons {t}.', away: 'Laissez votre e-mail, nous vous répondrons.',
      email: 'E-mail', thanks: 'Merci ! Nous vous écrirons.', rate: 'Comment s’est passé ce chat ?', comment: 'Commentaire (facultatif)',
      stars: '{n} sur 5', rated: 'Merci pour votre avis !', failed: 'Non envoyé', slow: 'Trop rapide, nouvel essai…',
      denied: 'Non autorisé à discuter.', uploading: 'Envoi…', agent: 'Conseiller', tr: 'Traduit', orig: 'Voir l’original' },
    de: { title: 'Chatten Sie mit uns', open: 'Chat öffnen', close: 'Chat schließen', ph: 'Nachricht schreiben…', send: 'Senden', msg: 'Nachricht',
      attach: 'Foto oder Datei anhängen', connecting: 'Verbinde…', reconnecting: 'Verbinde erneut…', typing: 'Schreibt…',
      queue: 'Sie sind Nummer {p} in der Warteschlange (etwa {m} Min.).', back: 'Wir sind zurück: {t}.', away: 'Hinterlassen Sie Ihre E-Mail, wir antworten Ihnen.',
      email: 'E-Mail', thanks: 'Danke! Wir schreiben Ihnen.', rate: 'Wie war der Chat?', comment: 'Kommentar (optional)',
      stars: '{n} von 5', rated: 'Danke für Ihr Feedback!', failed: 'Nicht gesendet', slow: 'Zu schnell, neuer Versuch…',
      denied: 'Keine Berechtigung zum Chatten.', uploading: 'Lädt hoch…', agent: 'Mitarbeiter', tr: 'Übersetzt', orig: 'Original anzeigen' },
    pt: { title: 'Fale conosco', open: 'Abrir chat', close: 'Fechar chat', ph: 'Escreva uma mensagem…', send: 'Enviar', msg: 'Mensagem',
      attach: 'Anexar foto ou arquivo', connecting: 'Conectando…', reconnecting: 'Reconectando…', typing: 'Digitando…',
      queue: 'Você é o número {p} na fila (cerca de {m} min).', back: 'Voltamos {t}.', away: 'Deixe seu e-mail e responderemos.',
      email: 'E-mail', thanks: 'Obrigado! Vamos escrever para você.', rate: 'Como foi o chat?', comment: 'Comentário (opcional)',
      stars: '{n} de 5', rated: 'Obrigado pela avaliação!', failed: 'Não enviada', slow: 'Rápido demais, tentando de novo…',
      denied: 'Sem autorização para conversar.', uploading: 'Enviando…', agent: 'Atendente', tr: 'Traduzido', orig: 'Ver original' },
    zh: { title: '在线客服', open: '打开聊天', close: '关闭聊天', ph: '输入消息…', send: '发送', msg: '消息',
      attach: '添加照片或文件', connecting: '正在连接…', reconnecting: '正在重新连接…', typing: '正在输入…',
      queue: '您前面还有 {p} 位（约 {m} 分钟）。', back: '我们将于{t}回来。', away: '请留下您的邮箱，我们会回复您。',
      email: '邮箱', thanks: '谢谢！我们会给您写信。', rate: '您对本次聊天满意吗？', comment: '评论（可选）',
      stars: '{n} 分（满分 5 分）', rated: '感谢您的评价！', failed: '未发送', slow: '发送过快，正在重试…',
      denied: '无权聊天。', uploading: '正在上传…', agent: '客服', tr: '已翻译', orig: '查看原文' },
    ja: { title: 'チャットでお問い合わせ', open: 'チャットを開く', close: 'チャットを閉じる', ph: 'メッセージを入力…', send: '送信', msg: 'メッセージ',
      attach: '写真やファイルを添付', connecting: '接続中…', reconnecting: '再接続中…', typing: '入力中…',
      queue: '{p} 番目にお待ちです（約 {m} 分）。', back: '{t}に再開します。', away: 'メールアドレスを残していただければ返信します。',
      email: 'メールアドレス', thanks: 'ありがとうございます。ご連絡します。', rate: 'チャットはいかがでしたか？', comment: 'コメント（任意）',
      stars: '5 段階中 {n}', rated: 'ご評価ありがとうございます！', failed: '未送信', slow: '送信が速すぎます。再試行中…',
      denied: 'チャットの権限がありません。', uploading: 'アップロード中…', agent: '担当者', tr: '翻訳済み', orig: '原文を表示' },
    ar: { title: 'تحدث معنا', open: 'فتح المحادثة', close: 'إغلاق المحادثة', ph: 'اكتب رسالة…', send: 'إرسال', msg: 'رسالة',
      attach: 'إرفاق صورة أو ملف', connecting: 'جارٍ الاتصال…', reconnecting: 'جارٍ إعادة الاتصال…', typing: 'يكتب…',
      queue: 'ترتيبك {p} في قائمة الانتظار (حوالي {m} دقيقة).', back: 'نعود {t}.', away: 'اترك بريدك الإلكتروني وسنرد عليك.',
      email: 'البريد الإلكتروني', thanks: 'شكرًا! سنراسلك.', rate: 'كيف كانت المحادثة؟', comment: 'تعليق (اختياري)',
      stars: '{n} من 5', rated: 'شكرًا على تقييمك!', failed: 'لم تُرسل', slow: 'الإرسال سريع جدًا، إعادة المحاولة…',
      denied: 'غير مصرح لك بالمحادثة.', uploading: 'جارٍ الرفع…', agent: 'موظف', tr: 'مترجم', orig: 'عرض النص الأصلي' }
  };

  var CSS =
    ':host{all:initial;position:fixed;top:0;left:0;width:0;height:0;--a:var(--edgedesk-accent,#1f4fd1);--b:var(--edgedesk-bg,#fff);--f:var(--edgedesk-fg,#1b1b1f);' +
    '--r:var(--edgedesk-radius,14px);font:15px/1.4 var(--edgedesk-font,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif);color:var(--f)}' +
    '*{box-sizing:border-box}button,input,textarea{font:inherit;color:inherit}' +
    '[hidden]{display:none!important}' +
    ':focus-visible{outline:3px solid var(--a);outline-offset:2px}._h :focus-visible{outline-color:#fff}' +
    'button{cursor:pointer;border:0;background:none;padding:0}' +
    '.l{position:fixed;bottom:20px;right:20px;width:56px;height:56px;border-radius:50%;background:var(--a);color:#fff;' +
    'box-shadow:0 4px 14px #0004;display:grid;place-items:center;z-index:2147483000}' +
    '.l svg{width:28px;height:28px;fill:#fff}' +
    '[data-edgedesk=attach] svg{width:20px;height:20px;display:block;margin:auto}' +
    '.p{position:fixed;bottom:88px;right:20px;width:370px;height:min(600px,calc(100vh - 108px));background:var(--b);' +
    'border-radius:var(--r);box-shadow:0 8px 30px #0005;display:flex;flex-direction:column;overflow:hidden;z-index:2147483001;' +
    'transition:opacity .15s,transform .15s}' +
    ':host([data-position=left]) .l,:host([data-position=left]) .p{right:auto;left:20px}' +
    '@media (max-width:480px){.p,:host([data-position]) .p{inset:0;width:auto;height:auto;border-radius:0}}' +
    '@media (prefers-reduced-motion:reduce){*{transition:none!important;animation:none!important}}' +
    '._h{background:var(--a);color:#fff;display:flex;align-items:center;padding:12px 14px;gap:8px}' +
    'h2{margin:0;flex:1;font-weight:600;font-size:16px;color:#fff}' +
    '._h button{color:#fff;font-size:24px;line-height:1;width:32px;height:32px;border-radius:8px}' +
    '.s{padding:4px 14px;font-size:13px;background:#fff3c4;color:#4d3b00}.s:empty{display:none}' +
    'ol{list-style:none;margin:0;padding:12px;flex:1;overflow-y:auto;display:flex;flex-direction:column;gap:8px}' +
    'li{max-width:85%;align-self:flex-start;padding:8px 12px;border-radius:var(--r);background:#eef0f4;color:#1b1b1f;white-space:pre-wrap;overflow-wrap:anywhere}' +
    'li[data-from=customer]{align-self:flex-end;background:var(--a);color:#fff}' +
    'li[data-from=customer] a{color:#fff}' +
    'li[data-from=system],li.e{align-self:center;background:none;color:#555;font-size:13px;text-align:center}' +
    'li.e{color:#a00}li[data-pending]{outline:2px dashed #fff9;outline-offset:-4px}' +
    'li small{display:block;font-size:12px;opacity:.85}li small button{text-decoration:underline;font-size:12px}li small button[aria-pressed=true]{font-weight:600}' +
    'li img{display:block;max-width:100%;max-height:180px;border-radius:8px;margin-top:4px}' +
    'a{color:var(--a)}' +
    '.q{display:flex;flex-wrap:wrap;gap:6px;padding:0 12px 8px}' +
    '.q button,form button{border:1px solid var(--a);color:var(--a);background:var(--b);border-radius:999px;padding:6px 12px}' +
    'li form{display:flex;flex-direction:column;gap:6px;text-align:start;margin-top:6px;color:#1b1b1f}' +
    'li form button{background:var(--a);color:#fff;align-self:flex-start}' +
    'input,textarea{border:1px solid #767676;border-radius:8px;padding:6px 8px;background:#fff;color:#1b1b1f}' +
    'fieldset{border:0;margin:0;padding:0;display:flex;gap:4px;flex-wrap:wrap}legend{margin-bottom:4px}' +
    'fieldset label{display:inline-flex;align-items:center;gap:2px}' +
    '.t{padding:0 14px 6px;font-size:13px;color:#555}' +
    '.c{display:flex;align-items:flex-end;gap:6px;padding:8px;border-top:1px solid #ddd}' +
    '.c textarea{flex:1;resize:none;max-height:120px;min-height:40px}' +
    '.c button{height:40px;min-width:40px;border-radius:8px;padding:0 10px}' +
    '.c [data-edgedesk=send]{background:var(--a);color:#fff}' +
    '.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}';

  function el(tag, attrs, kids) {
    var e = D.createElement(tag);
    for (var k in attrs || {}) {
      if (attrs[k] == null || attrs[k] === false) continue;
      if (k === 'text') e.textContent = attrs[k];
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c) e.append(c); });
    return e;
  }
  function rnd() {
    var a = new Uint8Array(12);
    (W.crypto || W.msCrypto).getRandomValues(a);
    return Array.from(a, function (b) { return (b + 256).toString(36).slice(-2); }).join('');
  }
  // Text with its URLs as links (FAQ answers end with "Title: URL" lines).
  function linkify(p, text) {
    String(text || '').split(/(https?:\/\/[^\s<>"]+)/).forEach(function (s, i) {
      p.append(i % 2 ? el('a', { href: s, target: '_blank', rel: 'noopener', text: s }) : s);
    });
    return p;
  }

  function init(opts) {
    if (W.EdgeDesk._w) return W.EdgeDesk._w;
    opts = Object.assign({}, dataOptions(), opts || {});
    var src = SCRIPT && SCRIPT.src ? new URL(SCRIPT.src) : W.location;
    var node = opts.node || (src.protocol === 'https:' ? 'wss://' : 'ws://') + src.host + '/v1/ws';
    var http = new URL(node.replace(/^ws/, 'http'));
    var locale = !opts.locale || opts.locale === 'auto' ? (navigator.languages || [])[0] || navigator.language || 'en' : opts.locale;
    var lang = locale.toLowerCase().split(/[-_]/)[0];
    if (lang == 'zh' && /[-_](hant|tw|hk|mo)\b/i.test(locale) && !/hans/i.test(locale)) lang = 'zh-Hant';
    if (!T[lang] && /^(it|nl|pl|ru|tr|ko|zh-Hant|id|vi|th)$/.test(lang)) {
      // Texts the widget does not carry: fetched from the node first;
      // calls made meanwhile run once it is built.
      var q = [], later = function (m) { return function (a) { q.push([m, a]); }; };
      fetch(http.origin + '/widget/i18n/' + lang + '.json').then(function (r) { return r.ok ? r.json() : {}; })
        .catch(function () { return {}; }).then(function (t) {
          T[lang] = t; W.EdgeDesk._w = null;
          var w = init(opts);
          q.forEach(function (c) { w[c[0]](c[1]); });
        });
      return (W.EdgeDesk._w = { open: later('open'), close: later('close'), send: later('send') });
    }
    var S = Object.assign({}, T.en, T[lang]);
    var rtl = /^(ar|he|iw|fa|ur)$/.test(lang);
    var key = 'edgedesk:' + node;
    var st = load();
    var ws = null, state = 'disconnected', tries = 0, timer = 0, acked = 0, ackTimer = 0, typingOn = false, typingTimer = 0;
    var uploadToken = '', denied = false, seen = new Map(), forms = {}, queue = '', tok;
    var skew = st.k || 0; // the node's clock minus this device's, in ms (welcome.server_time)

    function load() {
      try { var s = JSON.parse(LS.getItem(key)); if (s && s.msgs) return s; } catch (e) {}
      return { s: '', seq: 0, msgs: [], out: [], done: [] };
    }
    function save() {
      st.msgs = st.msgs.slice(-HISTORY);
      try { LS.setItem(key, JSON.stringify(st)); } catch (e) {}
    }
    function fmt(s, v) { return s.replace(/\{(\w)\}/g, function (_, k) { return v[k]; }); }

    // ---- DOM ----
    var host = el('edgedesk-widget', { 'data-position': opts.position === 'left' ? 'left' : 'right' });
    var root = host.attachShadow({ mode: 'open' });
    var input = el('textarea', { id: 'i', rows: 1, placeholder: S.ph, 'data-edgedesk': 'input', dir: 'auto', maxlength: 8000 });
    var file = el('input', { type: 'file', accept: 'image/*,application/pdf', hidden: true, tabindex: -1, 'aria-hidden': 'true', onchange: upload });
    var attach = el('button', { type: 'button', 'aria-label': S.attach, title: S.attach, 'data-edgedesk': 'attach', hidden: true,
      onclick: function () { file.click(); } });
    var log = el('ol', { 'aria-label': S.title });
    var status = el('div', { class: 's', role: 'status', 'data-edgedesk': 'status', 'data-state': state });
    var typing = el('div', { class: 't', hidden: true, text: S.typing });
    var quick = el('div', { class: 'q' });
    var live = el('div', { class: 'sr', 'aria-live': 'polite' });
    var launcher = el('button', { class: 'l', type: 'button', 'aria-label': S.open, 'aria-expanded': 'false', 'aria-controls': 'p',
      'data-edgedesk': 'launcher', onclick: function () { toggle(true); } });
    attach.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M21 11l-8.5 8.5a5 5 0 0 1-7-7L14 4a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 7"/></svg>'; // an icon, not an emoji: not every system has an emoji font
    launcher.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"/></svg>';
    var panel = el('section', { class: 'p', id: 'p', role: 'dialog', 'aria-labelledby': 'h', hidden: true, 'data-edgedesk': 'panel',
      dir: rtl ? 'rtl' : 'ltr', lang: locale,
      onkeydown: function (e) { if (e.key === 'Escape') toggle(false); } }, [
      el('div', { class: '_h' }, [el('h2', { id: 'h', text: opts.title || S.title }),
        el('button', { type: 'button', 'aria-label': S.close, 'data-edgedesk': 'close', text: '×', onclick: function () { toggle(false); } })]),
      status, log, typing, quick,
      el('form', { class: 'c', onsubmit: function (e) { e.preventDefault(); send(input.value); } }, [
        el('label', { for: 'i', class: 'sr', text: S.msg }), attach, file, input,
        el('button', { type: 'submit', 'data-edgedesk': 'send', text: S.send })]),
      live]);
    root.append(el('style', { text: CSS }), launcher, panel);
    input.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(input.value); }
    });
    input.addEventListener('input', function () {
      if (!typingOn) sendTyping(true);
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { sendTyping(false); }, 3000);
    });

    function toggle(open) {
      panel.hidden = !open;
      launcher.setAttribute('aria-expanded', String(open));
      if (open) { log.scrollTop = log.scrollHeight; input.focus(); } else launcher.focus();
    }
    function setStatus() {
      status.setAttribute('data-state', state);
      status.textContent = denied ? S.denied : state === 'connected' ? queue : state === 'connecting' && !tries ? S.connecting : S.reconnecting;
    }

    // Messages: one <li> per seq, in seq order; pending ones (no seq yet) last.
    function render(m, pending) {
      var li = el('li', { dir: 'auto', 'data-edgedesk': 'message', 'data-from': m.from, 'data-seq': pending ? null : m.seq, 'data-pending': !!pending,
        'data-notice': m.notice && m.notice.kind },
        [m.from === 'agent' ? el('small', { text: m.name || S.agent }) : null, linkify(el('span', { dir: 'auto' }), m.tr || m.text)]);
      // A machine translation: the original is one press away.
      if (m.tr) li.append(el('small', { 'data-edgedesk': 'translated' }, [S.tr + ' · ', el('button', { type: 'button', 'aria-pressed': 'false', onclick: function () {
        var o = this.getAttribute('aria-pressed') == 'false', p = this.parentNode.previousSibling;
        this.setAttribute('aria-pressed', o);
        p.replaceWith(linkify(el('span', { dir: 'auto', lang: o ? m.from0 : m.to }), o ? m.text : m.tr));
      } }, [S.orig])]));
      (m.att || []).forEach(function (a) {
        var url = new URL(a.url, http);
        if (!/^https?:$/.test(url.protocol)) return; // never a javascript: or data: link
        // A link of the node expires (exp): clicked then, the widget resumes for fresh ones; an image that fails shows its name.
        li.append(el('a', { href: url.href, target: '_blank', rel: 'noopener',
          onclick: function (e) { if (stale([a])) { e.preventDefault(); hangUp(); connect(); } } },
          [/^image\//.test(a.mime) ? el('img', { src: url.href, alt: a.name || '', onerror: function () { this.replaceWith(a.name || url.href); } }) : a.name || url.href]));
      });
      if (pending) li.cid = m.cid;
      return li;
    }
    function place(li, seq) {
      var kids = log.children;
      for (var i = 0; i < kids.length; i++) {
        var s = kids[i].getAttribute('data-seq');
        if (kids[i].hasAttribute('data-pending') || (s && +s > seq)) return log.insertBefore(li, kids[i]);
      }
      log.append(li);
    }
    // Whether links to the node's files expired (or do within a minute), by the node's clock: a device clock ahead would make every link stale.
    function stale(att) {
      return (att || []).some(function (a) {
        var u = new URL(a.url, http), x = u.searchParams.get('exp');
        return u.origin === http.origin && x && x * 1000 < Date.now() + skew + 60000;
      });
    }
    function show(m, fresh) {
      if (m.from === 'customer' && m.cid) dropPending(m.cid);
      var li = seen.get(m.seq);
      if (li) { // replayed for its fresh links
        if (fresh && m.att) {
          li.replaceWith(li = render(m));
          seen.set(m.seq, li);
          st.msgs = st.msgs.map(function (o) { return o.seq === m.seq ? m : o; });
        }
        return;
      }
      li = render(m);
      seen.set(m.seq, li);
      place(li, m.seq);
      if (fresh) {
        st.msgs.push(m);
        st.msgs.sort(function (a, b) { return a.seq - b.seq; });
        if (m.from !== 'customer') live.textContent = (m.from === 'agent' ? (m.name || S.agent) + ': ' : '') + (m.tr || m.text);
      }
      while (seen.has(st.seq + 1)) st.seq++;
      quickReplies();
      forms_();
      log.scrollTop = log.scrollHeight;
    }
    function dropPending(cid) {
      st.out = st.out.filter(function (o) { return o.cid !== cid; });
      Array.from(log.querySelectorAll('[data-pending]')).forEach(function (li) { if (li.cid === cid) li.remove(); });
    }
    function quickReplies() {
      var last = st.msgs[st.msgs.length - 1];
      quick.textContent = '';
      if (last && last.qr && !st.out.length) last.qr.forEach(function (q) {
        quick.append(el('button', { type: 'button', 'data-edgedesk': 'quick-reply', text: q, onclick: function () { send(q); } }));
      });
    }
    function note(text, code) {
      log.append(el('li', { class: 'e', 'data-edgedesk': 'error', 'data-code': code, text: text }));
      live.textContent = text;
      log.scrollTop = log.scrollHeight;
    }

    // Notices with a form: leave an email when nobody is there, rate a closed chat.
    function forms_() {
      var n = null;
      st.msgs.forEach(function (m) { if (m.notice) n = m; });
      var k = n && n.notice.kind;
      Object.keys(forms).forEach(function (s) { if (+s !== (n && n.seq)) { forms[s].remove(); delete forms[s]; } });
      if (!n || forms[n.seq] || st.done.indexOf(n.seq) >= 0) return;
      var box = seen.get(n.seq), f;
      if (k === 'team_closed' || k === 'no_agents') {
        var when = n.notice.opens_at && new Date(n.notice.opens_at);
        var em = el('input', { type: 'email', id: 'em', required: true, autocomplete: 'email' });
        f = el('form', { 'data-edgedesk': 'contact' }, [
          when && !isNaN(when) ? el('b', { text: fmt(S.back, { t: new Intl.DateTimeFormat(locale, { weekday: 'long', hour: 'numeric', minute: '2-digit' }).format(when) }) }) : null,
          el('span', { text: S.away }), el('label', { for: 'em', text: S.email }), em, el('button', { type: 'submit', text: S.send })]);
        f.onsubmit = function (e) { e.preventDefault(); request(f, n.seq, { type: 'contact', email: em.value.trim() }, S.thanks); };
      } else if (k === 'chat_closed') {
        var stars = el('fieldset', {}, [el('legend', { text: S.rate })]);
        for (var i = 1; i <= 5; i++) stars.append(el('label', {}, [el('input', { type: 'radio', name: 'score', value: i, required: true, 'aria-label': fmt(S.stars, { n: i }) }), '★'.repeat(i)]));
        var cm = el('textarea', { id: 'cm', rows: 2, maxlength: 1000 });
        f = el('form', { 'data-edgedesk': 'csat' }, [stars, el('label', { for: 'cm', text: S.comment }), cm, el('button', { type: 'submit', text: S.send })]);
        f.onsubmit = function (e) {
          e.preventDefault();
          var c = { type: 'csat', score: +f.querySelector(':checked').value };
          if (cm.value.trim()) c.comment = cm.value.trim();
          request(f, n.seq, c, S.rated);
        };
      }
      if (f && box) { forms[n.seq] = f; box.append(f); }
    }
    function request(f, seq, frame, thanks) {
      frame.cid = 'f' + rnd();
      f.cid = frame.cid;
      f.ok = function () { st.done.push(seq); save(); f.replaceWith(el('p', { role: 'status', text: thanks })); delete forms[seq]; };
      if (!put(frame)) note(S.reconnecting);
    }

    // ---- sending ----
    function send(text, att) {
      text = String(text || '').trim();
      if (!text && !att) return;
      var m = { cid: 'c' + rnd(), text: text, att: att, from: 'customer' };
      st.out.push(m);
      save();
      log.append(render(m, true));
      log.scrollTop = log.scrollHeight;
      input.value = '';
      quickReplies();
      sendTyping(false);
      if (denied && state !== 'connecting') { denied = false; connect(); }
      if (state === 'connected') put(frame(m));
    }
    function frame(m) {
      var f = { type: 'msg', cid: m.cid, text: m.text };
      if (m.att) f.attachments = m.att;
      return f;
    }
    function put(f) {
      if (!ws || state !== 'connected') return false;
      ws.send(JSON.stringify(f));
      return true;
    }
    function sendTyping(on) {
      clearTimeout(typingTimer);
      if (typingOn !== on && put({ type: 'typing', on: on })) typingOn = on;
    }
    function ack() {
      clearTimeout(ackTimer);
      ackTimer = setTimeout(function () { if (st.seq > acked && put({ type: 'ack', seq: st.seq })) acked = st.seq; }, 500);
    }
    function upload() {
      var f = file.files[0];
      file.value = '';
      if (!f || !uploadToken) return;
      status.textContent = S.uploading;
      fetch(new URL('/v1/files', http), { method: 'POST', body: f,
        headers: { Authorization: 'Bearer ' + uploadToken, 'X-Edgedesk-Filename': encodeURIComponent(f.name), 'Content-Type': f.type || 'application/octet-stream' } })
        .then(function (r) { if (r.status !== 201) throw new Error('HTTP ' + r.status); return r.json(); })
        .then(function (a) { a.url = new URL(a.url, http).href; setStatus(); send(input.value, [a]); })
        .catch(function (e) { setStatus(); note(S.failed + ': ' + f.name + ' (' + e.message + ')'); });
    }

    // ---- connection: one socket at a time; connecting → connected → disconnected ----
    function connect() {
      if (ws || state === 'connecting') return;
      clearTimeout(timer);
      state = 'connecting';
      setStatus();
      new Promise(function (ok) { ok(typeof opts.token === 'function' ? opts.token() : opts.token); }).then(function (token) {
        if (state !== 'connecting' || ws) return;
        tok = token;
        var s = ws = new WebSocket(node);
        s.onopen = hello;
        s.onmessage = function (e) { if (s === ws) onFrame(JSON.parse(e.data)); };
        s.onclose = function () { if (s === ws) dropped(); };
        setTimeout(function () { if (s === ws && state !== 'connected') hangUp(); }, 15000);
      }).catch(dropped);
    }
    function hello() {
      var h = { type: 'hello', v: 1, locale: locale, channel: 'web' };
      try { h.tz = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) {}
      if (tok) h.token = tok;
      if (opts.customer) h.customer = opts.customer;
      if (st.s) { // resume; from before the first message whose links expired, to get fresh ones
        h.session = st.s;
        h.last_seq = st.seq;
        st.msgs.forEach(function (m) { if (m.seq <= h.last_seq && stale(m.att)) h.last_seq = m.seq - 1; });
      }
      ws.send(JSON.stringify(h));
    }
    function dropped() {
      ws = null;
      state = 'disconnected';
      typing.hidden = true;
      setStatus();
      clearTimeout(timer);
      // Exponential backoff with full jitter: 0 … min(30 s, 0.5 s · 2^tries).
      if (!denied || typeof opts.token === 'function') timer = setTimeout(connect, Math.random() * Math.min(30000, 500 * Math.pow(2, tries++)));
    }
    function hangUp() { if (ws) { var s = ws; dropped(); s.close(); } }

    function onFrame(f) {
      switch (f.type) {
        case 'welcome':
          if (f.session !== st.s) { // a new session: the old one's history does not continue here
            st = { s: f.session, seq: 0, msgs: [], out: st.out, done: [] };
            seen.clear();
            forms = {};
            Array.from(log.querySelectorAll('[data-seq],.e')).forEach(function (li) { li.remove(); });
          }
          var t = Date.parse(String(f.server_time).replace(/(\.\d{3})\d+/, '$1'));
          if (t) skew = st.k = t - Date.now();
          state = 'connected';
          tries = 0;
          denied = false;
          acked = 0;
          uploadToken = f.upload || '';
          attach.hidden = !uploadToken;
          if (W.performance && performance.mark && !performance.getEntriesByName('edgedesk:connected').length) performance.mark('edgedesk:connected');
          save();
          setStatus();
          st.out.forEach(function (m) { put(frame(m)); }); // same cid: stored once
          ack();
          break;
        case 'receipt':
          var o = st.out.filter(function (m) { return m.cid === f.cid; })[0];
          if (o) show({ seq: f.seq, from: 'customer', cid: o.cid, text: o.text, att: f.attachments || o.att, ts: new Date().toISOString() }, true); // the files as stored, fresh links
          save();
          ack();
          break;
        case 'msg':
          if (f.from === 'agent' || (f.notice && f.notice.kind === 'agent_joined')) queue = '';
          var x = f.translation && f.translation.status == 'translated' && f.translation;
          show({ seq: f.seq, from: f.from, text: f.text, ts: f.ts, cid: f.cid, att: f.attachments, qr: f.quick_replies,
            name: f.agent && f.agent.name, notice: f.notice, tr: x && x.text, from0: x && x.from, to: x && x.to }, true);
          if (f.from !== 'customer') typing.hidden = true;
          setStatus();
          save();
          ack();
          break;
        case 'queue':
          queue = fmt(S.queue, { p: f.position, m: Math.max(1, Math.round((f.eta_s || 0) / 60)) });
          setStatus();
          break;
        case 'typing':
          typing.hidden = !f.on || f.from === 'customer';
          break;
        case 'ok':
          Object.keys(forms).forEach(function (s) { if (forms[s].cid === f.cid) forms[s].ok(); });
          break;
        case 'error':
          onError(f);
      }
    }
    function onError(f) {
      var form = f.cid && Object.keys(forms).map(function (s) { return forms[s]; }).filter(function (x) { return x.cid === f.cid; })[0];
      if (f.code === 'no_session') { // expired: start a new session on this connection, keep the outbox
        st.s = '';
        hello();
      } else if (f.code === 'rate_limited' || f.code === 'unavailable') { // not stored: resend later, same cid
        var o = st.out.filter(function (m) { return m.cid === f.cid; })[0];
        if (o) setTimeout(function () { if (st.out.indexOf(o) >= 0) put(frame(o)); }, 1000 + Math.random() * 2000);
        status.textContent = S.slow;
      } else if (f.code === 'unauthorized') {
        denied = true;
        setStatus();
        note(S.denied + ' (' + f.message + ')', f.code);
      } else {
        if (f.cid && st.out.some(function (m) { return m.cid === f.cid; })) { // refused for good: not pending any more
          Array.from(log.querySelectorAll('[data-pending]')).forEach(function (li) {
            if (li.cid === f.cid) { li.removeAttribute('data-pending'); li.setAttribute('data-failed', ''); li.append(el('small', { text: S.failed })); }
          });
          st.out = st.out.filter(function (m) { return m.cid !== f.cid; });
          save();
        }
        note((form ? '' : f.code + ': ') + f.message, f.code);
      }
    }

    // First paint from the cache, then connect (resume replays only what is missing).
    st.msgs.forEach(function (m) { show(m, false); });
    st.out.forEach(function (m) { log.append(render(m, true)); });
    quickReplies();
    setStatus();
    (D.body || D.documentElement).append(host);
    W.addEventListener('online', function () { tries = 0; if (!ws) connect(); });
    W.addEventListener('offline', hangUp);
    connect();
    if (opts.open) toggle(true);
    return (W.EdgeDesk._w = {
      open: function () { toggle(true); },
      close: function () { toggle(false); },
      send: send
    });
  }

  // Options from the script tag's data- attributes (data-node, data-token, …).
  function dataOptions() {
    var o = {}, ds = (SCRIPT && SCRIPT.dataset) || {};
    for (var k in ds) o[k] = ds[k] === 'true' ? true : ds[k] === 'false' ? false : ds[k];
    return o;
  }

  W.EdgeDesk = {
    init: init,
    open: function () { init().open(); },
    close: function () { if (W.EdgeDesk._w) W.EdgeDesk._w.close(); }
  };
  if (SCRIPT && SCRIPT.hasAttribute('data-node')) {
    if (D.readyState === 'loading') D.addEventListener('DOMContentLoaded', function () { init(); });
    else init();
  }
})(window, document);
