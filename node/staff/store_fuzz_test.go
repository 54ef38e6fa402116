package staff

import (
	"encoding/json"
	"testing"
)

// FuzzDecode: any value in staff.db's accounts bucket decodes to an
// account or an error naming it, and what decodes writes back as a value
// that decodes to the same account.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("ana"), []byte(`{"id":"ana","email":"ana@shop.example","name":"Ana","role":"admin","groups":["mx-es"],"hash":"$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA","created":"2026-12-01T10:00:00Z"}`))
	f.Add([]byte("x"), []byte(`{"disabled":true,"groups":null}`))
	f.Add([]byte(""), []byte(`{"created":"not a time"}`))
	f.Fuzz(func(t *testing.T, id, v []byte) {
		r, err := decode(id, v)
		if err != nil {
			return
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		r2, err := decode(id, b)
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		b2, _ := json.Marshal(r2)
		if string(b) != string(b2) {
			t.Fatalf("round trip changed the record:\n%s\n%s", b, b2)
		}
	})
}
