package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

// TestFromHistoryRoundTrip: a session's outbox events, as the core's
// stream holds them, rebuild its metadata and messages, which Import
// takes on another store.
func TestFromHistoryRoundTrip(t *testing.T) {
	s := openTest(t, Options{Outbox: true, Respond: echoResponder})
	a, b := mustCreate(t, s).ID, mustCreate(t, s).ID
	for i, sid := range []string{a, b, a, a} {
		submitWait(t, s, customerMsg(sid, fmt.Sprint("c", i), "hi"))
	}
	var evs []OutboxEvent
	for shard := range s.OutboxShards() {
		got, err := s.OutboxBatch(shard, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, got...) // b's events too: FromHistory keeps a's
	}
	meta, msgs, err := FromHistory(a, evs)
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.Messages(a, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := s.Get(a)
	if meta.ID != a || string(meta.Conv) != string(stored.Conv) || len(msgs) != len(want) || len(msgs) != 6 {
		t.Fatalf("meta %+v (stored %+v), %d messages, want %d", meta, stored, len(msgs), len(want))
	}
	for i := range want {
		if msgs[i].Seq != want[i].Seq || msgs[i].Text != want[i].Text || msgs[i].From != want[i].From {
			t.Fatalf("message %d: %+v, want %+v", i, msgs[i], want[i])
		}
	}
	other := openTest(t, Options{})
	if err := other.Import(context.Background(), meta, msgs); err != nil {
		t.Fatal(err)
	}
	if got, _ := other.Get(a); got.LastSeq != uint64(len(want)) {
		t.Fatalf("imported LastSeq %d", got.LastSeq)
	}
}

// TestFromHistoryRules: metadata by id, messages once each by seq,
// expiry as the last word, gaps refused.
func TestFromHistoryRules(t *testing.T) {
	const sid = "s_1"
	meta := func(id, locale string) OutboxEvent {
		b, _ := json.Marshal(Meta{ID: id, Locale: locale})
		return OutboxEvent{Session: sid, Kind: OutboxMeta, Data: b}
	}
	msg := func(session string, seq uint64, text string) OutboxEvent {
		b, _ := json.Marshal(Message{Session: session, Seq: seq, Text: text})
		return OutboxEvent{Session: sid, Seq: seq, Kind: OutboxMessage, Data: b}
	}
	expire := OutboxEvent{Session: sid, Kind: OutboxExpire}
	note := OutboxEvent{Session: sid, Kind: OutboxNote, Data: []byte(`{"text":"n"}`)}
	for _, tc := range []struct {
		name   string
		sid    string
		evs    []OutboxEvent
		locale string
		texts  []string
		err    error
	}{
		{name: "meta and messages", sid: sid, evs: []OutboxEvent{meta(sid, "en"), msg(sid, 1, "a"), note, msg(sid, 2, "b"), meta(sid, "es")}, locale: "es", texts: []string{"a", "b"}},
		{name: "messages out of order", sid: sid, evs: []OutboxEvent{msg(sid, 2, "b"), msg(sid, 1, "a")}, texts: []string{"a", "b"}},
		{name: "a later copy counts once", sid: sid, evs: []OutboxEvent{msg(sid, 1, "a"), msg(sid, 1, "a2")}, texts: []string{"a2"}},
		{name: "another session's data", sid: sid, evs: []OutboxEvent{meta("s_2", "fr"), msg(sid, 1, "a"), msg("s_2", 2, "x")}, texts: []string{"a"}},
		{name: "undecodable data", sid: sid, evs: []OutboxEvent{{Kind: OutboxMessage, Data: []byte("{")}, msg(sid, 1, "a")}, texts: []string{"a"}},
		{name: "no meta", sid: sid, evs: []OutboxEvent{note}},
		{name: "expired", sid: sid, evs: []OutboxEvent{meta(sid, "en"), msg(sid, 1, "a"), expire}, err: ErrNoHistory},
		{name: "expiry then a message", sid: sid, evs: []OutboxEvent{msg(sid, 1, "a"), expire, msg(sid, 2, "b")}, texts: []string{"a", "b"}},
		{name: "expiry then meta", sid: sid, evs: []OutboxEvent{expire, meta(sid, "en")}, locale: "en"},
		{name: "gap", sid: sid, evs: []OutboxEvent{msg(sid, 1, "a"), msg(sid, 3, "c")}, err: ErrInvalid},
		{name: "no seq 1", sid: sid, evs: []OutboxEvent{msg(sid, 2, "b")}, err: ErrInvalid},
		{name: "no events", sid: sid, err: ErrNoHistory},
		{name: "bad id", sid: "s 1", evs: []OutboxEvent{msg("s 1", 1, "a")}, err: ErrNoHistory},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, msgs, err := FromHistory(tc.sid, tc.evs)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.ID != tc.sid || m.Locale != tc.locale {
				t.Fatalf("meta %+v", m)
			}
			var texts []string
			for i, msg := range msgs {
				if msg.Seq != uint64(i+1) {
					t.Fatalf("message %d has seq %d", i, msg.Seq)
				}
				texts = append(texts, msg.Text)
			}
			if fmt.Sprint(texts) != fmt.Sprint(tc.texts) {
				t.Fatalf("messages %v, want %v", texts, tc.texts)
			}
		})
	}
}
