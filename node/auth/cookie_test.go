package auth

import "testing"

func TestStaffToken(t *testing.T) {
	for _, tc := range []struct {
		authz, cookie, want string
		fromCookie          bool
	}{
		{"Bearer abc", "def", "abc", false},
		{"", "def", "def", true},
		{"Basic xyz", "def", "def", true},
		{"Bearer ", "def", "def", true},
		{"", "", "", false},
	} {
		got, fc := StaffToken(tc.authz, tc.cookie)
		if got != tc.want || fc != tc.fromCookie {
			t.Errorf("StaffToken(%q, %q) = %q, %v; want %q, %v", tc.authz, tc.cookie, got, fc, tc.want, tc.fromCookie)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	for _, tc := range []struct {
		origin, host string
		want         bool
	}{
		{"http://127.0.0.1:8080", "127.0.0.1:8080", true},
		{"https://shop.example", "SHOP.example", true},
		{"https://evil.example", "shop.example", false},
		{"http://127.0.0.1:8081", "127.0.0.1:8080", false},
		{"null", "127.0.0.1:8080", false},
		{"", "127.0.0.1:8080", false},
		{"ftp://127.0.0.1:8080", "127.0.0.1:8080", false},
		{"http://127.0.0.1:8080/x", "127.0.0.1:8080", false},
		{"http://127.0.0.1:8080", "", false},
		{"http://127.0.0.1:8080.evil.example", "127.0.0.1:8080", false},
		{"http://evil.example@127.0.0.1:8080", "127.0.0.1:8080", false},
		{"http://127.0.0.1:8080?x", "127.0.0.1:8080", false},
		{"http://127.0.0.1:8080?", "127.0.0.1:8080", false},
		{"http://127.0.0.1:8080#x", "127.0.0.1:8080", false},
		{"http:127.0.0.1:8080", "127.0.0.1:8080", false},
		{"http://[::1]:8080", "[::1]:8080", true},
	} {
		if got := SameOrigin(tc.origin, tc.host); got != tc.want {
			t.Errorf("SameOrigin(%q, %q) = %v, want %v", tc.origin, tc.host, got, tc.want)
		}
	}
}
