package lab_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/lab"
	"github.com/ucdeploy/ucdeploy/internal/lab/labtest"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

// TestACMELab starts a lab with Options.ACME and checks its parts really work together: a DNS
// ConfigMap's zone file is served by BIND in its view only and reloaded when it changes, and a
// Certificate of public-ca is issued by Pebble over DNS-01 (cert-manager's RFC 2136 solver writes
// the challenge into BIND's external view, Pebble's validation authority reads it from there) with
// a chain that ends at Pebble's root and not at the enterprise CA.
func TestACMELab(t *testing.T) {
	start := time.Now()
	l, err := lab.Start(t.Context(), lab.Options{CertManager: true, ACME: true, Log: t.Logf})
	if err != nil {
		t.Fatalf("starting the lab: %v", err)
	}
	stopAtEnd(t, l)
	t.Logf("lab started in %s", time.Since(start).Round(time.Millisecond))
	if !strings.HasPrefix(l.ACMEDirectory(), "https://127.0.0.1:") {
		t.Errorf("ACME directory %q", l.ACMEDirectory())
	}

	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "lab-dns-external", Namespace: "default", Labels: map[string]string{render.LabelView: "external"}},
		Data: map[string]string{
			render.ZoneKey("contoso.com"): "$ORIGIN contoso.com.\n$TTL 3600\nsip 3600 IN A 203.0.113.10\n",
			render.RecordsKey:             "[]\n",
		},
	}
	if err := l.Client.Create(t.Context(), cm); err != nil {
		t.Fatal(err)
	}
	labtest.Eventually(t, 30*time.Second, "sip.contoso.com A in the external view", answers(l, "external", "sip.contoso.com", "203.0.113.10"))
	if err := answers(l, "internal", "sip.contoso.com", "203.0.113.10")(); err == nil {
		t.Error("the internal view answers the external zone")
	}
	cm.Data[render.ZoneKey("contoso.com")] += "sip 3600 IN A 203.0.113.11\n"
	if err := l.Client.Update(t.Context(), cm); err != nil {
		t.Fatal(err)
	}
	labtest.Eventually(t, 30*time.Second, "the changed zone reloaded", answers(l, "external", "sip.contoso.com", "203.0.113.11"))

	testCertificate(t, l, lab.PublicIssuer, lab.InternalIssuer, []string{"sip.contoso.com"}, "Pebble Intermediate CA")
}

// answers returns a condition for labtest.Eventually: view's nameserver answers an A query for
// name with addr among the addresses.
func answers(l *lab.Lab, view v1alpha1.DNSView, name, addr string) func() error {
	return func() error {
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(name), dns.TypeA)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		r, _, err := new(dns.Client).ExchangeContext(ctx, m, l.DNSAddr(view))
		if err != nil {
			return err
		}
		var got []string
		for _, rr := range r.Answer {
			if a, ok := rr.(*dns.A); ok {
				got = append(got, a.A.String())
				if a.A.String() == addr {
					return nil
				}
			}
		}
		return fmt.Errorf("%s: %v", dns.RcodeToString[r.Rcode], got)
	}
}
