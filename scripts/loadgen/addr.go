//go:build linux

package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// maxSources bounds the number of source addresses a -src range may expand to.
const maxSources = 256

// errNotLoopback is returned when a target or source address is not a
// loopback address.
var errNotLoopback = errors.New("not a loopback address")

// parseSources expands a -src value into a list of loopback IPv4 addresses.
//
// Accepted forms, which may be combined with commas:
//
//	127.0.0.1              one address
//	127.0.0.1-127.0.0.8    an inclusive range within 127.0.0.0/8
//	::1                    the IPv6 loopback address
func parseSources(s string) ([]netip.Addr, error) {
	var out []netip.Addr
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		first, err := netip.ParseAddr(strings.TrimSpace(lo))
		if err != nil {
			return nil, fmt.Errorf("-src %q: %w", part, err)
		}
		if !first.IsLoopback() {
			return nil, fmt.Errorf("-src %q: %w", part, errNotLoopback)
		}
		if !isRange {
			out = append(out, first)
			continue
		}
		last, err := netip.ParseAddr(strings.TrimSpace(hi))
		if err != nil {
			return nil, fmt.Errorf("-src %q: %w", part, err)
		}
		if !first.Is4() || !last.Is4() {
			return nil, fmt.Errorf("-src %q: ranges must be IPv4", part)
		}
		if !last.IsLoopback() {
			return nil, fmt.Errorf("-src %q: %w", part, errNotLoopback)
		}
		if last.Less(first) {
			return nil, fmt.Errorf("-src %q: range end is before its start", part)
		}
		for a := first; ; a = a.Next() {
			out = append(out, a)
			if len(out) > maxSources {
				return nil, fmt.Errorf("-src %q: more than %d addresses", s, maxSources)
			}
			if a == last {
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-src %q: no addresses", s)
	}
	return out, nil
}

// checkLoopbackURL parses raw and returns it if its scheme is one of schemes
// and its host is localhost, an address in 127.0.0.0/8, or ::1.
func checkLoopbackURL(raw string, schemes ...string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	okScheme := false
	for _, s := range schemes {
		if u.Scheme == s {
			okScheme = true
		}
	}
	if !okScheme {
		return nil, fmt.Errorf("%q: scheme must be one of %v", raw, schemes)
	}
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("%q: no host", raw)
	}
	if strings.EqualFold(host, "localhost") {
		return u, nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Unmap().IsLoopback() {
		return nil, fmt.Errorf("%q: host %q: %w", raw, host, errNotLoopback)
	}
	return u, nil
}

// sameFamily reports whether the source address src can dial the target
// host (an IPv6 source cannot reach an IPv4 target and vice versa).
func sameFamily(src netip.Addr, host string) bool {
	if strings.EqualFold(host, "localhost") {
		return src.Is4()
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	return (ip.To4() != nil) == src.Is4()
}
