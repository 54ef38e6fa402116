package extract

import "testing"

const (
	// benchOrderMessage is a typical 80-byte message with one order number.
	benchOrderMessage = "Hi, my order #A1234-5678 still hasn't arrived, can you check where it is please?"
	// benchEmptyMessage holds nothing to extract (and no digits).
	benchEmptyMessage = "Hello, I would like to know when my package will arrive, thank you so much team!"
	// benchNegativeMessage holds digits that must not be extracted.
	benchNegativeMessage = "I paid $1,234.56 on 2024-05-01 at 10:30 for 3 items, when will they be shipped?"
	// benchChineseMessage is Chinese with full-width digits (needs NFKC).
	benchChineseMessage = "你好，我的订单号：１２３４５６７８，请问什么时候发货？谢谢"
)

func benchAppendAll(b *testing.B, text string, want int) {
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	buf := make([]Entity, 0, 8)
	for b.Loop() {
		buf = AppendAll(buf[:0], text)
	}
	if len(buf) != want {
		b.Fatalf("got %d entities, want %d", len(buf), want)
	}
}

func BenchmarkAppendAllOrder(b *testing.B)    { benchAppendAll(b, benchOrderMessage, 1) }
func BenchmarkAppendAllNothing(b *testing.B)  { benchAppendAll(b, benchEmptyMessage, 0) }
func BenchmarkAppendAllNegative(b *testing.B) { benchAppendAll(b, benchNegativeMessage, 0) }
func BenchmarkAppendAllChinese(b *testing.B)  { benchAppendAll(b, benchChineseMessage, 1) }

func BenchmarkAppendAllMixed(b *testing.B) {
	benchAppendAll(b, "Order #12345, tracking 1Z879E930346834440, email a@b.com, phone +1 555 123 4567", 4)
}

func BenchmarkFirst(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := First(benchOrderMessage, OrderNumber); !ok {
			b.Fatal("not found")
		}
	}
}

func BenchmarkLoose(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := Loose("it's A-1234-5678", OrderNumber); !ok {
			b.Fatal("not found")
		}
	}
}
