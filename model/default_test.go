package model

import (
	"context"
	"path/filepath"
	"testing"
)

const defaultModelPath = "default/default.onnx"

// defaultDataGlob names the files scripts/build-default-model.sh trains
// on, in byte order of their names (what Glob returns).
const defaultDataGlob = "default/data/chat/*.train*.jsonl"

// TestDefaultModelFingerprint checks that the committed model was built
// from the committed data (rebuild with scripts/build-default-model.sh).
func TestDefaultModelFingerprint(t *testing.T) {
	m, err := LoadModelFile(defaultModelPath)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.FromSlash(defaultDataGlob))
	if err != nil || len(files) == 0 {
		t.Fatalf("no training data at %s: %v", defaultDataGlob, err)
	}
	var all []Example
	for _, f := range files {
		exs, err := ReadJSONLFile(filepath.FromSlash(f), ReadOptions{RequireIntent: true})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, exs...)
	}
	if got, want := m.Manifest.Fingerprint, Fingerprint(all, nil, nil); got != want {
		t.Fatalf("default model fingerprint %s, data fingerprint %s: run scripts/build-default-model.sh", got, want)
	}
}

func TestDefaultModel(t *testing.T) {
	s := newTestService(t, defaultModelPath, ServiceOptions{})
	tests := []struct {
		text, intent, lang string
	}{
		{"where is my order?", "track_order", "en"},
		{"I want to cancel my order", "cancel_order", "en"},
		{"how do I get a refund", "return_refund", "en"},
		{"how long does shipping take to Germany", "shipping", "en"},
		{"which payment methods do you accept", "payment", "en"},
		{"let me talk to a real person", "talk_to_human", "en"},
		{"thank you!", "thanks", "en"},
		{"我的快递到哪了", "track_order", "zh"},
		{"我要取消订单", "cancel_order", "zh"},
		{"怎么申请退款", "return_refund", "zh"},
		{"运费多少", "shipping", "zh"},
		{"可以用支付宝付款吗", "payment", "zh"},
		{"转人工客服", "talk_to_human", "zh"},
		{"¿Dónde está mi pedido?", "track_order", "es"},
		{"Quiero cancelar mi compra", "cancel_order", "es"},
		{"quiero un reembolso", "return_refund", "es"},
		{"¿cuánto cuesta el envío a Perú?", "shipping", "es"},
		{"¿puedo pagar con tarjeta de crédito?", "payment", "es"},
		{"quiero hablar con un agente", "talk_to_human", "es"},
		{"what's the weather like in Paris tomorrow", "oos", "en"},
	}
	ctx := context.Background()
	wrong := 0
	for _, tt := range tests {
		p, err := s.Classify(ctx, tt.text, "")
		if err != nil {
			t.Fatal(err)
		}
		got := p.Intent
		if !p.Understood {
			got = "oos"
		}
		if got != tt.intent || p.Lang != tt.lang {
			wrong++
			t.Logf("%q: intent %s (%.2f, understood %v), lang %s; want %s, %s", tt.text, p.Top[0].Label, p.Confidence, p.Understood, p.Lang, tt.intent, tt.lang)
		}
	}
	// Allow one miss in twenty; more means the default model regressed.
	if wrong > 1 {
		t.Errorf("%d of %d default-model checks failed", wrong, len(tests))
	}
}
