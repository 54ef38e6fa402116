// Package faq is the FAQ store the bot answers from: for an intent and a
// customer's languages, the answer to send, as a template filled with what
// the conversation engine knows (an order number, the customer's name).
// It answers from a local bbolt file, so a node answers common questions
// itself, in the customer's language, even when offline.
//
// Callers: the conversation engine (node/convo) builds a language chain
// with Chain, calls Store.Lookup and renders the Answer; the CLI
// (edgedesk faq import|export) and the admin API call Import and Export;
// a sync layer will call Replace with the set received from the core.
//
// # Sets, versions and atomicity
//
// The store holds one set of entries at a time, one entry per (intent,
// lang). Every Replace — and Import, which is parse, validate, Replace —
// stores a whole new set as version Version()+1 in a single bbolt
// transaction; only after it has committed does the in-memory snapshot
// (an atomic pointer to an immutable Snapshot) switch to the new set. So
// a reader sees the old set or the new one, never a mix, and Lookup takes
// no lock and does not allocate. To answer from one set across several
// lookups, take a Snapshot and look up in it. A store never written has
// version 0; replacing with an identical set still makes a new version
// (an import means "this is now the set"). Each entry carries the set
// version in which it last changed: an entry equal to the one it
// replaces keeps its version (and its *Answer), so a sync layer can tell
// what changed. Writers are serialised; on any error nothing changes.
//
// # Layout in bbolt
//
//	meta:    "schema"  → 0x01 (layout version; Open refuses others)
//	         "version" → set version, uint64 big endian (absent: 0)
//	entries: intent 0x00 lang → Entry as JSON, with its version
//
// Lang in the key is canonical (CanonicalLang). Replace deletes the keys
// the new set lacks and writes only entries whose stored JSON differs.
// Open loads everything into memory; a stored entry that no longer
// validates is skipped with a warning (and removed by the next Replace).
//
// # Entries
//
// Intent is [a-z0-9_]{1,64}; names starting with "_" are reserved bot
// texts (IntentFallback "_fallback", IntentHandoff "_handoff",
// IntentFlowCancelled, IntentFlowExpired, and any other "_name"). Lang is
// a BCP 47 tag, stored canonical ("es-mx" → "es-MX", "zh_hant" →
// "zh-Hant"); extensions and private use are refused. Answer (required)
// and Ask are templates of at most 4096 bytes, in which "\r\n" and "\r"
// become "\n"; QuickReplies are ≤ 10 one-line labels of 1..64 bytes;
// Links ≤ 5, each a title (1..128 bytes, one line) and an absolute
// http(s) URL without spaces, quotes or angle brackets. Text must be
// valid UTF-8 without control characters (templates may hold newlines
// and tabs). A set holds at most 100,000 entries.
//
// # Templates
//
// A template is text with placeholders:
//
//	{{name}}              the variable's value; the template cannot be
//	                      rendered without one
//	{{name|default text}} the value, or the default text when there is none
//
// Spaces around the name are allowed ({{ name }}); the default is
// everything after the first "|" up to "}}", verbatim (it may be empty:
// "{{name|}}您好" renders "您好" without a name). Every "{{" opens a
// placeholder: a literal "{{" cannot be written, and a "{{" without a
// closing "}}" is an error. Single braces and a lone "}}" are literal
// text. Values are inserted verbatim (the widget shows plain text); an
// empty value counts as no value.
//
// The variables, and where their values come from:
//
//	extracted from the customer's messages: order_number, tracking_number, email, phone
//	from the session: name (the customer's name, when known), local_time ("14:05"),
//	                  local_date ("2026-11-21"), local_weekday
//
// Any other name is refused when an entry is validated. When Answer uses
// an extracted variable without a default, Ask is required: it is what
// the bot says instead ("What is your order number?"), and it may use
// only session variables or variables with defaults. Answer.Render does
// the choice: Answer when it can be filled in, else Ask.
//
// # Language chain
//
// Chain(locale, detected, default, extra) gives the languages to try,
// most specific first: the declared locale and its parents, the detected
// language of the message and its parents — first, when its base
// language differs from the locale's, because a customer who writes in
// Spanish wants Spanish whatever the browser says — then the default
// language and its parents; each tag followed right away by its
// configured extra fallbacks (extra["es-MX"] = ["es-419"] gives es-MX,
// es-419, es). Chinese falls back through its script: zh-TW, zh-HK →
// zh-Hant, zh; zh-CN, zh-SG → zh-Hans, zh; a bare zh → zh-Hans. Lookup
// then tries each tag exactly as given.
//
// # Import and export formats
//
// JSONL (also "json", "ndjson"): one Entry object a line, as in the
// Entry JSON tags; blank lines and lines starting with "#" are ignored;
// unknown fields are errors; version is ignored. Lines up to 64 KiB. A
// UTF-8 byte order mark is skipped.
//
//	{"intent":"track_order","lang":"en","answer":"Order #{{order_number}} …","ask":"What is your order number?","quick_replies":["Talk to a person"],"links":[{"title":"My orders","url":"https://shop.example.com/orders"}],"version":3}
//
// CSV (RFC 4180, encoding/csv; spreadsheet friendly): a header row, then
// one entry a record. Columns, in any order: intent, lang, answer
// (required), ask, quick_replies, links, version (optional; version is
// ignored on import); an unknown column is an error. quick_replies holds
// one reply a line and links one link a line as "Title <https://url>",
// inside the quoted cell (Alt+Enter in a spreadsheet). Empty lines in
// those cells are ignored.
//
// Import reads the whole input and validates all of it before changing
// anything, collecting every problem (up to 1000) as a LineError naming
// the line (for CSV, the line the record starts on) and the field, in an
// *ImportError that wraps ErrInvalid; a duplicate (intent, lang) names
// both lines. An input without entries is refused (Replace(nil) empties a
// store). Inputs are limited to 256 MiB and 100,000 entries.
//
// Export writes the set sorted by intent, then lang, with each entry's
// version: JSONL through encoding/json (HTML characters not escaped), CSV
// with every column. Importing an export into a fresh store and exporting
// again reproduces it byte for byte when the versions agree (a fresh
// import gives every entry version 1).
//
// All exported functions and methods are safe for concurrent use.
package faq
