//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
)

// frame holds the fields of a node frame that the load client looks at.
// Seq and ReplyTo are 0 when absent.
type frame struct {
	Type    string `json:"type"`
	CID     string `json:"cid"`
	Code    string `json:"code"`
	From    string `json:"from"`
	Seq     uint64 `json:"seq"`
	ReplyTo uint64 `json:"reply_to"`
}

// helloFrame returns the hello frame sent as the first frame of every session.
func helloFrame(token string) []byte {
	b, _ := json.Marshal(struct {
		Type    string `json:"type"`
		V       int    `json:"v"`
		Token   string `json:"token"`
		Locale  string `json:"locale"`
		TZ      string `json:"tz"`
		Channel string `json:"channel"`
	}{"hello", 1, token, "en-US", "Europe/London", "web"})
	return b
}

// encodeText returns text as a JSON string literal, quotes included, ready
// to be spliced into a frame. Like a browser's JSON.stringify it leaves <, >
// and & alone; invalid UTF-8 becomes U+FFFD.
func encodeText(text string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(text) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// messageText returns a printable ASCII message body of exactly size bytes.
func messageText(size int) string {
	const base = "Hello, I need help with my order, it has not arrived yet. "
	var sb strings.Builder
	for sb.Len() < size {
		sb.WriteString(base)
	}
	return sb.String()[:size]
}

// appendMsg appends a msg frame whose cid names session sid and message k.
// quoted is the text already encoded as a JSON string (see encodeText).
func appendMsg(dst []byte, sid, k int, quoted string) []byte {
	dst = append(dst, `{"type":"msg","cid":"`...)
	dst = appendCID(dst, sid, k)
	dst = append(dst, `","text":`...)
	dst = append(dst, quoted...)
	return append(dst, '}')
}

// appendCID appends the client message id "s<sid>-<k>".
func appendCID(dst []byte, sid, k int) []byte {
	dst = append(dst, 's')
	dst = strconv.AppendInt(dst, int64(sid), 10)
	dst = append(dst, '-')
	return strconv.AppendInt(dst, int64(k), 10)
}

// parseCID splits a cid made by appendCID into its session and message
// numbers.
func parseCID(cid string) (sid, k int, ok bool) {
	rest, found := strings.CutPrefix(cid, "s")
	if !found {
		return 0, 0, false
	}
	a, b, found := strings.Cut(rest, "-")
	if !found {
		return 0, 0, false
	}
	sid, err1 := strconv.Atoi(a)
	k, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || sid < 0 || k < 0 {
		return 0, 0, false
	}
	return sid, k, true
}

// parseFrame extracts the type, cid, code, from, seq and reply_to of a
// frame.
//
// The fast path scans for the compact `"key":"value"` and `"key":123` forms
// that the node and Go's encoding/json write. A key pattern cannot match
// inside a string value, where every quote is escaped, so text with escapes
// elsewhere in the frame does not matter; only the string values it
// extracts must be free of escapes. Anything else falls back to
// encoding/json. ok is false when the frame is not a JSON object with a
// string "type".
func parseFrame(data []byte) (f frame, ok bool) {
	typ, st := scanString(data, `"type":"`)
	if st == valueOK {
		f.Type = typ
		var st1, st2, st3 scanStatus
		f.CID, st1 = scanString(data, `"cid":"`)
		f.Code, st2 = scanString(data, `"code":"`)
		f.From, st3 = scanString(data, `"from":"`)
		if st1 != valueEscaped && st2 != valueEscaped && st3 != valueEscaped {
			f.Seq = scanUint(data, `"seq":`)
			f.ReplyTo = scanUint(data, `"reply_to":`)
			return f, true
		}
		f = frame{}
	}
	// A field of an unexpected type (say a negative seq) leaves that field
	// zero but does not make the frame unparsable.
	var typeErr *json.UnmarshalTypeError
	if err := json.Unmarshal(data, &f); (err != nil && !errors.As(err, &typeErr)) || f.Type == "" {
		return frame{}, false
	}
	return f, true
}

// scanStatus is the outcome of scanString.
type scanStatus int

const (
	valueAbsent  scanStatus = iota // key not found
	valueOK                        // value found, without escapes
	valueEscaped                   // value found but holds an escape
)

// scanString returns the string that follows key in data up to the next
// quote.
func scanString(data []byte, key string) (string, scanStatus) {
	i := bytes.Index(data, []byte(key))
	if i < 0 {
		return "", valueAbsent
	}
	v := data[i+len(key):]
	j := bytes.IndexByte(v, '"')
	if j < 0 || bytes.IndexByte(v[:j], '\\') >= 0 {
		return "", valueEscaped
	}
	return string(v[:j]), valueOK
}

// scanUint returns the unsigned integer that follows key in data, or 0 if
// key is absent, not followed by digits, or the number overflows uint64.
func scanUint(data []byte, key string) uint64 {
	i := bytes.Index(data, []byte(key))
	if i < 0 {
		return 0
	}
	var v uint64
	for _, c := range data[i+len(key):] {
		if c < '0' || c > '9' {
			break
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0
		}
		v = v*10 + d
	}
	return v
}
