// Package sentiment is a small, fast, explainable signal for strongly
// negative customer messages — the ones the bot should hand to a human:
// anger, insults and profanity, fraud and theft accusations, legal,
// chargeback and report threats ("this is the worst service ever, I want
// my money back NOW!!!", "太差了，垃圾服务", "¡Es una estafa, estoy harto!").
// A polite complaint ("my order is late, can you check?") is not strongly
// negative: a false escalation costs an agent's time, so the signal is
// tuned for precision.
//
// Analyze(text, lang) returns a Score: Value in [-1, 1], Negative when
// Value <= StrongNegative, and Hits, the number of lexicon terms that
// contributed. Explain also returns those terms and their weights, for
// logs. Analyze does not allocate, takes about 1–2 µs for a chat-sized
// message, and is safe for concurrent use: the lexicons are parsed once at
// package initialisation and only read afterwards.
//
// # Method
//
// No model and no network: hand-written lexicons (lexicon/*.txt, embedded)
// for English, Spanish, Portuguese, French, German and Chinese (simplified,
// with traditional variants generated from a small character table), plus
// emoji. Each term has a weight on a -4..+4 scale: -4 profanity, insults,
// fraud/theft accusations, legal and chargeback threats; -3 strong anger
// or disgust; -2 calm negativity ("disappointed"); -1 or less the
// description of a problem ("late", "broken", "色差"). One left-to-right
// pass over the message:
//
//   - Words of space-separated scripts are lower-cased and accent-folded
//     ("PÉSIMO" → "pesimo", "Größe" → "grosse", fullwidth → ASCII) and
//     looked up whole; two-word terms ("rip off", "nunca más") replace
//     their first word. "n't" stays in its word ("don't" → "dont"), other
//     apostrophes split ("l'arnaque"). Elongated words are retried with
//     their letter runs cut ("baaad" → "bad") and weigh 1.2×; unknown words
//     that contain a profanity root ("thisgoddamn") weigh -4.
//   - Chinese (and emoji) have no spaces: at each character the longest
//     lexicon term starting there is matched. Neutral "stopper" compounds
//     hide shorter terms inside them ("不好意思" excuse me, "操作" operate,
//     "摇滚" rock music, "垃圾袋" bin bag).
//   - A negator ("not", "no", "nunca", "nicht", "pas", "não", "不", "没")
//     affects the next three words: a positive term weighs -0.6× ("not
//     good"), a negative one -0.2× ("not bad", "no está mal", "不差").
//     Profanity and insults are not negated ("don't fucking ignore me").
//   - An intensifier multiplies the next sentiment term within two words
//     ("very" 1.5, "muy" 1.5, "太" 1.5, "非常" 1.5); a diminisher damps it
//     ("a bit" 0.6, "有点" 0.5). A contrast word ("but", "pero", "但是")
//     halves the positive sum before it.
//   - An ALL CAPS term weighs 1.5×. The message total is amplified by
//     +0.15 for one '!' and +0.3 for two or more, +0.2 if any word of three
//     or more letters is in capitals (known acronyms such as ATM or DHL
//     excepted, lexicon/acronyms.txt), and +0.1 for "??".
//   - Clause punctuation ends negation and intensifier scopes.
//   - Value = s / sqrt(s² + 15), where s is the amplified sum.
//
// lang (a BCP 47 tag, possibly empty or wrong) does not select a lexicon:
// every lexicon applies to every message, so a wrong tag costs little.
// lang only resolves the few words whose meaning differs between covered
// languages: French "con" (an insult, "with" in Spanish) counts only for
// French, German "mal" ("once") is not Spanish "mal", Portuguese "no" ("in
// the") is not a negator, "golpe" (scam) counts only for Portuguese.
//
// The lexicons were written for edgedesk by the project, from the authors'
// knowledge of customer-support chat; they do not derive from AFINN (ODbL),
// VADER, NRC, SentiWordNet, SentiWS, HowNet or any other published list.
// Each file has a few hundred entries at most (TestLexiconSize).
//
// # Threshold
//
// StrongNegative = -0.6: the most negative threshold on a 0.05 grid that
// keeps a recall of at least 0.95 on the tuning data (the tune half of
// testdata/labelled.jsonl and Bitext train), chosen on that data only.
// A single weight -3 term is enough; a weight -2 term needs an
// intensifier, exclamation marks, capitals or company.
//
// # Measured
//
// Reproduce with
//
//	go test ./node/sentiment -run 'TestReport|TestThirdPartyFlagRate|TestThresholdSweep' -v
//
// Hand-labelled set (testdata/labelled.jsonl, written by the project: 64
// messages each for en, es, zh, 24 each for de, fr, pt; half strongly
// negative), on the check half, which was not used for tuning:
//
//	lang  n   precision      recall
//	en    32  1.00 (14/14)   0.88 (14/16)
//	es    32  1.00 (15/15)   0.94 (15/16)
//	zh    32  1.00 (15/15)   0.94 (15/16)
//	de    12  1.00 (6/6)     1.00 (6/6)
//	fr    12  1.00 (6/6)     1.00 (6/6)
//	pt    12  1.00 (6/6)     1.00 (6/6)
//	all  132  1.00 (62/62)   0.94 (62/66)
//
// These figures are optimistic: the same person wrote the lexicons and the
// messages, and the sets are small (one error moves a language by 6–17
// points). The misses are messages with no lexicon term ("WHERE IS MY
// ORDER?? I PAID TWO WEEKS AGO!!!", "seriously?? ... unbelievable") or
// with one weak term.
//
// Bitext customer-support dev split (454 English utterances, independent
// of the lexicons; label: tag W, "offensive language"): precision 0.97
// (30/31), recall 1.00 (30/30). Tag W is almost entirely the words damn,
// goddamn, bloody and fucking, so this measures the profanity list, not
// negativity in general; the one false positive is a typo, "assistance
// suing the Platinum account". Negative rate among intent complaint 0.06
// (1/16: "... was bad, file a damn complaint") against 0.07 (30/438: 29
// with profanity, plus the typo) for the other intents: Bitext complaints
// are requests to file one ("help me file a complaint against
// your company"), which the signal rightly leaves to the intent
// classifier; the English word "complaint" weighs only -1 (Chinese
// "投诉", a threat to complain to the platform, weighs -3).
//
// Third-party message sets without sentiment labels (share flagged, an
// upper bound on false escalations): BANKING77 train 0.51% (51/10,003;
// 23 are real anger at the bank, 18 are customers reporting card fraud,
// flagged by design), CLINC150 dev 0.71%, MASSIVE dev en-US 0.30%, de-DE
// 0.52%, zh-CN 0.79% (mostly "投诉" in requests to post a complaint),
// MASSIVE train zh-TW 0.48%, xSID dev en/de/zh 0%. These sets were read
// after the check measurement and revealed collisions that were then
// fixed (摇滚, 妈妈的, German "Lied", "trash can", acronyms counted as
// shouting, "someone stole my card" — "stole" now weighs -2 and "you
// stole" -4), so they are no longer blind: before the fixes BANKING77
// flagged 73, MASSIVE en-US 9, zh-CN 27, de-DE 10. CLINC150 and MASSIVE
// zh-TW (61 flagged at first) were read after those fixes and led to three
// more (BB&T matching "BBB", 垃圾郵件 spam mail, 老媽 mum).
//
// TestReport fails if check precision or recall, or Bitext dev precision
// or recall, falls below floors set from these figures minus a margin;
// TestThirdPartyFlagRate fails if a flag rate rises above a ceiling.
//
// # Limits
//
//   - Sarcasm and irony are missed or inverted ("Great, another delay.
//     Thanks a lot." scores positive; "thanks for nothing" too).
//   - Anger without lexicon words is missed: capitals and "!!!" only
//     amplify a sentiment that is already there.
//   - Literal uses of strong words are flagged: a customer reporting card
//     fraud or a thief, "trash" in "take out the trash",
//     "垃圾" meaning rubbish, jokes about lawyers. Questions are not
//     softened ("Is this site a scam?" is strongly negative).
//   - Negation is a fixed three-word window; "don't lie to me" becomes
//     mildly positive.
//   - Languages: en, es, pt, fr, de, zh only. Italian, Japanese, Korean,
//     Russian, Arabic and the rest score 0 unless they contain emoji or
//     words shared with a covered language; Japanese kanji may match
//     Chinese terms. Portuguese "golpe" needs a pt tag (in Spanish it is a
//     dent). Romanised Chinese (pinyin) is not covered.
//   - Only the first 4096 bytes of a message are read.
package sentiment
