//go:build linux

package main

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
)

func TestParseSources(t *testing.T) {
	a := netip.MustParseAddr
	tests := []struct {
		in      string
		want    []netip.Addr
		wantErr bool
	}{
		{in: "127.0.0.1", want: []netip.Addr{a("127.0.0.1")}},
		{in: "127.0.0.1-127.0.0.3", want: []netip.Addr{a("127.0.0.1"), a("127.0.0.2"), a("127.0.0.3")}},
		{in: "127.0.0.255-127.0.1.1", want: []netip.Addr{a("127.0.0.255"), a("127.0.1.0"), a("127.0.1.1")}},
		{in: " 127.0.0.5 , ::1", want: []netip.Addr{a("127.0.0.5"), a("::1")}},
		{in: "127.0.0.2-127.0.0.2", want: []netip.Addr{a("127.0.0.2")}},
		{in: "127.0.0.3-127.0.0.1", wantErr: true},
		{in: "10.0.0.1", wantErr: true},
		{in: "127.0.0.1-10.0.0.1", wantErr: true},
		{in: "127.0.0.1-127.0.10.1", wantErr: true}, // too many
		{in: "::1-::2", wantErr: true},
		{in: "localhost", wantErr: true},
		{in: "", wantErr: true},
		{in: ",", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseSources(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseSources(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && !slices.Equal(got, tt.want) {
				t.Errorf("parseSources(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestCheckLoopbackURL(t *testing.T) {
	tests := []struct {
		in       string
		ok       bool
		loopback bool // when !ok: whether the failure is errNotLoopback
	}{
		{in: "ws://127.0.0.1:8080/v1/ws", ok: true},
		{in: "ws://127.8.9.10:1/v1/ws", ok: true},
		{in: "ws://localhost:8080/v1/ws", ok: true},
		{in: "ws://LOCALHOST/v1/ws", ok: true},
		{in: "ws://[::1]:8080/v1/ws", ok: true},
		{in: "ws://[::ffff:127.0.0.1]:8080/v1/ws", ok: true},
		{in: "ws://10.1.2.3:8080/v1/ws", loopback: true},
		{in: "ws://example.com/v1/ws", loopback: true},
		{in: "ws://localhost.example.com/v1/ws", loopback: true},
		{in: "ws://[::2]:80/", loopback: true},
		{in: "ws://0.0.0.0:8080/", loopback: true},
		{in: "http://127.0.0.1:8080/v1/ws"},
		{in: "wss://127.0.0.1:8080/v1/ws"},
		{in: "ws:///v1/ws"},
		{in: "127.0.0.1:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := checkLoopbackURL(tt.in, "ws")
			if (err == nil) != tt.ok {
				t.Fatalf("checkLoopbackURL(%q) error = %v, want ok %v", tt.in, err, tt.ok)
			}
			if !tt.ok && errors.Is(err, errNotLoopback) != tt.loopback {
				t.Errorf("checkLoopbackURL(%q) error = %v, want errNotLoopback %v", tt.in, err, tt.loopback)
			}
		})
	}
}

func TestSameFamily(t *testing.T) {
	v4, v6 := netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("::1")
	if !sameFamily(v4, "127.0.0.1") || sameFamily(v6, "127.0.0.1") {
		t.Error("IPv4 target")
	}
	if !sameFamily(v6, "::1") || sameFamily(v4, "::1") {
		t.Error("IPv6 target")
	}
	if !sameFamily(v4, "localhost") {
		t.Error("localhost")
	}
}
