package session

import "encoding/json"

// MaxRoutes bounds the routing decisions a session keeps (Meta.Routes), so
// its metadata record — rewritten on every update and shipped to the core
// with each meta event — stays a few kilobytes (a decision is a few
// hundred bytes; most chats have one to three) whatever a chat goes
// through. Past it the first decision (why the chat went where it went
// first) and the latest MaxRoutes-1 are kept; the ones in between are
// counted in Meta.RoutesDropped.
const MaxRoutes = 16

// AddRoute records routing decision d (JSON, opaque to the store): it is
// the session's latest (Route) and is appended to its history (Routes).
// A record from before the history was kept has only Route: that decision
// becomes the history's first. The slice is replaced, never modified in
// place (Meta copies share it).
func (m *Meta) AddRoute(d json.RawMessage) {
	old := m.Routes
	if len(old) == 0 && len(m.Route) > 0 {
		old = []json.RawMessage{m.Route}
	}
	d = append(json.RawMessage(nil), d...)
	routes := make([]json.RawMessage, 0, min(len(old)+1, MaxRoutes))
	if len(old)+1 > MaxRoutes {
		drop := len(old) + 1 - MaxRoutes
		routes = append(routes, old[0])
		routes = append(routes, old[1+drop:]...)
		m.RoutesDropped += drop
	} else {
		routes = append(routes, old...)
	}
	m.Route, m.Routes = d, append(routes, d)
}

// History returns every routing decision the session keeps, oldest first:
// Routes, or for a record from before the history was kept, its one Route.
func (m *Meta) History() []json.RawMessage {
	if len(m.Routes) == 0 && len(m.Route) > 0 {
		return []json.RawMessage{m.Route}
	}
	return m.Routes
}
