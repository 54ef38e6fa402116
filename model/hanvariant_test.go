package model

import (
	"testing"
)

// TestHanVariants: the variant-only characters come from the training
// text (seen twice or more in one variant, never in the other), are
// counted per message, and move the head's zh/zh-Hant probability only
// when a message has characters of one variant alone.
func TestHanVariants(t *testing.T) {
	train := []Example{
		{Text: "我的订单在哪里", Lang: "zh"}, {Text: "订单发货了吗", Lang: "zh"}, {Text: "发票", Lang: "zh"},
		{Text: "我的訂單在哪裡", Lang: "zh-Hant"}, {Text: "訂單發貨了嗎", Lang: "zh-Hant"}, {Text: "發票", Lang: "zh-Hant"},
		{Text: "注文", Lang: "ja"}, {Text: "注文", Lang: "ja"},
	}
	h := hanVariantsOf(train)
	// 订, 单 and 发 twice in zh, never in zh-Hant; 里 and 吗 only once.
	if h.Simplified != "单发订" {
		t.Errorf("simplified %q, want %q", h.Simplified, "单发订")
	}
	if h.Traditional != "單發訂" {
		t.Errorf("traditional %q, want %q", h.Traditional, "單發訂")
	}
	if hanVariantsOf(train[:3]) != nil {
		t.Errorf("variants from zh alone, want none")
	}
	f := testFeaturizer(t).WithHanVariants(h)
	langs := []string{"en", "zh", "zh-Hant"}
	for _, tc := range []struct {
		text       string
		hans, hant int
		want       []float32
	}{
		{"公司要發票", 0, 1, []float32{0.1, 0, 0.9}},
		{"要发票", 1, 0, []float32{0.1, 0.9, 0}},
		{"发票 發票", 1, 1, []float32{0.1, 0.6, 0.3}}, // both: left to the head
		{"你好", 0, 0, []float32{0.1, 0.6, 0.3}},    // neither
	} {
		ft := f.Featurize(tc.text)
		if ft.Hans != tc.hans || ft.Hant != tc.hant {
			t.Errorf("%q: hans %d hant %d, want %d %d", tc.text, ft.Hans, ft.Hant, tc.hans, tc.hant)
		}
		p := []float32{0.1, 0.6, 0.3}
		applyHanVariants(langs, p, &ft)
		for i := range p {
			if d := p[i] - tc.want[i]; d > 1e-6 || d < -1e-6 {
				t.Errorf("%q: probabilities %v, want %v", tc.text, p, tc.want)
				break
			}
		}
	}
	// A model without zh-Hant is untouched.
	ft := f.Featurize("公司要發票")
	p := []float32{0.4, 0.6}
	applyHanVariants([]string{"en", "zh"}, p, &ft)
	if p[0] != 0.4 || p[1] != 0.6 {
		t.Errorf("without zh-Hant: %v changed", p)
	}
}
