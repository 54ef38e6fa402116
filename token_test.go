package main

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/node/auth"
	staffacct "github.com/edgedesk/edgedesk/node/staff"
)

func TestTokenCommand(t *testing.T) {
	const widget, staff = "widget-secret-widget-secret-widget-secret", "staff-secret-staff-secret-staff-secret-!"
	t.Setenv("EDGEDESK_CONFIG", "")
	t.Setenv("EDGEDESK_AUTH_WIDGET_SECRET", widget)
	t.Setenv("EDGEDESK_AUTH_STAFF_SECRET", staff)
	tokenOf := func(t *testing.T, args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(context.Background(), append([]string{"token"}, args...), &out, &errOut); err != nil {
			t.Fatalf("token %v: %v\n%s", args, err, errOut.String())
		}
		return strings.TrimSpace(out.String())
	}

	c, err := auth.NewVerifier(widget, 0, nil).Verify(tokenOf(t, "widget", "-customer", "cust-7", "-tier", "vip", "-email", "ana@example.com", "-ttl", "10m"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "cust-7" || c.Tier != "vip" || c.Email != "ana@example.com" || time.Until(c.ExpiresAt.Time) > 10*time.Minute {
		t.Fatalf("widget claims %+v", c)
	}
	if _, err := auth.NewVerifier(staff, 0, nil).Verify(tokenOf(t, "widget", "-customer", "x")); err == nil {
		t.Fatal("a widget token verified with the staff secret")
	}

	c, err = auth.NewVerifier(staff, 0, nil).Verify(tokenOf(t, "staff", "-agent", "ana", "-role", "supervisor", "-groups", "es-support, en-support", "-name", "Ana"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "ana" || c.Role != "supervisor" || c.Name != "Ana" || !slices.Equal(c.Groups, []string{"es-support", "en-support"}) {
		t.Fatalf("staff claims %+v", c)
	}

	for _, bad := range [][]string{
		{}, {"customer"}, {"widget"}, {"staff", "-agent", "a", "-role", "root"},
		{"widget", "-customer", "c", "-ttl", "-1h"}, {"widget", "-customer", "c", "extra"},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"token"}, bad...), &out, &errOut)
		var ue usageError
		if !errors.As(err, &ue) || out.Len() > 0 {
			t.Errorf("token %v: %v (want a usage error and no token)", bad, err)
		}
	}
	// Without auth.staff_secret, staff tokens are signed with the key the
	// node generates into its data directory.
	dir := t.TempDir()
	t.Setenv("EDGEDESK_DATA_DIR", dir)
	t.Setenv("EDGEDESK_AUTH_STAFF_SECRET", "")
	tok := tokenOf(t, "staff", "-agent", "ana")
	key, err := staffacct.LoadKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := auth.NewVerifier(key, 0, nil).Verify(tok); err != nil || c.Subject != "ana" {
		t.Fatalf("staff token without staff_secret: %+v %v", c, err)
	}

	t.Setenv("EDGEDESK_AUTH_WIDGET_SECRET", "")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token", "widget", "-customer", "c"}, &out, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "auth.widget_secret is empty") {
		t.Fatalf("no secret: %v", err)
	}
}
