package away

import (
	"strconv"
	"strings"
	"time"

	"github.com/edgedesk/edgedesk/node/delivery"
	"github.com/edgedesk/edgedesk/node/session"
)

// Channel is the delivery channel of email items.
const Channel = "email"

// DefaultGrace is how long a widget customer has to see an agent's answer
// in the widget before it goes out by email.
const DefaultGrace = 2 * time.Minute

// Policy turns messages into email delivery items.
type Policy struct {
	// Grace delays the email of an answer to a widget customer
	// (DefaultGrace when zero); the Sender skips it if the customer came
	// back or received the answer by then.
	Grace time.Duration
}

// Item returns the email delivery of m, a message just stored in the
// session meta describes (meta as of the commit), and whether there is
// one. connected says whether the customer has a live connection to the
// session (Store.Connected).
//
//   - A session whose channel is "email": every bot and agent answer, and
//     the system notices that tell the customer something they must know
//     (team closed, nobody available), at once.
//   - Any other session (the widget): an agent's answer, when the customer
//     left an email address and is not connected, with NotBefore =
//     m.TS + Grace.
//
// A mirror of another node's session (meta.Origin) yields nothing: the
// customer's own node emails them.
func (p Policy) Item(meta session.Meta, connected bool, m session.Message) (delivery.Item, bool) {
	if meta.Origin != "" || meta.Customer.Email == "" {
		return delivery.Item{}, false
	}
	text := itemText(m)
	if text == "" {
		return delivery.Item{}, false
	}
	it := delivery.Item{
		Key:       m.Session + "/" + strconv.FormatUint(m.Seq, 10),
		Channel:   Channel,
		SessionID: m.Session,
		Seq:       m.Seq,
		To:        meta.Customer.Email,
		Text:      text,
		Lang:      m.Lang,
		Created:   m.TS,
	}
	if meta.Channel == Channel {
		switch {
		case m.From == session.FromBot || m.From == session.FromAgent:
			return it, true
		case m.From == session.FromSystem && m.Notice != nil &&
			(m.Notice.Kind == session.NoticeTeamClosed || m.Notice.Kind == session.NoticeNoAgents):
			return it, true
		}
		return delivery.Item{}, false
	}
	return p.EmailIfAway(meta, connected, m)
}

// EmailIfAway is the widget half of Item: an agent's answer to a customer
// who left an address and is gone becomes an email item due Grace after
// the answer.
func (p Policy) EmailIfAway(meta session.Meta, connected bool, m session.Message) (delivery.Item, bool) {
	if connected || m.From != session.FromAgent || meta.Customer.Email == "" || meta.Origin != "" {
		return delivery.Item{}, false
	}
	text := itemText(m)
	if text == "" {
		return delivery.Item{}, false
	}
	grace := p.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	return delivery.Item{
		Key:       m.Session + "/" + strconv.FormatUint(m.Seq, 10),
		Channel:   Channel,
		SessionID: m.Session,
		Seq:       m.Seq,
		To:        meta.Customer.Email,
		Text:      text,
		Lang:      m.Lang,
		NotBefore: m.TS.Add(grace),
		Created:   m.TS,
	}, true
}

// itemText is what the mail says: the text, and the names of the files
// sent with it (their links expire; the widget shows them).
func itemText(m session.Message) string {
	text := m.Text
	if tr := m.Translation; tr != nil && tr.Status == session.TranslationDone && tr.Text != "" {
		text = tr.Text // what the customer reads in the widget too
	}
	if len(m.Attachments) == 0 {
		return text
	}
	var b strings.Builder
	b.WriteString(text)
	for _, a := range m.Attachments {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		name := a.Name
		if name == "" {
			name = "a file"
		}
		b.WriteString("[attachment: " + name + "]")
	}
	return b.String()
}
