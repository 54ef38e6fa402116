package webhook

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/config"
)

// BenchmarkVerifyExtract is a webhook's work before the store: the
// signature over the raw body, then the mapping, per preset on its
// documented payload.
func BenchmarkVerifyExtract(b *testing.B) {
	now := time.Unix(1_800_000_000, 0)
	for _, c := range []struct{ preset, file string }{
		{config.PresetWhatsApp, "whatsapp_batch.json"},
		{config.PresetTelegram, "telegram_message.json"},
		{config.PresetLINE, "line_events.json"},
		{config.PresetGeneric, "generic.json"},
	} {
		b.Run(c.preset, func(b *testing.B) {
			body, err := os.ReadFile(filepath.Join("testdata", c.file))
			if err != nil {
				b.Fatal(err)
			}
			mp, err := compileMapping(c.preset, config.ChannelMapping{})
			if err != nil {
				b.Fatal(err)
			}
			h := signed(c.preset, body, now)
			hdr := func(n string) string { return h.Get(n) }
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if err := verify(c.preset, []byte(testSecret), 5*time.Minute, hdr, body, now); err != nil {
					b.Fatal(err)
				}
				if msgs, _, err := mp.extract(body); err != nil || len(msgs) == 0 {
					b.Fatalf("%d messages, %v", len(msgs), err)
				}
			}
		})
	}
}
