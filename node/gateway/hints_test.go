package gateway

import (
	"testing"

	"github.com/valyala/fasthttp"
)

func TestReadHints(t *testing.T) {
	all := Trust{AcceptLanguage: true, CloudFront: true, Cloudflare: true}
	for _, tc := range []struct {
		name    string
		headers map[string]string
		trust   Trust
		want    hints
	}{
		{"nothing trusted", map[string]string{"Accept-Language": "es-MX", "CloudFront-Viewer-Time-Zone": "America/Mexico_City"}, Trust{}, hints{}},
		{"accept-language q order", map[string]string{"Accept-Language": "en;q=0.5, es-MX, fr;q=0.8"}, all, hints{locale: "es-MX"}},
		{"cloudfront zone and country", map[string]string{"Accept-Language": "es", "CloudFront-Viewer-Time-Zone": "America/Mexico_City", "CloudFront-Viewer-Country": "MX"}, all, hints{locale: "es-MX", tz: "America/Mexico_City"}},
		{"cloudflare country", map[string]string{"Accept-Language": "en", "CF-IPCountry": "gb"}, all, hints{locale: "en-GB"}},
		{"country without trust", map[string]string{"Accept-Language": "en", "CF-IPCountry": "GB"}, Trust{AcceptLanguage: true}, hints{locale: "en"}},
		{"bad values ignored", map[string]string{"Accept-Language": "*, <script>", "CloudFront-Viewer-Time-Zone": "../../etc/passwd"}, all, hints{}},
		{"unknown zone ignored", map[string]string{"CloudFront-Viewer-Time-Zone": "Mars/Olympus"}, all, hints{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h fasthttp.RequestHeader
			for k, v := range tc.headers {
				h.Set(k, v)
			}
			if got := readHints(&h, tc.trust); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func FuzzBestLanguage(f *testing.F) {
	f.Add("en-US,en;q=0.9,es;q=0.8")
	f.Add("*;q=0.1, zh-Hant-TW")
	f.Fuzz(func(t *testing.T, v string) {
		if got := bestLanguage(v); got != "" && !validTag(got) {
			t.Fatalf("bestLanguage(%q) = %q", v, got)
		}
	})
}
