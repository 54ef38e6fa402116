package webhook

import (
	"bytes"
	"github.com/edgedesk/edgedesk/node/session"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/config"
)

// FuzzVerify: no input panics, and a request is accepted only with the
// signature of its body.
func FuzzVerify(f *testing.F) {
	body, _ := os.ReadFile(filepath.Join("testdata", "generic.json"))
	now := time.Unix(1_800_000_000, 0)
	for _, p := range []string{config.PresetWhatsApp, config.PresetTelegram, config.PresetLINE, config.PresetGeneric} {
		h := signed(p, body, now)
		for k := range h {
			f.Add(p, k, h.Get(k), h.Get(HeaderSignature), body)
		}
	}
	f.Add(config.PresetGeneric, HeaderTimestamp, "99999999999999999999", "v1=zz", []byte("{}"))
	f.Fuzz(func(t *testing.T, preset, name, value, sig string, body []byte) {
		hdr := func(n string) string {
			switch n {
			case name:
				return value
			case HeaderSignature:
				return sig
			}
			return ""
		}
		err := verify(preset, []byte(testSecret), 5*time.Minute, hdr, body, now)
		if err != nil {
			return
		}
		// Accepted: it must be what the platform computes for body.
		want := signed(preset, body, now)
		switch preset {
		case config.PresetGeneric:
			if _, ok := signedAt(body, hdr(HeaderTimestamp), hdr(HeaderSignature)); !ok {
				t.Fatalf("accepted %q with %q=%q, signature %q", body, name, value, hdr(HeaderSignature))
			}
		default:
			if value != want.Get(name) {
				t.Fatalf("%s accepted %q=%q for %q", preset, name, value, body)
			}
		}
	})
}

// signedAt reports whether sig is the generic signature of body at ts.
func signedAt(body []byte, ts, sig string) (string, bool) {
	m := mac([]byte(testSecret), []byte(ts+"."), body)
	return ts, bytes.Equal([]byte(sig), []byte("v1="+hexString(m)))
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// FuzzMapping: any payload through any preset's mapping (and a mapping
// of fuzzed pointers) either fails with a reason or yields bounded,
// storable messages.
func FuzzMapping(f *testing.F) {
	for _, name := range []string{"whatsapp_text.json", "whatsapp_batch.json", "whatsapp_status.json", "telegram_message.json", "telegram_sticker.json", "line_events.json", "generic.json"} {
		b, _ := os.ReadFile(filepath.Join("testdata", name))
		f.Add(b, "/entry/*/changes/*/value/messages/*", "^/contacts/0/wa_id")
	}
	f.Add([]byte(`{"a":[[[[1]]]]}`), "/a/*/*/*/*", "/~1~0")
	f.Fuzz(func(t *testing.T, body []byte, events, field string) {
		for _, p := range []string{config.PresetWhatsApp, config.PresetTelegram, config.PresetLINE, config.PresetGeneric} {
			mp, err := compileMapping(p, config.ChannelMapping{})
			if err != nil {
				t.Fatal(err)
			}
			check(t, mp, body)
		}
		mp, err := compileMapping(config.PresetGeneric, config.ChannelMapping{Messages: events, CustomerID: []string{field}, Name: []string{field}})
		if err != nil {
			return
		}
		check(t, mp, body)
	})
}

func check(t *testing.T, mp *mapping, body []byte) {
	msgs, other, err := mp.extract(body)
	if err != nil {
		return
	}
	if len(msgs)+other > maxEvents {
		t.Fatalf("%d events", len(msgs)+other)
	}
	for _, m := range msgs {
		if m.CustomerID == "" || m.MessageID == "" || (m.Text == "" && len(m.Attachments) == 0) || len(m.Name) > 128 || len(m.Locale) > 35 {
			t.Fatalf("unstorable %+v", m)
		}
		if cid := cidOf("fuzz", m.MessageID); !session.ValidCID(cid) || cid == cidOf("other", m.MessageID) {
			t.Fatalf("cid %q of %q", cid, m.MessageID)
		}
	}
}

// FuzzPointer: parsing never panics, and a parsed pointer resolves in
// any document without panicking.
func FuzzPointer(f *testing.F) {
	f.Add("/a~1b/m~0n/0", []byte(`{"a/b":{"m~n":[1]}}`))
	f.Add("^/x/*", []byte(`{"x":[{}]}`))
	f.Fuzz(func(t *testing.T, s string, doc []byte) {
		p, err := parsePointer(s)
		if err != nil {
			return
		}
		var v any
		if dec := jsonDecoder(doc); dec.Decode(&v) != nil {
			return
		}
		p.get(v)
		p.walk(v, nil)
	})
}
