// Package zonetest checks zone-file text with BIND's named-checkzone, for tests. It wraps the text
// the way a DNS server would use it: a zone file with $TTL, an SOA record, an NS record and the NS
// host's A record, which then $INCLUDEs the text.
package zonetest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// AllowMissingEnv names the environment variable that, set to "1", makes CheckZone skip instead of
// fail when named-checkzone is not installed.
const AllowMissingEnv = "UCDEPLOY_ALLOW_MISSING_BIND"

// ErrMissing reports that named-checkzone was not found.
var ErrMissing = errors.New("named-checkzone not found: install BIND's utilities (Debian package bind9-utils)")

// nsHost is the owner of the wrapper's name server; it is unlikely to clash with a UC record.
const nsHost = "ucdeploy-zonetest-ns"

// includeFile is the name of the checked text beside the wrapper.
const includeFile = "records.zone"

// checkArgs are the named-checkzone options Check uses, strict but offline:
//   - -i local checks MX and SRV targets inside the zone only; "full" would resolve names outside
//     it through the system resolver, which makes the result depend on the network.
//   - -k fail rejects invalid host names (check-names).
//   - -M fail and -S fail reject an MX or SRV target that is a CNAME (RFC 2181 §10.3, RFC 2782;
//     DOMAIN.md V9).
//   - -n fail requires the wrapper's NS host to have an address, which it has.
//   - -r fail rejects records that DNSSEC treats as different but plain DNS as equal.
//
// An MX or SRV target inside the zone without an address is a warning only, since the text is
// meant to be $INCLUDEd into a zone that may hold that address.
var checkArgs = []string{"-i", "local", "-k", "fail", "-M", "fail", "-S", "fail", "-n", "fail", "-r", "fail"}

// Wrap returns a minimal zone file for zone that $INCLUDEs includePath: $TTL, SOA, NS and the
// NS host's A record.
func Wrap(zone, includePath string) string {
	return fmt.Sprintf(`$TTL 3600
$ORIGIN %[1]s.
@ IN SOA %[2]s.%[1]s. hostmaster.%[1]s. ( 1 3600 600 86400 3600 )
@ IN NS %[2]s.%[1]s.
%[2]s IN A 192.0.2.53
$INCLUDE %[3]s
`, zone, nsHost, includePath)
}

// Check writes text and its Wrap into a temporary directory and runs named-checkzone on them. It
// returns named-checkzone's output (warnings, then "OK") and an error holding that output when
// the zone does not load. It returns ErrMissing when named-checkzone is not installed.
func Check(zone, text string) (string, error) {
	bin, err := lookPath()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "zonetest-")
	if err != nil {
		return "", fmt.Errorf("zonetest: temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, includeFile), []byte(text), 0o600); err != nil {
		return "", fmt.Errorf("zonetest: write %s: %w", includeFile, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "db.zone"), []byte(Wrap(zone, includeFile)), 0o600); err != nil {
		return "", fmt.Errorf("zonetest: write db.zone: %w", err)
	}
	// BIND resolves a relative $INCLUDE name against the working directory.
	cmd := exec.Command(bin, append(slices.Clone(checkArgs), zone, "db.zone")...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("zonetest: named-checkzone %s: %w\n%s", zone, err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

// CheckZone fails t with named-checkzone's output unless text, $INCLUDEd into a minimal zone file
// for zone, loads cleanly; warnings are logged. When named-checkzone is missing it fails t, or
// skips it if the environment variable AllowMissingEnv is "1".
func CheckZone(t testing.TB, zone, text string) {
	t.Helper()
	out, err := Check(zone, text)
	switch {
	case errors.Is(err, ErrMissing) && os.Getenv(AllowMissingEnv) == "1":
		t.Skipf("%v (%s=1)", err, AllowMissingEnv)
	case err != nil:
		t.Fatalf("zone %s does not load:\n%v\n--- text ---\n%s", zone, err, text)
	}
	if w := warnings(out); w != "" {
		t.Logf("named-checkzone %s:\n%s", zone, w)
	}
}

// warnings returns the lines of a successful named-checkzone run other than its "loaded serial"
// and "OK" lines.
func warnings(out string) string {
	var b strings.Builder
	for line := range strings.Lines(out) {
		if line == "OK\n" || line == "OK" || strings.Contains(line, ": loaded serial ") {
			continue
		}
		b.WriteString(line)
	}
	return strings.TrimSpace(b.String())
}

// lookPath finds named-checkzone on PATH or in /usr/sbin, where older Debian releases put it and
// which is often missing from an unprivileged user's PATH.
func lookPath() (string, error) {
	if p, err := exec.LookPath("named-checkzone"); err == nil {
		return p, nil
	}
	const sbin = "/usr/sbin/named-checkzone"
	if _, err := os.Stat(sbin); err == nil {
		return sbin, nil
	}
	return "", ErrMissing
}
