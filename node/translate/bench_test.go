package translate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/internal/testapy"
)

// The figures in docs/TRANSLATION.md: the latency translation adds to an
// agent's message (what the agent's connection waits for before Post),
// cold (every text new: a round trip to APY) and warm (every text cached),
// and the cache's hit rate in a load run. They need a real APY; run once:
//
//	go test -run XXX -bench 'Agent|Load' -benchtime 1x ./node/translate/

var replies = []string{
	"Hello, I am looking into your order now.",
	"Your parcel left our warehouse yesterday.",
	"I will send you the return label by email.",
	"Could you give me your order number, please?",
	"The refund takes three to five business days.",
	"Thank you for waiting.",
	"Is there anything else I can help you with?",
	"We are sorry for the delay.",
	"Your new address is saved.",
	"The courier will call you before delivery.",
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	slices.Sort(d)
	return d[len(d)*50/100], d[min(len(d)-1, len(d)*99/100)]
}

func apyService(b *testing.B) *Service {
	apy := testapy.Start(b)
	s, err := New(Options{Providers: []Provider{&Apertium{URL: apy.URL, Client: &http.Client{}}}, Timeout: 10 * time.Second,
		CachePath: b.TempDir() + "/t.db"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if r := s.Translate(context.Background(), "warm up the pipeline", "en", "es"); r.Status != StatusTranslated {
		b.Fatalf("warm-up: %+v", r)
	}
	return s
}

func BenchmarkAgentReply(b *testing.B) {
	s := apyService(b)
	ctx := context.Background()
	const n = 200
	for _, warm := range []bool{false, true} {
		name := "cold"
		if warm {
			name = "warm"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				d := make([]time.Duration, 0, n)
				for i := range n {
					text := fmt.Sprintf("%s Ticket %d.", replies[i%len(replies)], i)
					if warm {
						s.Translate(ctx, text, "en", "es") // fills the cache
					} else {
						text = fmt.Sprintf("%s Ticket %d-%d.", replies[i%len(replies)], i, time.Now().UnixNano())
					}
					start := time.Now()
					r := s.Translate(ctx, text, "en", "es")
					d = append(d, time.Since(start))
					if r.Status != StatusTranslated || r.Cached != warm {
						b.Fatalf("%q: %+v", text, r)
					}
				}
				p50, p99 := percentiles(d)
				b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
			}
		})
	}
}

// BenchmarkLoad: 2,000 agent replies from 8 agents at once, drawn from
// 400 distinct texts with a Zipf distribution (agents repeat their
// greetings and canned answers far more than anything else).
func BenchmarkLoad(b *testing.B) {
	s := apyService(b)
	ctx := context.Background()
	texts := make([]string, 400)
	for i := range texts {
		texts[i] = fmt.Sprintf("%s Reference %d.", replies[i%len(replies)], i/len(replies))
	}
	for range b.N {
		h0, m0 := s.hits.Load(), s.misses.Load()
		var (
			mu sync.Mutex
			d  []time.Duration
			wg sync.WaitGroup
		)
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				z := rand.NewZipf(rand.New(rand.NewPCG(uint64(w), 7)), 1.2, 1, uint64(len(texts)-1))
				for range 250 {
					text := texts[z.Uint64()]
					start := time.Now()
					r := s.Translate(ctx, text, "en", "es")
					el := time.Since(start)
					if r.Status != StatusTranslated {
						b.Errorf("%q: %+v", text, r)
						return
					}
					mu.Lock()
					d = append(d, el)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		hits, misses := s.hits.Load()-h0, s.misses.Load()-m0
		p50, p99 := percentiles(d)
		b.ReportMetric(100*float64(hits)/float64(hits+misses), "hit-%")
		b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	}
}
