package webhook

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/session"
)

// presetMappings are the platforms' payloads as their documentation
// describes them.
var presetMappings = map[string]config.ChannelMapping{
	// WhatsApp Cloud API: entry[].changes[].value.messages[], the sender's
	// profile in value.contacts[]; statuses (sent, delivered, read) come
	// in value.statuses[] and are not messages. Types other than text
	// (image, sticker, reaction, …) are recognised and not stored.
	config.PresetWhatsApp: {
		Messages:   "/entry/*/changes/*/value/messages/*",
		CustomerID: []string{"/from"},
		Name:       []string{"^/contacts/0/profile/name"},
		Text:       []string{"/text/body", "/interactive/button_reply/title", "/interactive/list_reply/title", "/button/text"},
		MessageID:  []string{"/id"},
		Type:       []string{"/type"},
		TextTypes:  []string{"text", "interactive", "button"},
	},
	// Telegram Bot API: one Update per request; only "message" is a
	// customer's message (edited_message, callback_query, … are not);
	// a message without text (a sticker, a photo without caption) is
	// not stored. The update_id is unique per bot.
	config.PresetTelegram: {
		Messages:   "/message",
		CustomerID: []string{"/from/id"},
		Name:       []string{"/from/first_name", "/from/username"},
		Text:       []string{"/text", "/caption"},
		Locale:     []string{"/from/language_code"},
		MessageID:  []string{"^/update_id"},
		ReplyTo:    []string{"/chat/id"},
	},
	// LINE Messaging API: events[]; only events of type message with a
	// text message are stored (follow, unfollow, postback, stickers,
	// images are not). webhookEventId is unique and stays the same on
	// redelivery.
	config.PresetLINE: {
		Messages:   "/events/*",
		CustomerID: []string{"/source/userId"},
		Text:       []string{"/message/text"},
		MessageID:  []string{"/webhookEventId", "/message/id"},
		Type:       []string{"/message/type"},
		TextTypes:  []string{"text"},
	},
	// The generic signed JSON: {"messages":[{"id","type","customer":{"id",
	// "name","locale"},"text","attachments":[{"url","mime","name","size"}]}]}.
	config.PresetGeneric: {
		Messages:    "/messages/*",
		CustomerID:  []string{"/customer/id"},
		Name:        []string{"/customer/name"},
		Text:        []string{"/text"},
		Attachments: []string{"/attachments"},
		Locale:      []string{"/customer/locale"},
		MessageID:   []string{"/id"},
		Type:        []string{"/type"},
		TextTypes:   []string{"message", "text"},
	},
}

// mapping is a channel's compiled mapping.
type mapping struct {
	events                                                          pointer
	customerID, name, text, attachments, locale, messageID, replyTo field
	typ                                                             field
	textTypes                                                       []string
}

// compileMapping merges over the preset's mapping the fields m sets.
func compileMapping(preset string, m config.ChannelMapping) (*mapping, error) {
	base := presetMappings[preset]
	if m.Messages != "" {
		base.Messages = m.Messages
	}
	for _, f := range []struct{ dst, src *[]string }{
		{&base.CustomerID, &m.CustomerID}, {&base.Name, &m.Name}, {&base.Text, &m.Text},
		{&base.Attachments, &m.Attachments}, {&base.Locale, &m.Locale}, {&base.MessageID, &m.MessageID},
		{&base.ReplyTo, &m.ReplyTo}, {&base.Type, &m.Type}, {&base.TextTypes, &m.TextTypes},
	} {
		if len(*f.src) > 0 {
			*f.dst = *f.src
		}
	}
	if len(base.ReplyTo) == 0 {
		base.ReplyTo = base.CustomerID
	}
	var mp mapping
	var err error
	if mp.events, err = parsePointer(base.Messages); err != nil {
		return nil, fmt.Errorf("mapping.messages: %w", err)
	}
	if mp.events.up {
		return nil, fmt.Errorf("mapping.messages: %w: ^ is for the fields", errPointer)
	}
	for _, f := range []struct {
		name string
		dst  *field
		src  []string
	}{
		{"customer_id", &mp.customerID, base.CustomerID}, {"name", &mp.name, base.Name}, {"text", &mp.text, base.Text},
		{"attachments", &mp.attachments, base.Attachments}, {"locale", &mp.locale, base.Locale},
		{"message_id", &mp.messageID, base.MessageID}, {"reply_to", &mp.replyTo, base.ReplyTo}, {"type", &mp.typ, base.Type},
	} {
		if *f.dst, err = parseField(f.src); err != nil {
			return nil, fmt.Errorf("mapping.%s: %w", f.name, err)
		}
	}
	if len(mp.customerID) == 0 || len(mp.messageID) == 0 || len(mp.text) == 0 && len(mp.attachments) == 0 {
		return nil, errors.New("mapping: customer_id, message_id and text or attachments are required")
	}
	mp.textTypes = base.TextTypes
	return &mp, nil
}

// Inbound is one customer message found in a webhook.
type Inbound struct {
	CustomerID, Name, Locale, ReplyTo string
	// MessageID is the platform's id; CID the message's cid, derived from
	// it.
	MessageID, CID string
	Text           string
	Attachments    []session.Attachment
}

// errPayload is a payload the mapping cannot read: 400 with the reason.
var errPayload = errors.New("malformed payload")

// extract decodes body and returns its customer messages and how many
// other events (statuses, stickers, …) it held. A payload that is not
// JSON, or a message without a customer or an id, is an error.
func (mp *mapping) extract(body []byte) (msgs []Inbound, other int, err error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, 0, fmt.Errorf("%w: not JSON: %v", errPayload, err)
	}
	if dec.More() {
		return nil, 0, fmt.Errorf("%w: more than one JSON value", errPayload)
	}
	if _, ok := root.(map[string]any); !ok {
		return nil, 0, fmt.Errorf("%w: want a JSON object", errPayload)
	}
	events, err := mp.events.walk(root, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", errPayload, err)
	}
	for i, ev := range events {
		if _, ok := ev.v.(map[string]any); !ok {
			return nil, 0, fmt.Errorf("%w: event %d is not an object", errPayload, i)
		}
		// An event without a type is judged by its content below.
		if t := mp.typ.str(ev); t != "" && !slices.Contains(mp.textTypes, t) {
			other++
			continue
		}
		in := Inbound{
			CustomerID: mp.customerID.str(ev),
			Name:       clip(mp.name.str(ev), 128),
			Locale:     mp.locale.str(ev),
			ReplyTo:    mp.replyTo.str(ev),
			MessageID:  mp.messageID.str(ev),
			Text:       mp.text.str(ev),
		}
		if in.Attachments, err = mp.attachmentsOf(ev); err != nil {
			return nil, 0, fmt.Errorf("%w: event %d: %v", errPayload, i, err)
		}
		if in.Text == "" && len(in.Attachments) == 0 {
			other++ // a sticker, a photo without caption: not a text
			continue
		}
		switch {
		case in.CustomerID == "" || len(in.CustomerID) > 128 || !utf8.ValidString(in.CustomerID):
			return nil, 0, fmt.Errorf("%w: event %d: no customer id (or longer than 128 bytes)", errPayload, i)
		case in.MessageID == "" || len(in.MessageID) > 512:
			return nil, 0, fmt.Errorf("%w: event %d: no message id (or longer than 512 bytes)", errPayload, i)
		case len(in.Text) > session.MaxTextBytes || !utf8.ValidString(in.Text):
			return nil, 0, fmt.Errorf("%w: event %d: text longer than %d bytes", errPayload, i, session.MaxTextBytes)
		case len(in.Locale) > 35:
			in.Locale = ""
		}
		if in.ReplyTo == "" {
			in.ReplyTo = in.CustomerID
		}
		msgs = append(msgs, in)
	}
	return msgs, other, nil
}

func (mp *mapping) attachmentsOf(ev event) ([]session.Attachment, error) {
	v, ok := mp.attachments.value(ev)
	if !ok {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, errors.New("attachments: want an array")
	}
	if len(arr) > session.MaxAttachments {
		return nil, fmt.Errorf("attachments: at most %d", session.MaxAttachments)
	}
	var out []session.Attachment
	for j, a := range arr {
		o, ok := a.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("attachment %d: want an object", j)
		}
		s := func(k string) string { x, _ := o[k].(string); return x }
		att := session.Attachment{URL: s("url"), MIME: s("mime"), Name: clip(s("name"), 256)}
		if n, ok := o["size"].(json.Number); ok {
			if sz, err := n.Int64(); err == nil && sz >= 0 {
				att.Size = sz
			}
		}
		if !strings.HasPrefix(att.URL, "https://") || len(att.URL) > 2048 {
			return nil, fmt.Errorf("attachment %d: url must be https:// and at most 2048 bytes", j)
		}
		out = append(out, att)
	}
	return out, nil
}

var cidEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// cidOf is the cid a platform message id of channel is stored under: a
// hash of both, so that two channels' ids (Telegram's and an app's small
// integers) or a widget's own cid never collide in a session that holds
// them all (one customer across channels), and any id (WhatsApp's are
// base64 with '=' and '+') makes a valid cid.
func cidOf(channel, id string) string {
	h := sha256.Sum256([]byte(channel + "\x00" + id))
	return "p." + cidEncoding.EncodeToString(h[:20])
}

// clip cuts s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
