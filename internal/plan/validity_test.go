package plan

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// day parses a YYYY-MM-DD test date.
func day(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPublicCertificateValidity(t *testing.T) {
	for _, tc := range []struct {
		name     string
		issued   string
		duration time.Duration
		want     bool // a PublicCertificateValidity error
	}{
		{"R-PKI-01 398 days before 15 March 2026", "2026-03-14", 398 * 24 * time.Hour, false},
		{"R-PKI-01 a year from 15 March 2026 is too long", "2026-03-15", 8760 * time.Hour, true},
		{"R-PKI-01 200 days from 15 March 2026", "2026-12-01", 200 * 24 * time.Hour, false},
		{"R-PKI-01 a fraction of a day counts as a day", "2026-12-01", 200*24*time.Hour + time.Second, true},
		{"R-PKI-01 100 days from 15 March 2027", "2027-03-15", 101 * 24 * time.Hour, true},
		{"R-PKI-01 90 days (the default) until 2029", "2029-03-14", 90 * 24 * time.Hour, false},
		{"R-PKI-01 47 days from 15 March 2029", "2029-03-15", 48 * 24 * time.Hour, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			s.Certificates.Duration = &metav1.Duration{Duration: tc.duration}
			p := Compute("c", s, IssuedOn(day(t, tc.issued)))
			if got := finds(p, SeverityError, CodePublicCertificateValidity, "spec.certificates.duration"); got != tc.want {
				t.Errorf("PublicCertificateValidity %v, want %v; errors %v", got, tc.want, codes(p, SeverityError))
			}
		})
	}
	t.Run("only public certificates are judged", func(t *testing.T) {
		s := base()
		s.OCS.Edge, s.OCS.ReverseProxy, s.OCS.CommunicatorWebAccess, s.Exchange = nil, nil, nil, nil
		s.Certificates.Duration = &metav1.Duration{Duration: 8760 * time.Hour}
		if p := Compute("c", s, IssuedOn(day(t, "2026-12-01"))); p.HasErrors() {
			t.Errorf("an internal-only plan is not bound by the Baseline Requirements: %v", codes(p, SeverityError))
		}
	})
	t.Run("without an issue date the rule is not evaluated", func(t *testing.T) {
		s := base()
		s.Certificates.Duration = &metav1.Duration{Duration: 8760 * time.Hour}
		if p := Compute("c", s); finds(p, SeverityError, CodePublicCertificateValidity, "spec.certificates.duration") {
			t.Error("evaluated without a date")
		}
	})
}

// TestDefaultLifetimeFollowsLimit (R-PKI-01, the date bomb of issue 30): a spec without
// certificates.duration asks for 90 days, and its public certificates for no more than the
// CA/Browser Forum allows on the issue day, so that it plans without Errors on every step of
// SC-081's schedule; internal certificates keep 90 days, and a duration the author set is used as
// written and judged.
func TestDefaultLifetimeFollowsLimit(t *testing.T) {
	const hours = time.Hour
	for _, tc := range []struct {
		issued           string // "" plans without an issue date
		public, internal time.Duration
	}{
		{"", 2160 * hours, 2160 * hours},
		{"2026-12-07", 2160 * hours, 2160 * hours},
		{"2027-03-15", 2160 * hours, 2160 * hours},
		{"2029-03-14", 2160 * hours, 2160 * hours},
		{"2029-03-15", 47 * 24 * hours, 2160 * hours},
	} {
		t.Run("issued "+tc.issued, func(t *testing.T) {
			s := base()
			s.Certificates.Duration = nil
			var opts []Option
			if tc.issued != "" {
				opts = append(opts, IssuedOn(day(t, tc.issued)))
			}
			p := Compute("c", s, opts...)
			if p.HasErrors() {
				t.Errorf("errors: %v", codes(p, SeverityError))
			}
			seen := map[string]bool{}
			for _, c := range p.Certificates {
				want := map[string]time.Duration{IssuerPublic: tc.public, IssuerInternal: tc.internal}[c.Issuer]
				if c.Duration.Duration != want {
					t.Errorf("%s (%s): duration %s, want %s", c.Name, c.Issuer, c.Duration.Duration, want)
				}
				seen[c.Issuer] = true
			}
			if !seen[IssuerPublic] || !seen[IssuerInternal] {
				t.Fatalf("the base design should plan public and internal certificates: %v", seen)
			}
		})
	}
	t.Run("a duration the spec sets is used as written", func(t *testing.T) {
		s := base()
		s.Certificates.Duration = &metav1.Duration{Duration: 2160 * hours}
		p := Compute("c", s, IssuedOn(day(t, "2029-03-15")))
		for _, c := range p.Certificates {
			if c.Duration.Duration != 2160*hours {
				t.Errorf("%s: duration %s, want the spec's 2160h", c.Name, c.Duration.Duration)
			}
		}
		if !finds(p, SeverityError, CodePublicCertificateValidity, "spec.certificates.duration") {
			t.Error("90 days set by hand on 2029-03-15 is not judged")
		}
	})
}
