package gateway

import (
	"net"
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

// ClientIP reads a CDN's header only when routing.trust_headers trusts
// that CDN, and only a well-formed address in it.
func TestClientIP(t *testing.T) {
	all := Trust{AcceptLanguage: true, CloudFront: true, Cloudflare: true}
	peer := &net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 5555}
	for _, tc := range []struct {
		name    string
		headers map[string]string
		trust   Trust
		want    string
	}{
		{"the peer", nil, all, "192.0.2.7"},
		{"nothing trusted", map[string]string{"CF-Connecting-IP": "203.0.113.9", "CloudFront-Viewer-Address": "203.0.113.8:443"}, Trust{AcceptLanguage: true}, "192.0.2.7"},
		{"cloudflare", map[string]string{"CF-Connecting-IP": "203.0.113.9"}, all, "203.0.113.9"},
		{"cloudflare ipv6", map[string]string{"CF-Connecting-IP": "2001:db8::42"}, Trust{Cloudflare: true}, "2001:db8::42"},
		{"cloudfront ipv4", map[string]string{"CloudFront-Viewer-Address": "203.0.113.8:46532"}, Trust{CloudFront: true}, "203.0.113.8"},
		{"cloudfront ipv6", map[string]string{"CloudFront-Viewer-Address": "2001:db8::1:46532"}, Trust{CloudFront: true}, "2001:db8::1"},
		{"cloudfront untrusted", map[string]string{"CloudFront-Viewer-Address": "203.0.113.8:46532"}, Trust{Cloudflare: true}, "192.0.2.7"},
		{"garbage ignored", map[string]string{"CF-Connecting-IP": "203.0.113.9, 10.0.0.1", "CloudFront-Viewer-Address": "x:1"}, all, "192.0.2.7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var req fasthttp.Request
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			var ctx fasthttp.RequestCtx
			ctx.Init(&req, peer, nil)
			if got := ClientIP(&ctx, tc.trust); got != tc.want {
				t.Fatalf("ClientIP = %q, want %q", got, tc.want)
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
