package gateway

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"
)

// hints are what the edge's request headers say about the customer, used
// when hello does not say it: each source only when the operator trusts it
// (routing.trust_headers), since a header is whatever the client or the CDN
// in front wrote.
type hints struct {
	locale, tz string
}

// Trust names the header sources a Gateway may read.
type Trust struct {
	AcceptLanguage bool // Accept-Language → locale
	CloudFront     bool // CloudFront-Viewer-Time-Zone, CloudFront-Viewer-Country
	Cloudflare     bool // CF-IPCountry
}

// ParseTrust turns routing.trust_headers into a Trust.
func ParseTrust(names []string) Trust {
	var t Trust
	for _, n := range names {
		switch n {
		case "accept-language":
			t.AcceptLanguage = true
		case "cloudfront":
			t.CloudFront = true
		case "cloudflare":
			t.Cloudflare = true
		}
	}
	return t
}

func (t Trust) any() bool { return t.AcceptLanguage || t.CloudFront || t.Cloudflare }

// readHints reads the trusted headers of an upgrade request.
func readHints(h *fasthttp.RequestHeader, t Trust) hints {
	var out hints
	if t.AcceptLanguage {
		out.locale = bestLanguage(string(h.Peek("Accept-Language")))
	}
	country := ""
	if t.CloudFront {
		if tz := string(h.Peek("CloudFront-Viewer-Time-Zone")); validTZ(tz) {
			out.tz = tz
		}
		country = string(h.Peek("CloudFront-Viewer-Country"))
	}
	if country == "" && t.Cloudflare {
		country = string(h.Peek("CF-IPCountry"))
	}
	// A bare language and a country make a regional locale: es + MX → es-MX.
	if len(country) == 2 && isAlpha(country) && out.locale != "" && !strings.Contains(out.locale, "-") {
		out.locale += "-" + strings.ToUpper(country)
	}
	return out
}

// ClientIP is the address of the client that sent ctx: the one a CDN
// in front of the node names, when routing.trust_headers trusts it —
// Cloudflare's CF-Connecting-IP (t.Cloudflare), CloudFront's
// CloudFront-Viewer-Address (t.CloudFront) — else the connection's peer.
// An untrusted header is never read: a client writes whatever it likes
// there. The node keys per-client budgets on it (files.ip_* for uploads).
func ClientIP(ctx *fasthttp.RequestCtx, t Trust) string {
	if t.Cloudflare {
		if a, err := netip.ParseAddr(strings.TrimSpace(string(ctx.Request.Header.Peek("CF-Connecting-IP")))); err == nil {
			return a.Unmap().String()
		}
	}
	if t.CloudFront {
		// "198.51.100.10:46532", "2001:db8::1:46532": the address, a
		// colon, the client's port.
		v := strings.TrimSpace(string(ctx.Request.Header.Peek("CloudFront-Viewer-Address")))
		if i := strings.LastIndexByte(v, ':'); i > 0 {
			if a, err := netip.ParseAddr(strings.Trim(v[:i], "[]")); err == nil {
				return a.Unmap().String()
			}
		}
	}
	if a, ok := netip.AddrFromSlice(ctx.RemoteIP()); ok {
		return a.Unmap().String()
	}
	return ctx.RemoteIP().String()
}

// bestLanguage returns the Accept-Language tag with the highest q ("" for
// none or "*").
func bestLanguage(v string) string {
	best, bestQ := "", -1.0
	for part := range strings.SplitSeq(v, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.TrimSpace(tag)
		q := 1.0
		if p, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(p, 64); err == nil {
				q = f
			}
		}
		if tag == "" || tag == "*" || len(tag) > 35 || !validTag(tag) || q <= bestQ {
			continue
		}
		best, bestQ = tag, q
	}
	return best
}

func validTag(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return len(s) >= 2
}

func isAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}
