package sentiment

import "testing"

// Benchmark messages: an 80-byte English one and a 30-character Chinese
// one, both strongly negative so every stage of the scanner runs.
const (
	benchEN = "Hi, my order #4411 is two weeks late and nobody answers. This is unacceptable!!!" // 80 bytes
	benchZH = "你好，我的订单两个星期了还没到，客服也不回复，真是太差劲了！"                                                   // 30 characters
	benchES = "Llevo dos semanas esperando mi pedido y nadie responde, ¡es una estafa!"
)

func BenchmarkAnalyze(b *testing.B) {
	for _, bc := range []struct{ name, text, lang string }{
		{"en80", benchEN, "en"},
		{"zh30", benchZH, "zh"},
		{"es", benchES, "es"},
		{"en80-nolang", benchEN, ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.text)))
			var s Score
			for b.Loop() {
				s = Analyze(bc.text, bc.lang)
			}
			if !s.Negative {
				b.Fatalf("%q: not negative: %+v", bc.text, s)
			}
		})
	}
}
