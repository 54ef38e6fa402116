package model

import (
	"context"
	"path/filepath"
	"reflect"
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
	// The concept lexicon in the model is the committed one.
	lex := m.Manifest.Featurizer.Concepts
	if lex == nil {
		t.Fatal("the default model has no concept lexicon: run scripts/build-default-model.sh")
	}
	files2, err := ReadConceptDir(filepath.FromSlash(defaultConceptDir), "concepts", lex.Repeat)
	if err != nil {
		t.Fatal(err)
	}
	if lex.Version != files2.Version || !reflect.DeepEqual(lex.Concepts, files2.Concepts) {
		t.Fatalf("default model lexicon %s, %s has %s: run scripts/build-default-model.sh", lex.Version, defaultConceptDir, files2.Version)
	}
}

// defaultConceptDir is the concept lexicon scripts/build-default-model.sh
// builds the default model with.
const defaultConceptDir = "default/concepts"

func TestDefaultModel(t *testing.T) {
	s := newTestService(t, defaultModelPath, ServiceOptions{})
	tests := []struct {
		text, intent, lang string
	}{
		{"where is my order?", "track_order", "en"},
		{"I want to cancel my order", "cancel_order", "en"},
		{"how do I get a refund", "return_refund", "en"},
		{"how long does shipping take to Germany", "shipping", "en"},
		{"let me talk to a real person", "talk_to_human", "en"},
		{"what's the weather like in Paris tomorrow", "oos", "en"},
		{"我的快递到哪了", "track_order", "zh"},
		{"我要取消订单", "cancel_order", "zh"},
		{"可以用支付宝付款吗", "payment", "zh"},
		{"退货政策是什么？", "return_refund", "zh"},
		{"¿Dónde está mi pedido?", "track_order", "es"},
		{"quiero un reembolso", "return_refund", "es"},
		{"quiero hablar con un agente", "talk_to_human", "es"},
		{"où est ma commande ?", "track_order", "fr"},
		{"je veux annuler ma commande", "cancel_order", "fr"},
		{"wo ist mein Paket?", "track_order", "de"},
		{"ich möchte meine Rechnung", "invoice", "de"},
		{"quero devolver o produto", "return_refund", "pt"},
		{"vorrei annullare l'ordine", "cancel_order", "it"},
		{"mijn pakket is nog niet aangekomen", "track_order", "nl"},
		{"chcę zwrócić towar", "return_refund", "pl"},
		{"где мой заказ?", "track_order", "ru"},
		{"siparişimi iptal etmek istiyorum", "cancel_order", "tr"},
		{"أريد استرجاع المبلغ", "return_refund", "ar"},
		{"注文をキャンセルしたいです", "cancel_order", "ja"},
		{"배송 언제 와요?", "track_order", "ko"},
		{"我要退貨", "return_refund", "zh-Hant"},
		{"pesanan saya belum sampai", "track_order", "id"},
		{"tôi muốn hủy đơn hàng", "cancel_order", "vi"},
		{"ขอคุยกับพนักงานหน่อยค่ะ", "talk_to_human", "th"},
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
	// Allow one miss in fifteen; more means the default model regressed.
	if wrong > len(tests)/15 {
		t.Errorf("%d of %d default-model checks failed", wrong, len(tests))
	}
}
