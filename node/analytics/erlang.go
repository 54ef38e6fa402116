package analytics

import "math"

// ErlangC is the probability that a chat waits for an agent (Erlang's
// delay formula, M/M/c) when trafficErlangs of work (arrivals × handle
// time, in the same unit) is offered to agents. It is 1 when the agents
// cannot keep up (agents <= traffic): the queue grows without bound.
//
// It runs Erlang B's recursion B(0)=1, B(k) = A·B(k-1) / (k + A·B(k-1))
// and converts, C = N·B / (N - A·(1-B)): no factorials or powers, so it
// neither overflows nor loses precision at hundreds of agents.
func ErlangC(agents int, trafficErlangs float64) float64 {
	a := trafficErlangs
	if a <= 0 {
		return 0
	}
	if float64(agents) <= a {
		return 1
	}
	b := 1.0
	for k := 1; k <= agents; k++ {
		b = a * b / (float64(k) + a*b)
	}
	n := float64(agents)
	return n * b / (n - a*(1-b))
}

// ServiceLevel is the share of chats answered within targetSeconds by
// agents, with arrivalsPerHour arriving and each taking ahtSeconds of an
// agent: 1 - C·e^{-(N-A)·t/AHT}. It is 0 when the agents cannot keep up
// and 1 when nothing arrives.
func ServiceLevel(agents int, arrivalsPerHour, ahtSeconds, targetSeconds float64) float64 {
	a := Traffic(arrivalsPerHour, ahtSeconds)
	if a <= 0 {
		return 1
	}
	if float64(agents) <= a {
		return 0
	}
	c := ErlangC(agents, a)
	return 1 - c*math.Exp(-(float64(agents)-a)*targetSeconds/ahtSeconds)
}

// Traffic is the offered load in Erlangs of arrivalsPerHour chats of
// ahtSeconds each.
func Traffic(arrivalsPerHour, ahtSeconds float64) float64 {
	if arrivalsPerHour <= 0 || ahtSeconds <= 0 {
		return 0
	}
	return arrivalsPerHour * ahtSeconds / 3600
}

// maxAgents bounds AgentsNeeded's search: a node's group never needs
// more, and a bad input (an absurd handle time) must not loop for long.
const maxAgents = 10000

// AgentsNeeded is the fewest agents that answer at least serviceLevel
// (0 to 1) of chats within targetSeconds: 0 when nothing arrives, at most
// 10000.
func AgentsNeeded(arrivalsPerHour, ahtSeconds, targetSeconds, serviceLevel float64) int {
	a := Traffic(arrivalsPerHour, ahtSeconds)
	if a <= 0 {
		return 0
	}
	// Fewer than A agents never keep up; start just above and walk up:
	// the service level rises with every agent added. Erlang B's
	// recursion goes on from one count to the next, so the walk costs
	// what one ErlangC of its end does.
	first := max(1, int(math.Floor(a))+1)
	if first > maxAgents {
		return maxAgents
	}
	b := 1.0
	for k := 1; k < first; k++ {
		b = a * b / (float64(k) + a*b)
	}
	for n := first; n <= maxAgents; n++ {
		b = a * b / (float64(n) + a*b)
		fn := float64(n)
		c := fn * b / (fn - a*(1-b))
		if 1-c*math.Exp(-(fn-a)*targetSeconds/ahtSeconds) >= serviceLevel {
			return n
		}
	}
	return maxAgents
}
