package controllers

import (
	"context"
	"errors"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// countingMapper answers every RESTMapping with err and counts the calls.
type countingMapper struct {
	meta.RESTMapper
	err   error
	calls int
}

func (m *countingMapper) RESTMapping(gk schema.GroupKind, versions ...string) (*meta.RESTMapping, error) {
	m.calls++
	return nil, m.err
}

// TestDNSEndpointDiscovery: a missing CRD is "no reader, no error" and is not asked about again
// until Recheck has passed; a discovery failure is an error and is asked about again at once.
func TestDNSEndpointDiscovery(t *testing.T) {
	ctx := context.Background()
	missing := &countingMapper{err: &meta.NoKindMatchError{GroupKind: schema.GroupKind{Group: "externaldns.k8s.io", Kind: "DNSEndpoint"}}}
	k := &DNSEndpointWatch{Mapper: missing, Recheck: 200 * time.Millisecond}
	for range 3 {
		if r, err := k.Reader(ctx); r != nil || err != nil {
			t.Fatalf("CRD missing: reader %v, error %v; want neither", r, err)
		}
	}
	if missing.calls != 1 {
		t.Errorf("%d discovery calls within Recheck, want 1", missing.calls)
	}
	time.Sleep(250 * time.Millisecond)
	if _, err := k.Reader(ctx); err != nil || missing.calls != 2 {
		t.Errorf("after Recheck: error %v, %d calls; want a second call", err, missing.calls)
	}
	if k.watching() {
		t.Error("watching without a CRD")
	}

	failing := &countingMapper{err: errors.New("connection refused")}
	k = &DNSEndpointWatch{Mapper: failing}
	for range 2 {
		if _, err := k.Reader(ctx); err == nil {
			t.Fatal("a discovery failure must be an error")
		}
	}
	if failing.calls != 2 {
		t.Errorf("%d calls: a failure must not be cached", failing.calls)
	}

	var none *DNSEndpointWatch
	if r, err := none.Reader(ctx); r != nil || err != nil || none.watching() || none.recheck() != DefaultDNSEndpointRecheck {
		t.Error("a nil DNSEndpointWatch must read as CRD not installed")
	}
}

// TestEndpointsCondition: each state has its reason on DNSEndpointsReady, and neither a missing
// CRD nor published endpoints change Ready.
func TestEndpointsCondition(t *testing.T) {
	for _, tc := range []struct {
		state  endpointsState
		err    error
		reason string
	}{
		{endpointsCRDMissing, nil, v1alpha1.ReasonCRDNotInstalled},
		{endpointsPublished, nil, v1alpha1.ReasonEndpointsPublished},
		{endpointsNotApplied, errors.New("boom"), v1alpha1.ReasonEndpointsNotPublished},
	} {
		in := statusInput{applied: applied{ran: true, endpoints: endpointsResult{state: tc.state, applyResult: applyResult{err: tc.err}}}}
		ucd := dnsEndpointUCD()
		_, reason, msg := endpointsCondition(ucd, in)
		if reason != tc.reason || msg == "" {
			t.Errorf("state %d: reason %s (%q), want %s", tc.state, reason, msg, tc.reason)
		}
		st := desiredStatus(ucd, in)
		if r := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionReady); r == nil || (tc.state != endpointsNotApplied && r.Reason != v1alpha1.ReasonSucceeded) {
			t.Errorf("state %d: Ready %+v; only an apply error may affect it", tc.state, r)
		}
	}
}

// dnsEndpointUCD is a UCDeployment with spec.dns.dnsEndpoint enabled (its plan is left empty).
func dnsEndpointUCD() *v1alpha1.UCDeployment {
	ucd := &v1alpha1.UCDeployment{}
	ucd.Name, ucd.Namespace, ucd.Generation = "x", "ns", 1
	ucd.Spec.DNS.DNSEndpoint = &v1alpha1.DNSEndpointSpec{Enabled: true}
	return ucd
}
