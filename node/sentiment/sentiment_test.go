package sentiment

import (
	"math"
	"strings"
	"sync"
	"testing"
)

func TestAnalyze(t *testing.T) {
	for _, tc := range []struct {
		name, text, lang string
		negative         bool
	}{
		{"brief en", "this is the worst service ever, I want my money back NOW!!!", "en", true},
		{"brief zh", "太差了，垃圾服务", "zh", true},
		{"brief es", "¡Es una estafa, estoy harto!", "es", true},
		{"polite complaint", "my order is late, can you check?", "en", false},
		{"polite complaint es", "Mi pedido llegó tarde y un poco dañado, ¿me ayudan?", "es", false},
		{"polite complaint zh", "快递有点慢，能帮我查一下吗？", "zh", false},
		{"question", "Can I change the delivery address?", "en", false},
		{"empty", "", "", false},
		{"profanity", "where is my fucking parcel", "en", true},
		{"mild expletive", "I need to change the damn address", "en", true},
		{"profanity es", "qué mierda", "es", true},
		{"profanity zh", "他妈的又发错了", "zh", true},
		{"profanity de", "So eine Scheiße", "de", true},
		{"scam es", "esto es una estafa", "es", true},
		{"scam zh", "骗子", "zh", true},
		{"complain zh", "我要投诉", "zh", true},
		{"chargeback", "I'll do a chargeback", "en", true},
		{"lawyer", "my lawyer will contact you", "en", true},
		{"fraud de", "Das ist Betrug", "de", true},
		{"fraud fr", "c'est une arnaque", "fr", true},
		{"fraud pt", "isso é golpe", "pt-BR", true},
		{"negated profanity stays", "don't fucking ignore me", "en", true},
		{"root in joined word", "i do not want thisgoddamn item", "en", true},
		{"masked profanity", "what the f*ck", "en", true},
		{"elongated", "fuuuuck", "", true},
		{"traditional", "你們是詐騙集團", "zh-TW", true},
		{"traditional no lang", "騙子", "", true},
		{"emoji", "where is my order 😡😡", "", true},
		{"wrong lang", "¡Es una estafa, estoy harto!", "en", true},
		{"no lang zh", "太差了，垃圾服务", "", true},
		{"pair", "total rip-off", "en", true},
		{"pair es", "pésimo, nunca más", "es", true},
		{"stopper zh", "不好意思，我出差了，怎么操作？", "zh", false},
		{"french con only in french", "c'est un con", "fr", true},
		{"spanish con is with", "pago con tarjeta", "es", false},
		{"german mal is once", "schau mal nach", "de", false},
		{"intensified mild", "I am extremely disappointed", "en", true},
		{"mild alone", "I am disappointed", "en", false},
		{"negated positive is mild", "the product is not good", "en", false},
		{"not angry", "I'm not angry, just tell me where it is", "en", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, m := Explain(tc.text, tc.lang)
			if s.Negative != tc.negative {
				t.Errorf("Analyze(%q, %q) = %+v, want Negative %v; matches %v", tc.text, tc.lang, s, tc.negative, m)
			}
		})
	}
}

// TestOrdering checks the direction of each modifier: the first text must
// score strictly lower (more negative) than the second.
func TestOrdering(t *testing.T) {
	for _, tc := range []struct {
		name, lower, higher, lang string
	}{
		{"intensifier", "very bad", "bad", "en"},
		{"intensifier es", "muy malo", "malo", "es"},
		{"intensifier zh", "太差", "差", "zh"},
		{"intensifier zh 非常", "非常差", "差", "zh"},
		{"diminisher", "late", "a bit late", "en"},
		{"diminisher zh", "慢", "有点慢", "zh"},
		{"negation", "not good", "good", "en"},
		{"negation flips bad", "bad", "not bad", "en"},
		{"negation es", "mal", "no está mal", "es"},
		{"negation zh", "不好", "不错", "zh"},
		{"negation de", "schlecht", "nicht schlecht", "de"},
		{"negation fr", "mal", "pas mal", "fr"},
		{"negation pt", "ruim", "não é ruim", "pt"},
		{"contraction", "this isn't good", "this is good", "en"},
		{"caps word", "SCAM", "scam", "en"},
		{"exclamations", "this is bad!!!", "this is bad", "en"},
		{"one exclamation", "this is bad!", "this is bad", "en"},
		{"shouting", "refund me NOW, this is bad", "refund me now, this is bad", "en"},
		{"question marks", "this is bad??", "this is bad?", "en"},
		{"elongation", "baaaad", "bad", "en"},
		{"positive offsets", "bad", "bad but thanks", "en"},
		{"two negatives", "rude and useless", "useless", "en"},
		{"emoji", "ok 😡", "ok 🙂", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi := Analyze(tc.lower, tc.lang), Analyze(tc.higher, tc.lang)
			if !(lo.Value < hi.Value) {
				t.Errorf("Analyze(%q) = %v, want below Analyze(%q) = %v", tc.lower, lo.Value, tc.higher, hi.Value)
			}
		})
	}
}

// TestFolding checks that spellings the folding should unify score the
// same.
func TestFolding(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"pésimo", "pesimo"},
		{"pésimo", "pe\u0301simo"}, // decomposed accent
		{"Enttäuscht", "enttauscht"},
		{"scheiße", "scheisse"},
		{"ｓｃａｍ", "scam"}, // fullwidth
		{"déçu", "decu"},
		{"don't", "dont"},
		{"don’t like", "dont like"}, // typographic apostrophe
		{"sooooo bad", "so bad"},
		{"l'arnaque", "l arnaque"},
		{"rip-off", "rip off"},
	} {
		if x, y := Analyze(tc.a, ""), Analyze(tc.b, ""); x != y {
			t.Errorf("Analyze(%q) = %+v, Analyze(%q) = %+v", tc.a, x, tc.b, y)
		}
	}
	if s := Analyze("sooooo bad", ""); s.Hits != 1 {
		t.Errorf("elongated intensifier: %+v", s)
	}
}

func TestExplain(t *testing.T) {
	s, m := Explain("Total rip-off, not good!!!", "en")
	var terms []string
	for _, x := range m {
		terms = append(terms, x.Term)
	}
	if got, want := strings.Join(terms, "|"), "rip off|good"; got != want {
		t.Errorf("terms %q, want %q", got, want)
	}
	if m[0].Weight != -3.5*1.5 || m[1].Weight != float32(1.5*negPos) {
		t.Errorf("weights %v", m)
	}
	if s.Hits != 2 || !s.Negative {
		t.Errorf("score %+v", s)
	}
}

func TestStopperNoHits(t *testing.T) {
	for _, text := range []string{"你好", "不好意思", "出差", "操作", "差不多", "rip", "好的"} {
		if s, m := Explain(text, "zh"); s.Hits != 0 || s.Value != 0 {
			t.Errorf("Analyze(%q) = %+v %v, want nothing", text, s, m)
		}
	}
}

func TestLongInput(t *testing.T) {
	text := strings.Repeat(" ", maxInput) + "scam"
	if s := Analyze(text, "en"); s.Hits != 0 {
		t.Errorf("text past maxInput was analysed: %+v", s)
	}
	text = strings.Repeat("very ", 1000) + "bad"
	if s := Analyze(text, "en"); s.Value < -1 || math.IsNaN(float64(s.Value)) {
		t.Errorf("chained intensifiers: %+v", s)
	}
	text = strings.Repeat("fuck ", 800)
	if s := Analyze(text, "en"); !s.Negative || s.Value < -1 {
		t.Errorf("many hits: %+v", s)
	}
	long := strings.Repeat("a", 200) + " scam"
	if s := Analyze(long, "en"); !s.Negative {
		t.Errorf("word longer than maxToken broke the next word: %+v", s)
	}
}

func TestParseLang(t *testing.T) {
	for tag, want := range map[string]langSet{
		"en": langEN, "EN-us": langEN, "eng": langEN, "es-MX": langES, "es_419": langES,
		"pt-BR": langPT, "fr-CA": langFR, "de-AT": langDE, "zh-TW": langZH,
		"zh-Hant-HK": langZH, "yue": langZH, "": 0, "x": 0, "ja": 0, "english": 0, "-": 0,
	} {
		if got := parseLang(tag); got != want {
			t.Errorf("parseLang(%q) = %v, want %v", tag, got, want)
		}
	}
}

// TestLexiconEntries checks every lexicon entry through the public API:
// alone, each sentiment term is found exactly once (so its folded form
// matches what the scanner produces from input), and, as the threshold's
// documentation promises, every term of weight -3 or below is strongly
// negative on its own while every term above -2.5 is not.
func TestLexiconEntries(t *testing.T) {
	langs := []string{"en", "es", "pt", "fr", "de", "zh"}
	for i := range lex.entries {
		e := &lex.entries[i]
		if e.kind != kindSent {
			continue
		}
		lang := ""
		if e.only != 0 {
			for _, l := range langs {
				if e.only&parseLang(l) != 0 {
					lang = l
					break
				}
			}
		}
		s, m := Explain(e.term, lang)
		if s.Hits != 1 || len(m) != 1 || m[0].Term != e.term {
			t.Errorf("%q alone: %+v %v", e.term, s, m)
			continue
		}
		switch {
		case e.weight <= -3 && !s.Negative:
			t.Errorf("%q (weight %v) alone is not strongly negative: %v", e.term, e.weight, s.Value)
		case e.weight > -2.5 && s.Negative:
			t.Errorf("%q (weight %v) alone is strongly negative: %v", e.term, e.weight, s.Value)
		}
	}
}

// TestLexiconSize keeps each lexicon to a few hundred entries.
func TestLexiconSize(t *testing.T) {
	for _, f := range lexiconOrder {
		data, err := lexiconFiles.ReadFile(f.file)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, line := range strings.Split(string(data), "\n") {
			if line = strings.TrimSpace(line); line != "" && line[0] != '#' {
				n++
			}
		}
		t.Logf("%s: %d entries", f.file, n)
		if n > 400 {
			t.Errorf("%s has %d entries, want at most 400", f.file, n)
		}
	}
}

// TestTraditional checks traditional-character forms of key terms.
func TestTraditional(t *testing.T) {
	for _, text := range []string{
		"騙子", "詐騙", "投訴", "舉報", "律師", "垃圾", "廢物", "爛透了", "噁心", "惡心",
		"氣死", "差勁", "無恥", "不要臉", "假貨", "他媽的", "憤怒", "受夠了",
	} {
		if s, m := Explain(text, "zh-TW"); !s.Negative {
			t.Errorf("%q: %+v %v", text, s, m)
		}
	}
	for _, text := range []string{"退錢", "差評", "失望", "不滿"} {
		if s := Analyze(text, "zh-TW"); s.Value >= 0 || s.Hits != 1 {
			t.Errorf("%q: %+v", text, s)
		}
	}
	for _, text := range []string{"不錯", "滿意", "謝謝", "沒問題", "喜歡"} {
		if s := Analyze(text, "zh-HK"); s.Value <= 0 {
			t.Errorf("%q: %+v", text, s)
		}
	}
	for k, v := range hant {
		if k == v {
			t.Errorf("hant maps %q to itself", k)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	for _, line := range []string{
		"-5 word", "x0 word", "x9 word", "nan word", "-1", "-1 a b c", "-1 word @only=xx",
		"-1 word @bogus",
	} {
		if _, err := parseLine(line); err == nil {
			t.Errorf("parseLine(%q): no error", line)
		}
	}
	l := &lexicon{words: map[string]int32{}, subs: map[rune][]int32{}}
	e1, _ := parseLine("-1 word")
	e2, _ := parseLine("-2 word")
	if err := l.add(e1, false); err != nil {
		t.Fatal(err)
	}
	if err := l.add(e2, false); err == nil {
		t.Error("conflicting duplicate accepted")
	}
}

func TestAnalyzeAllocs(t *testing.T) {
	for _, text := range []string{benchEN, benchZH, benchES, "Total RIP-OFF, sooo baaad, f*ck thisgoddamn 😡"} {
		if n := testing.AllocsPerRun(100, func() { Analyze(text, "es-MX") }); n != 0 {
			t.Errorf("Analyze(%q) allocates %v times", text, n)
		}
	}
}

func TestConcurrent(t *testing.T) {
	want := Analyze(benchEN, "en")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if got := Analyze(benchEN, "en"); got != want {
					t.Errorf("got %+v, want %+v", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}
