package gateway

import (
	"strconv"
	"strings"
	"time"

	"github.com/edgedesk/edgedesk/node/internal/jsonw"
	"github.com/edgedesk/edgedesk/node/session"
)

// The encoders below append one server frame to dst. They write JSON by
// hand: these frames are on every message's path, and encoding/json would
// cost reflection and an allocation per frame.

func appendWelcome(dst []byte, sid string, seq uint64, resumed bool, now time.Time, upload string) []byte {
	dst = append(dst, `{"type":"welcome","session":`...)
	dst = jsonw.String(dst, sid)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, `,"resumed":`...)
	dst = strconv.AppendBool(dst, resumed)
	dst = append(dst, `,"server_time":"`...)
	dst = now.UTC().AppendFormat(dst, time.RFC3339Nano)
	if upload != "" {
		dst = append(dst, `","upload":`...)
		dst = jsonw.String(dst, upload)
		return append(dst, '}')
	}
	return append(dst, `"}`...)
}

// appendReceipt answers a customer's msg once it is stored as m: cid,
// seq, and the message's attachments as stored, with fresh links (sign)
// to the node's files, so the widget keeps working links rather than the
// ones it sent.
func appendReceipt(dst []byte, m *session.Message, sign func(string) string) []byte {
	dst = append(dst, `{"type":"receipt","cid":`...)
	dst = jsonw.String(dst, m.CID)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendUint(dst, m.Seq, 10)
	dst = appendAttachments(dst, m.Attachments, sign)
	return append(dst, '}')
}

func appendError(dst []byte, code, msg, cid string) []byte {
	dst = append(dst, `{"type":"error","code":`...)
	dst = jsonw.String(dst, code)
	dst = append(dst, `,"message":`...)
	dst = jsonw.String(dst, msg)
	if cid != "" {
		dst = append(dst, `,"cid":`...)
		dst = jsonw.String(dst, cid)
	}
	return append(dst, '}')
}

func appendTyping(dst []byte, from session.From, on bool) []byte {
	dst = append(dst, `{"type":"typing","from":`...)
	dst = jsonw.String(dst, string(from))
	dst = append(dst, `,"on":`...)
	dst = strconv.AppendBool(dst, on)
	return append(dst, '}')
}

func appendQueue(dst []byte, position, etaSec int, group string) []byte {
	dst = append(dst, `{"type":"queue","position":`...)
	dst = strconv.AppendInt(dst, int64(position), 10)
	dst = append(dst, `,"eta_s":`...)
	dst = strconv.AppendInt(dst, int64(etaSec), 10)
	dst = append(dst, `,"group":`...)
	dst = jsonw.String(dst, group)
	return append(dst, '}')
}

func appendMsg(dst []byte, m *session.Message) []byte { return appendMsgSigned(dst, m, nil) }

// appendMsgSigned is appendMsg with the node's own files (attachment URLs
// that are a path on this node) turned into signed links by sign.
func appendMsgSigned(dst []byte, m *session.Message, sign func(string) string) []byte {
	dst = append(dst, `{"type":"msg","seq":`...)
	dst = strconv.AppendUint(dst, m.Seq, 10)
	dst = append(dst, `,"from":`...)
	dst = jsonw.String(dst, string(m.From))
	dst = append(dst, `,"text":`...)
	dst = jsonw.String(dst, m.Text)
	dst = append(dst, `,"ts":"`...)
	dst = m.TS.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, '"')
	if m.CID != "" {
		dst = append(dst, `,"cid":`...)
		dst = jsonw.String(dst, m.CID)
	}
	if m.Channel != "" && m.Channel != "web" {
		// Written from another channel of the same customer (WhatsApp,
		// …): one history across channels (docs/CHANNELS.md).
		dst = append(dst, `,"channel":`...)
		dst = jsonw.String(dst, m.Channel)
	}
	dst = appendAttachments(dst, m.Attachments, sign)
	if m.From == session.FromBot || m.Intent != "" {
		dst = append(dst, `,"intent":`...)
		dst = jsonw.String(dst, m.Intent)
		dst = append(dst, `,"confidence":`...)
		dst = strconv.AppendFloat(dst, float64(m.Confidence), 'f', -1, 32)
	}
	if m.Lang != "" {
		dst = append(dst, `,"lang":`...)
		dst = jsonw.String(dst, m.Lang)
	}
	if len(m.QuickReplies) > 0 {
		dst = append(dst, `,"quick_replies":`...)
		dst = jsonw.Strings(dst, m.QuickReplies)
	}
	if m.ReplyTo != 0 {
		dst = append(dst, `,"reply_to":`...)
		dst = strconv.AppendUint(dst, m.ReplyTo, 10)
	}
	if m.Agent != nil {
		dst = append(dst, `,"agent":{"id":`...)
		dst = jsonw.String(dst, m.Agent.ID)
		dst = append(dst, `,"name":`...)
		dst = jsonw.String(dst, m.Agent.Name)
		dst = append(dst, '}')
	}
	if m.Notice != nil {
		dst = appendNotice(dst, m.Notice)
	}
	// The customer's own messages go without: their translation is for
	// the agent.
	if m.Translation != nil && m.From != session.FromCustomer {
		dst = appendTranslation(dst, m.Translation)
	}
	return append(dst, '}')
}

// appendTranslation appends `,"translation":{…}`: the translated text
// (absent when the message went untranslated), the languages, the
// provider and the status ("translated", "unavailable", "unsupported").
func appendTranslation(dst []byte, tr *session.Translation) []byte {
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
	if tr.Provider != "" {
		dst = append(dst, `,"provider":`...)
		dst = jsonw.String(dst, tr.Provider)
	}
	dst = append(dst, `,"status":`...)
	dst = jsonw.String(dst, tr.Status)
	return append(dst, '}')
}

// appendAttachments appends `,"attachments":[…]` when there are any, the
// node's own files (a path on this node) turned into links by sign.
func appendAttachments(dst []byte, atts []session.Attachment, sign func(string) string) []byte {
	if len(atts) == 0 {
		return dst
	}
	dst = append(dst, `,"attachments":[`...)
	for i, a := range atts {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"url":`...)
		if sign != nil && strings.HasPrefix(a.URL, "/") {
			dst = jsonw.String(dst, sign(a.URL))
		} else {
			dst = jsonw.String(dst, a.URL)
		}
		dst = append(dst, `,"mime":`...)
		dst = jsonw.String(dst, a.MIME)
		dst = append(dst, `,"name":`...)
		dst = jsonw.String(dst, a.Name)
		dst = append(dst, `,"size":`...)
		dst = strconv.AppendInt(dst, a.Size, 10)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// appendNotice appends `,"notice":{…}`: the kind, and opens_at (RFC 3339,
// UTC), group and agent when set.
func appendNotice(dst []byte, n *session.Notice) []byte {
	dst = append(dst, `,"notice":{"kind":`...)
	dst = jsonw.String(dst, n.Kind)
	if !n.OpensAt.IsZero() {
		dst = append(dst, `,"opens_at":"`...)
		dst = n.OpensAt.UTC().AppendFormat(dst, time.RFC3339)
		dst = append(dst, '"')
	}
	if n.Group != "" {
		dst = append(dst, `,"group":`...)
		dst = jsonw.String(dst, n.Group)
	}
	if n.Agent != nil {
		dst = append(dst, `,"agent":{"id":`...)
		dst = jsonw.String(dst, n.Agent.ID)
		dst = append(dst, `,"name":`...)
		dst = jsonw.String(dst, n.Agent.Name)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// appendOK answers a contact or csat frame (forType) once it is stored.
func appendOK(dst []byte, cid, forType string) []byte {
	dst = append(dst, `{"type":"ok"`...)
	if cid != "" {
		dst = append(dst, `,"cid":`...)
		dst = jsonw.String(dst, cid)
	}
	dst = append(dst, `,"for":`...)
	dst = jsonw.String(dst, forType)
	return append(dst, '}')
}
