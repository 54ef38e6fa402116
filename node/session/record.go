package session

import (
	"strconv"

	"github.com/edgedesk/edgedesk/node/internal/jsonw"
)

// appendRecord appends m's stored form: the JSON encoding/json would write
// for Message (same keys, same omitempty rules), without reflection. It is
// read back with encoding/json; TestRecordMatchesEncodingJSON keeps the two
// in step.
func appendRecord(dst []byte, m *Message) []byte {
	dst = append(dst, `{"session":`...)
	dst = jsonw.String(dst, m.Session)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendUint(dst, m.Seq, 10)
	dst = append(dst, `,"from":`...)
	dst = jsonw.String(dst, string(m.From))
	str := func(key, v string) {
		if v != "" {
			dst = append(dst, key...)
			dst = jsonw.String(dst, v)
		}
	}
	str(`,"cid":`, m.CID)
	str(`,"channel":`, m.Channel)
	str(`,"customer_id":`, m.CustomerID)
	str(`,"text":`, m.Text)
	if len(m.Attachments) > 0 {
		dst = append(dst, `,"attachments":[`...)
		for i, a := range m.Attachments {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"url":`...)
			dst = jsonw.String(dst, a.URL)
			str(`,"mime":`, a.MIME)
			str(`,"name":`, a.Name)
			if a.Size != 0 {
				dst = append(dst, `,"size":`...)
				dst = strconv.AppendInt(dst, a.Size, 10)
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	str(`,"locale":`, m.Locale)
	str(`,"tz":`, m.TZ)
	str(`,"lang":`, m.Lang)
	str(`,"intent":`, m.Intent)
	if m.Confidence != 0 {
		dst = append(dst, `,"confidence":`...)
		dst = jsonw.Float32(dst, m.Confidence)
	}
	if len(m.QuickReplies) > 0 {
		dst = append(dst, `,"quick_replies":`...)
		dst = jsonw.Strings(dst, m.QuickReplies)
	}
	if m.Agent != nil {
		dst = append(dst, `,"agent":{"id":`...)
		dst = jsonw.String(dst, m.Agent.ID)
		str(`,"name":`, m.Agent.Name)
		dst = append(dst, '}')
	}
	if m.ReplyTo != 0 {
		dst = append(dst, `,"reply_to":`...)
		dst = strconv.AppendUint(dst, m.ReplyTo, 10)
	}
	if n := m.Notice; n != nil {
		dst = append(dst, `,"notice":{"kind":`...)
		dst = jsonw.String(dst, n.Kind)
		if !n.OpensAt.IsZero() {
			dst = append(dst, `,"opens_at":`...)
			dst = jsonw.Time(dst, n.OpensAt)
		}
		str(`,"group":`, n.Group)
		if n.Agent != nil {
			dst = append(dst, `,"agent":{"id":`...)
			dst = jsonw.String(dst, n.Agent.ID)
			str(`,"name":`, n.Agent.Name)
			dst = append(dst, '}')
		}
		dst = append(dst, '}')
	}
	if len(m.Entities) > 0 {
		dst = append(dst, `,"entities":[`...)
		for i, e := range m.Entities {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"kind":`...)
			dst = jsonw.String(dst, e.Kind)
			dst = append(dst, `,"value":`...)
			dst = jsonw.String(dst, e.Value)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if m.Sentiment != 0 {
		dst = append(dst, `,"sentiment":`...)
		dst = jsonw.Float32(dst, m.Sentiment)
	}
	if tr := m.Translation; tr != nil {
		dst = append(dst, `,"translation":{`...)
		if tr.Text != "" {
			dst = append(dst, `"text":`...)
			dst = jsonw.String(dst, tr.Text)
			dst = append(dst, ',')
		}
		dst = append(dst, `"from":`...)
		dst = jsonw.String(dst, tr.From)
		dst = append(dst, `,"to":`...)
		dst = jsonw.String(dst, tr.To)
		str(`,"provider":`, tr.Provider)
		dst = append(dst, `,"status":`...)
		dst = jsonw.String(dst, tr.Status)
		dst = append(dst, '}')
	}
	dst = append(dst, `,"ts":`...)
	dst = jsonw.Time(dst, m.TS)
	return append(dst, '}')
}
