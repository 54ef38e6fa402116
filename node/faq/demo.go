package faq

import (
	"bytes"
	"embed"
	"io/fs"
)

// Demo is a demo FAQ (JSONL) for a fictional shop, shop.example.com: an
// answer for each intent of the default intent model (track_order,
// cancel_order, change_order, return_refund, shipping, payment, invoice,
// account, complaint, talk_to_human, greeting, thanks), the reserved
// bot texts _fallback, _handoff, _flow_cancelled and _flow_expired, and
// routing's texts to the customer (_agent_joined, _queued, _team_closed,
// _no_agents, _picked_up, _chat_closed), in every language of the
// default model (DemoLanguages), one file a language under demo/. A node
// seeds an empty store with it (SeedIfEmpty) so that it answers out of
// the box; its policies (30-day returns, €50 free shipping, …) are made
// up and meant to be replaced.
var Demo = joinDemo()

//go:embed demo/*.jsonl
var demoFS embed.FS

// joinDemo concatenates the per-language files, in name order, under one
// header line.
func joinDemo() []byte {
	files, err := fs.Glob(demoFS, "demo/*.jsonl")
	if err != nil {
		panic(err) // a constant pattern
	}
	var b bytes.Buffer
	b.WriteString("# edgedesk demo FAQ for the fictional Example Shop (shop.example.com): a starting point to edit, not real policy.\n")
	for _, name := range files {
		data, err := demoFS.ReadFile(name)
		if err != nil {
			panic(err) // embedded
		}
		b.Write(data)
		if len(data) > 0 && data[len(data)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// DemoLanguages are the languages of the demo FAQ: those of the default
// intent model.
var DemoLanguages = []string{"en", "es", "pt", "fr", "de", "it", "nl", "pl", "ru", "tr", "ar", "ja", "ko", "zh", "zh-Hant", "id", "vi", "th"}
