//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// frame holds the fields of a node frame that the load client looks at.
type frame struct {
	Type string `json:"type"`
	CID  string `json:"cid"`
	Code string `json:"code"`
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
// text must not need JSON escaping (messageText guarantees that).
func appendMsg(dst []byte, sid, k int, text string) []byte {
	dst = append(dst, `{"type":"msg","cid":"`...)
	dst = appendCID(dst, sid, k)
	dst = append(dst, `","text":"`...)
	dst = append(dst, text...)
	return append(dst, `"}`...)
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

// parseFrame extracts the type, cid and code of a frame.
//
// The fast path scans for the compact `"key":"value"` form that Go's
// encoding/json writes; it looks only at string values without escapes.
// Anything else falls back to encoding/json. ok is false when the frame is
// not a JSON object with a string "type".
func parseFrame(data []byte) (f frame, ok bool) {
	typ, fast := scanString(data, `"type":"`)
	if fast {
		f.Type = typ
		f.CID, _ = scanString(data, `"cid":"`)
		f.Code, _ = scanString(data, `"code":"`)
		return f, true
	}
	if err := json.Unmarshal(data, &f); err != nil || f.Type == "" {
		return frame{}, false
	}
	return f, true
}

// scanString returns the string that follows key in data up to the next
// quote. ok is false if key is absent or the value holds an escape.
func scanString(data []byte, key string) (string, bool) {
	i := bytes.Index(data, []byte(key))
	if i < 0 {
		return "", false
	}
	v := data[i+len(key):]
	j := bytes.IndexByte(v, '"')
	if j < 0 || bytes.IndexByte(v[:j], '\\') >= 0 {
		return "", false
	}
	return string(v[:j]), true
}
