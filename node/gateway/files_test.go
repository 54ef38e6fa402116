package gateway

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/edgedesk/edgedesk/node/session"
)

// fakeFiles holds, for every session, the files named in stored (by file
// id) as the node recorded them; the file id "down" finds the store
// unavailable.
type fakeFiles struct{ stored map[string]session.Attachment }

func (fakeFiles) UploadToken(sid string) string { return "u1." + sid }

func (fakeFiles) Own(sid, url string) (string, bool) {
	if !strings.HasPrefix(url, "/") {
		return url, true // a link elsewhere
	}
	path, _, _ := strings.Cut(url, "?")
	return path, strings.HasPrefix(path, "/v1/files/"+sid+"/")
}

func (f fakeFiles) Stat(_ context.Context, stored string) (session.Attachment, error) {
	id := stored[strings.LastIndexByte(stored, '/')+1:]
	if id == "down" {
		return session.Attachment{}, errors.New("object store unavailable")
	}
	a, ok := f.stored[id]
	if !ok {
		return session.Attachment{}, fmt.Errorf("%w: %s", ErrNoFile, stored)
	}
	a.URL = stored
	return a, nil
}

func (fakeFiles) Sign(stored string) string { return stored + "?exp=1&sig=fresh" }

// A file on the node is stored with the type, name and size the node
// recorded at upload, not what the widget declared, and the receipt and
// the replay give it back so, with a fresh link; a file the node does not
// hold is refused with the msg's cid.
func TestAttachmentsAsStored(t *testing.T) {
	files := fakeFiles{stored: map[string]session.Attachment{"f1": {MIME: "image/png", Name: "parcel.png", Size: 1234}}}
	h := newHarnessFiles(t, nil, "", files)
	c := h.dial(nil)
	w := c.hello(nil)
	file := "/v1/files/" + w.Session + "/f1"
	c.send(map[string]any{"type": "msg", "cid": "a1", "attachments": []map[string]any{
		{"url": file + "?exp=9&sig=old", "mime": "text/html", "name": "invoice.html", "size": 7},
		{"url": "https://cdn.example/p.png", "mime": "image/png", "name": "p.png", "size": 99},
	}})
	r := c.next()
	if r.Type != "receipt" || r.CID != "a1" {
		t.Fatalf("receipt = %+v", r)
	}
	msgs, _ := h.store.Messages(w.Session, 0, 0)
	want := []session.Attachment{{URL: file, MIME: "image/png", Name: "parcel.png", Size: 1234}, {URL: "https://cdn.example/p.png", MIME: "image/png", Name: "p.png", Size: 99}}
	if len(msgs) != 1 || fmt.Sprint(msgs[0].Attachments) != fmt.Sprint(want) {
		t.Fatalf("stored %+v, want %+v", msgs, want)
	}
	// The receipt and the replay on resume carry the attachments as
	// stored, the node's file with a fresh link.
	fresh := slices.Clone(want)
	fresh[0].URL = files.Sign(file)
	if fmt.Sprint(r.Attachments) != fmt.Sprint(fresh) {
		t.Fatalf("receipt attachments %+v, want %+v", r.Attachments, fresh)
	}
	again := h.dial(nil)
	again.hello(map[string]any{"session": w.Session, "last_seq": 0})
	if m := again.next(); m.Type != "msg" || m.CID != "a1" || fmt.Sprint(m.Attachments) != fmt.Sprint(fresh) {
		t.Fatalf("replayed %+v, want attachments %+v", m, fresh)
	}
	for _, tc := range []struct{ id, code string }{{"gone", CodeBadFrame}, {"down", CodeUnavailable}} {
		cid := "m-" + tc.id
		c.send(map[string]any{"type": "msg", "cid": cid, "attachments": []map[string]any{{"url": "/v1/files/" + w.Session + "/" + tc.id, "mime": "image/png"}}})
		if f := c.next(); f.Type != "error" || f.Code != tc.code || f.CID != cid {
			t.Errorf("file %s: %+v, want error %s with cid %s", tc.id, f, tc.code, cid)
		}
	}
	if msgs, _ := h.store.Messages(w.Session, 0, 0); len(msgs) != 1 {
		t.Fatalf("%d messages stored, want 1", len(msgs))
	}
}
