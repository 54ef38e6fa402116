package gateway

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/edgedesk/edgedesk/node/session"
)

func TestDecodeFrame(t *testing.T) {
	var f frame
	for _, ok := range []string{
		`{"type":"hello","v":1,"locale":"zh-CN","tz":"Asia/Shanghai","customer":{"id":"c1","tier":"vip"},"future_field":true}`,
		`{"type":"msg","cid":"a:b.c-d_e","text":"你好"}`,
		`{"type":"ack","seq":0}`,
		`{"type":"typing","on":false}`,
		`{"type":"bye"}`,
		`{"type":"contact","cid":"k1","email":"ana@example.com"}`,
		`{"type":"contact","email":"用户@例子.公司"}`,
		`{"type":"csat","cid":"r1","score":5,"comment":"¡Gracias!"}`,
		`{"type":"csat","score":1}`,
	} {
		if _, err := decodeFrame([]byte(ok), &f); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// FuzzDecodeFrame: the decoder never panics, refusals always carry a code,
// and an accepted msg is one the store accepts too.
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{
		`{"type":"hello","v":1,"token":"","session":"s_x","last_seq":3,"locale":"es-MX","tz":"America/Mexico_City","channel":"web","customer":{"id":"1"}}`,
		`{"type":"msg","cid":"1","text":"where is my order"}`,
		`{"type":"msg","cid":"2","attachments":[{"url":"https://a.example/x","size":1}]}`,
		`{"type":"ack","seq":18446744073709551615}`,
		`{"type":"typing","on":true}`, `{"type":"bye"}`, `{"type":"x"}`, `{}`, `null`, `[]`, "\xff", `{"type":"msg","cid":"` + strings.Repeat("a", 200) + `"}`,
		`{"type":"contact","cid":"k1","email":"ana@example.com"}`, `{"type":"contact","email":"a@b"}`,
		`{"type":"csat","cid":"r1","score":5,"comment":"ok"}`, `{"type":"csat","score":0}`, `{"type":"csat","score":9223372036854775808}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fr frame
		cid, err := decodeFrame(data, &fr)
		if cid != "" && !session.ValidCID(cid) {
			t.Fatalf("returned unchecked cid %q", cid)
		}
		if err != nil {
			pe, ok := err.(*protoError)
			if !ok || pe.Code == "" || pe.Message == "" {
				t.Fatalf("error without code: %#v", err)
			}
			// The error frame for it must be valid JSON.
			if !json.Valid(appendError(nil, pe.Code, pe.Message, cid)) {
				t.Fatal("invalid error frame")
			}
			return
		}
		if !utf8.Valid(data) {
			t.Fatal("accepted invalid UTF-8")
		}
		if fr.Type == "msg" {
			m := session.Message{Session: "s_fuzz", From: session.FromCustomer, CID: cid, Attachments: fr.Attachments, Text: fr.Text}
			if err := m.Check(); err != nil {
				t.Fatalf("gateway accepted a msg the store refuses: %v", err)
			}
		}
	})
}

func TestDecodeFrameValues(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want frame
		err  string // protoError message
	}{
		{in: `{"type":"msg","cid":"c1","text":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00"}`, want: frame{Type: "msg", CID: "c1", Text: "a\"b\\c/d\b\f\n\r\té😀"}},
		{in: `{"type":"msg","cid":"c1","text":"\ud800x\udc00\ud800\u0041"}`, want: frame{Type: "msg", CID: "c1", Text: "\ufffdx\ufffd\ufffdA"}},
		{in: ` {"t\u0079pe" : "bye" , "x":[{"y":[null,true,false,-1.5e+3,"z"]},{}],"z":{}} `, want: frame{Type: "bye"}},
		{in: `{"type":"msg","type":"ack","seq":1,"seq":18446744073709551615}`, want: frame{Type: "ack", Seq: math.MaxUint64, HasSeq: true}},
		{in: `{"type":"ack","seq":"x","seq":2}`, want: frame{Type: "ack", Seq: 2, HasSeq: true}},
		{in: `{"type":"ack","seq":2,"seq":null}`, want: frame{Type: "ack"}, err: "ack needs seq"},
		{in: `{"Type":"msg"}`, err: "missing type"},
		{in: `{"type":"hello","v":1,"customer":{"id":"a"},"customer":{"name":"b"}}`, want: frame{Type: "hello", V: 1, HasV: true, HasCustomer: true, Customer: session.Customer{Name: "b"}}},
		{in: `{"type":"msg","cid":"c","attachments":[null,{"url":"https://a/b","size":-0,"mime":null}]}`, want: frame{Type: "msg", CID: "c", Attachments: []session.Attachment{{}, {URL: "https://a/b"}}}, err: "attachment needs an http(s) url or a file uploaded to this node, size >= 0"},
		{in: `{"type":"contact","cid":"k","email":"ana@example.com","email":null}`, want: frame{Type: "contact", CID: "k"}, err: "contact needs email"},
		{in: `{"type":"contact","email":"a\u0040b.co"}`, want: frame{Type: "contact", Email: "a@b.co"}},
		{in: `{"type":"csat","score":3,"comment":"bien","score":4}`, want: frame{Type: "csat", Score: 4, HasScore: true, Comment: "bien"}},
		{in: `{"type":"csat","score":6}`, want: frame{Type: "csat", Score: 6, HasScore: true}, err: "score must be an integer from 1 to 5"},
		{in: `{"type":"csat","score":-1}`, err: "field score has the wrong type"},
		{in: `{"type":"csat","score":1e0}`, err: "field score has the wrong type"},
		{in: `{"type":"csat","score":5,"comment":7}`, err: "field comment has the wrong type"},
		{in: `{"email":[]}`, err: "field email has the wrong type"},
		{in: `{"type":"hello","v":-1}`, err: "field v has the wrong type"},
		{in: `{"type":"hello","v":1.0}`, err: "field v has the wrong type"},
		{in: `{"type":"hello","v":1e0}`, err: "field v has the wrong type"},
		{in: `{"type":"ack","seq":18446744073709551616}`, err: "field seq has the wrong type"},
		{in: `{"type":"hello","v":1,"last_seq":-0}`, err: "field last_seq has the wrong type"},
		{in: `{"on":"x","v":"y"}`, err: "field on has the wrong type"},
		{in: `{"customer":{"id":1}}`, err: "field customer.id has the wrong type"},
		{in: `{"customer":[]}`, err: "field customer has the wrong type"},
		{in: `{"attachments":[{"size":1.5}]}`, err: "field attachments.size has the wrong type"},
		{in: `{"attachments":[1]}`, err: "field attachments has the wrong type"},
		{in: `[]`, err: "field  has the wrong type"},
		{in: `null`, err: "missing type"},
		{in: `{"type":"msg",}`, err: "not a JSON object"},
		{in: `{"type":"msg"} x`, err: "not a JSON object"},
		{in: `{"x":01}`, err: "not a JSON object"},
		{in: `{"x":"\x"}`, err: "not a JSON object"},
		{in: "{\"x\":\"\t\"}", err: "not a JSON object"},
		{in: `{"x":` + strings.Repeat("[", maxDepth-1) + strings.Repeat("]", maxDepth-1) + `}`, err: "missing type"},
		{in: `{"x":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + `}`, err: "not a JSON object"},
	} {
		var f frame
		_, err := decodeFrame([]byte(tc.in), &f)
		msg := ""
		if err != nil {
			msg = err.(*protoError).Message
		}
		if msg != tc.err {
			t.Errorf("%.80s: error %q, want %q", tc.in, msg, tc.err)
			continue
		}
		if !strings.HasPrefix(tc.err, "field") && tc.err != "not a JSON object" && !reflect.DeepEqual(f, tc.want) {
			t.Errorf("%.80s:\n got %+v\nwant %+v", tc.in, f, tc.want)
		}
	}
}

func TestDecodeMsgAllocs(t *testing.T) {
	data := []byte(`{"type":"msg","cid":"c-123456","text":"Where is my order #A-12345? It was due yesterday."}`)
	var f frame
	if n := testing.AllocsPerRun(100, func() { decodeFrame(data, &f) }); n > 2 {
		t.Errorf("decoding a msg allocates %v times, want at most 2 (cid and text)", n)
	}
}

// FuzzDecodeFrameMatchesJSON checks the hand-written parser against
// encoding/json: the same inputs are valid JSON, and every known key that
// has the right type (per encoding/json into map[string]any, where the last
// duplicate wins) decodes to the same value.
func FuzzDecodeFrameMatchesJSON(f *testing.F) {
	for _, s := range []string{
		`{"type":"hello","v":1,"token":"t","session":"s_x","last_seq":3,"locale":"es-MX","tz":"UTC","channel":"web","customer":{"id":"1","name":"A","email":"a@b","tier":"vip"}}`,
		`{"type":"msg","cid":"1","text":"where is \u00e9 \ud83d\ude00 my order","attachments":[{"url":"https://a.example/x","mime":"image/png","name":"x","size":1},null]}`,
		`{"type":"ack","seq":18446744073709551615}`, `{"type":"typing","on":true}`, `{"type":"bye","x":[1,{"a":[]}]}`,
		`{"type":"ack","seq":1.5}`, `{"v":-1}`, `{"t\u0079pe":"msg","text":null}`, `{"customer":{"id":1}}`, `{"attachments":[{"size":1e3}]}`,
		`{"type":"contact","cid":"k1","email":"ana@example.com"}`, `{"type":"csat","cid":"r1","score":5,"comment":"\u00a1Gracias!"}`,
		`{"type":"csat","score":-5,"comment":null}`, `{"score":9223372036854775808}`, `{"email":1,"comment":{}}`,
		`{}`, `null`, `[]`, `"x"`, `{"a":"b",}`, `{"a" "b"}`, ` { } `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fr frame
		_, err := decodeFrame(data, &fr)
		msg := ""
		if err != nil {
			msg = err.(*protoError).Message
		}
		if !utf8.Valid(data) {
			if msg != "invalid UTF-8" {
				t.Fatalf("invalid UTF-8: %q", msg)
			}
			return
		}
		if !json.Valid(data) {
			if msg != "not a JSON object" {
				t.Fatalf("encoding/json refuses %q, decodeFrame says %q", data, msg)
			}
			return
		}
		if msg == "not a JSON object" {
			t.Fatalf("encoding/json accepts %q, decodeFrame does not", data)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		obj, isObj := v.(map[string]any)
		if !isObj {
			want := "field  has the wrong type"
			if v == nil {
				want = "missing type"
			}
			if msg != want {
				t.Fatalf("top-level %T: %q, want %q", v, msg, want)
			}
			return
		}
		want, wrong := oracleFrame(obj)
		if len(wrong) > 0 {
			path, ok := strings.CutPrefix(msg, "field ")
			path, ok2 := strings.CutSuffix(path, " has the wrong type")
			if !ok || !ok2 || !wrong[path] {
				t.Fatalf("wrong types at %v; decodeFrame says %q", wrong, msg)
			}
			return
		}
		if strings.HasPrefix(msg, "field ") {
			t.Fatalf("no wrong types; decodeFrame says %q", msg)
		}
		if len(fr.Attachments) == 0 && len(want.Attachments) == 0 {
			fr.Attachments, want.Attachments = nil, nil
		}
		if !reflect.DeepEqual(fr, want) {
			t.Fatalf("decoded\n %+v\nencoding/json\n %+v", fr, want)
		}
	})
}

// oracleFrame builds the frame encoding/json's map says data holds, and the
// paths of known fields with a value of the wrong type.
func oracleFrame(obj map[string]any) (f frame, wrong map[string]bool) {
	wrong = map[string]bool{}
	str := func(m map[string]any, key, path string, dst *string) {
		switch v := m[key].(type) {
		case nil:
		case string:
			*dst = v
		default:
			wrong[path] = true
		}
	}
	unsigned := func(key string, dst *uint64, has *bool) {
		if v, ok := obj[key]; ok && v != nil {
			n, isNum := v.(json.Number)
			u, err := strconv.ParseUint(string(n), 10, 64)
			if !isNum || err != nil {
				wrong[key] = true
				return
			}
			*dst = u
			if has != nil {
				*has = true
			}
		}
	}
	for key, dst := range map[string]*string{"type": &f.Type, "token": &f.Token, "session": &f.Session, "locale": &f.Locale, "tz": &f.TZ, "channel": &f.Channel, "cid": &f.CID, "text": &f.Text,
		"email": &f.Email, "comment": &f.Comment} {
		str(obj, key, key, dst)
	}
	var v uint64
	unsigned("v", &v, &f.HasV)
	if v > math.MaxInt {
		wrong["v"] = true
	}
	f.V = int(v)
	var score uint64
	unsigned("score", &score, &f.HasScore)
	if score > math.MaxInt {
		wrong["score"] = true
	}
	f.Score = int(score)
	unsigned("last_seq", &f.LastSeq, nil)
	unsigned("seq", &f.Seq, &f.HasSeq)
	switch on := obj["on"].(type) {
	case nil:
	case bool:
		f.On, f.HasOn = on, true
	default:
		wrong["on"] = true
	}
	switch c := obj["customer"].(type) {
	case nil:
	case map[string]any:
		f.HasCustomer = true
		str(c, "id", "customer.id", &f.Customer.ID)
		str(c, "name", "customer.name", &f.Customer.Name)
		str(c, "email", "customer.email", &f.Customer.Email)
		str(c, "tier", "customer.tier", &f.Customer.Tier)
	default:
		wrong["customer"] = true
	}
	switch list := obj["attachments"].(type) {
	case nil:
	case []any:
		for _, e := range list {
			var a session.Attachment
			switch e := e.(type) {
			case nil:
			case map[string]any:
				str(e, "url", "attachments.url", &a.URL)
				str(e, "mime", "attachments.mime", &a.MIME)
				str(e, "name", "attachments.name", &a.Name)
				if v, ok := e["size"]; ok && v != nil {
					n, isNum := v.(json.Number)
					i, err := strconv.ParseInt(string(n), 10, 64)
					if !isNum || err != nil {
						wrong["attachments.size"] = true
					}
					a.Size = i
				}
			default:
				wrong["attachments"] = true
			}
			f.Attachments = append(f.Attachments, a)
		}
	default:
		wrong["attachments"] = true
	}
	return f, wrong
}

func BenchmarkDecodeMsg(b *testing.B) {
	data := []byte(`{"type":"msg","cid":"c-123456","text":"Where is my order #A-12345? It was due yesterday."}`)
	var f frame
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeFrame(data, &f); err != nil {
			b.Fatal(err)
		}
	}
}
