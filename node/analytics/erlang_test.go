package analytics

import (
	"math"
	"testing"
)

// The worked example of Call Centre Helper's "Erlang C formula — made
// simple" (100 calls in 30 minutes, 3-minute handle time, 80% answered
// within 20 seconds), as published with its results in pyworkforce's
// tests (github.com/rodrigo-arenas/pyworkforce,
// pyworkforce/queuing/tests/test_erlang.py, test_expected_erlangc_results
// and test_over_occupancy_erlangc; test_multi_erlang.py,
// test_expected_multierlangc_grid for the 90% target): 14 agents before
// shrinkage for 80%, with a service level of 0.888, an occupancy of 0.714
// and a probability of waiting of 0.174; 15 agents for 90%, with 0.941,
// 0.667 and 0.102. pyworkforce's target is
// asa=0.33 minutes (19.8 s); both it and 20 s round to the same figures.
func TestErlangCPublishedExample(t *testing.T) {
	const arrivalsPerHour, aht = 200, 180 // 100 per half hour, 3 minutes
	for _, target := range []float64{19.8, 20} {
		if a := Traffic(arrivalsPerHour, aht); math.Abs(a-10) > 1e-12 {
			t.Fatalf("traffic = %v Erlangs, want 10", a)
		}
		cases := []struct {
			agents        int
			wait, sl, occ float64
		}{
			{14, 0.174, 0.888, 0.714},
			{15, 0.102, 0.941, 0.667},
		}
		for _, c := range cases {
			if got := round3(ErlangC(c.agents, 10)); got != c.wait {
				t.Errorf("ErlangC(%d, 10) = %.3f, want %.3f", c.agents, got, c.wait)
			}
			if got := round3(ServiceLevel(c.agents, arrivalsPerHour, aht, target)); got != c.sl {
				t.Errorf("ServiceLevel(%d agents, %vs) = %.3f, want %.3f", c.agents, target, got, c.sl)
			}
			if got := round3(10 / float64(c.agents)); got != c.occ {
				t.Errorf("occupancy at %d = %.3f, want %.3f", c.agents, got, c.occ)
			}
		}
		if n := AgentsNeeded(arrivalsPerHour, aht, target, 0.8); n != 14 {
			t.Errorf("AgentsNeeded(80%% in %vs) = %d, want 14 (13 agents reach only %.3f)", target, n, ServiceLevel(13, arrivalsPerHour, aht, target))
		}
		if n := AgentsNeeded(arrivalsPerHour, aht, target, 0.9); n != 15 {
			t.Errorf("AgentsNeeded(90%% in %vs) = %d, want 15", target, n)
		}
	}
}

// ErlangC agrees with the textbook formula, A^N/N! · N/(N−A) over
// Σ_{k<N} A^k/k! + A^N/N! · N/(N−A), where that one is still exact.
func TestErlangCMatchesDirectFormula(t *testing.T) {
	for _, tc := range []struct {
		n int
		a float64
	}{{1, 0.5}, {2, 1}, {3, 2}, {5, 3.7}, {10, 8}, {20, 15.5}, {40, 30}} {
		sum, term := 0.0, 1.0 // term = A^k/k!
		for k := 0; k < tc.n; k++ {
			sum += term
			term *= tc.a / float64(k+1)
		}
		top := term * float64(tc.n) / (float64(tc.n) - tc.a)
		want := top / (sum + top)
		if got := ErlangC(tc.n, tc.a); math.Abs(got-want) > 1e-12 {
			t.Errorf("ErlangC(%d, %v) = %v, direct formula %v", tc.n, tc.a, got, want)
		}
	}
}

func TestErlangCEdges(t *testing.T) {
	if ErlangC(5, 0) != 0 || ErlangC(5, 5) != 1 || ErlangC(3, 7) != 1 {
		t.Error("no traffic must never wait; traffic at or over the agents always waits")
	}
	if ServiceLevel(0, 0, 300, 60) != 1 || AgentsNeeded(0, 300, 60, 0.8) != 0 {
		t.Error("nothing arriving needs nobody")
	}
	// Large groups stay finite and monotone (factorials would overflow
	// at 171 agents).
	prev := 1.0
	for n := 951; n <= 1100; n += 10 {
		c := ErlangC(n, 950)
		if math.IsNaN(c) || c < 0 || c > prev {
			t.Fatalf("ErlangC(%d, 950) = %v after %v", n, c, prev)
		}
		prev = c
	}
	// The walk agrees with ServiceLevel at every count it passes.
	for _, tc := range []struct{ arrivals, aht, target, level float64 }{{200, 180, 20, 0.8}, {6.5, 300, 60, 0.8}, {3000, 420, 30, 0.95}, {40, 600, 10, 0.5}} {
		n := AgentsNeeded(tc.arrivals, tc.aht, tc.target, tc.level)
		if ServiceLevel(n, tc.arrivals, tc.aht, tc.target) < tc.level || n > 1 && ServiceLevel(n-1, tc.arrivals, tc.aht, tc.target) >= tc.level {
			t.Errorf("AgentsNeeded(%+v) = %d: not the fewest that reach the level", tc, n)
		}
	}
	if n := AgentsNeeded(1e9, 3600, 60, 0.8); n != maxAgents {
		t.Errorf("an absurd load: %d, want the cap %d", n, maxAgents)
	}
	// One chat an hour still needs an agent.
	if n := AgentsNeeded(1, 300, 60, 0.8); n != 1 {
		t.Errorf("AgentsNeeded(1/h) = %d, want 1", n)
	}
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
