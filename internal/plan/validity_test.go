package plan

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPublicCertificateValidity(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
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
			p := Compute("c", s, IssuedOn(day(tc.issued)))
			if got := finds(p, SeverityError, CodePublicCertificateValidity, "spec.certificates.duration"); got != tc.want {
				t.Errorf("PublicCertificateValidity %v, want %v; errors %v", got, tc.want, codes(p, SeverityError))
			}
		})
	}
	t.Run("only public certificates are judged", func(t *testing.T) {
		s := base()
		s.OCS.Edge, s.OCS.ReverseProxy, s.OCS.CommunicatorWebAccess, s.Exchange = nil, nil, nil, nil
		s.Certificates.Duration = &metav1.Duration{Duration: 8760 * time.Hour}
		if p := Compute("c", s, IssuedOn(day("2026-12-01"))); p.HasErrors() {
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
