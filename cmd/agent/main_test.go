package main

import (
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	ok := []string{"--deployment", "lab", "--server", "fe01.contoso.com", "--roles", "pool,web", "--install", "files", "--dir", "/srv/certs", "--reload", "nginx -s reload"}
	o, err := parse(ok)
	if err != nil || len(o.roles) != 2 || o.keepPrevious != 2 || o.reload != "nginx -s reload" {
		t.Fatalf("parse(%q) = %+v, %v", ok, o, err)
	}
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"--install", "files", "--dir", "d"}, "missing --deployment, --server, --roles"},
		{[]string{"--deployment", "lab", "--server", "s", "--roles", "pool", "--install", "files"}, "needs --dir"},
		{[]string{"--deployment", "lab", "--server", "s", "--roles", "pool", "--install", "windows", "--dir", "d"}, "for --install files"},
		{[]string{"--deployment", "lab", "--server", "s", "--roles", "pool", "--install", "iis"}, "want files or windows"},
		{append(append([]string{}, ok...), "--keep-previous", "-1"), "0 or more"},
	} {
		if _, err := parse(tc.args); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("parse(%q) = %v, want %q", tc.args, err, tc.err)
		}
	}
}
