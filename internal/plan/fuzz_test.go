package plan

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// FuzzCompute checks the planner's promises on any spec, including specs the API server would
// reject (a Go caller or a future API version may hand it anything):
//
//   - it does not panic and does not modify the spec;
//   - it is deterministic: two calls give equal plans;
//   - every record's name is inside its zone;
//   - every certificate's DNS names start with its common name and have no duplicates;
//   - no two certificates share a subject (one name is one address, issue 11);
//   - certificates, records and findings are sorted as documented.
//
// Each input is used twice: specJSON decoded into a spec with encoding/json, and a structured
// mutation of one of config/samples (sample picks it and the port field, field picks the string
// field set to value, port goes into a port or number field).
//
// New inputs are minimized for up to a minute by default, which stalls the fuzzer on large JSON
// inputs; a short minimize time keeps it busy:
//
//	go test -run XXX -fuzz FuzzCompute -fuzztime 60s -fuzzminimizetime 3s ./internal/plan/
func FuzzCompute(f *testing.F) {
	samples := fuzzSamples(f)
	for i, s := range samples {
		data, err := json.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(i), uint8(i), "sip.contoso.com", int32(443))
	}
	// The bad-input corpus, as JSON specs (the API server would reject most of them).
	files, _ := filepath.Glob(filepath.Join("..", "..", "test", "badinput", "testdata", "*.yaml"))
	slices.Sort(files)
	for i, file := range files {
		data, err := os.ReadFile(file)
		if err != nil || len(data) > 64<<10 {
			continue
		}
		var doc struct {
			Spec json.RawMessage `json:"spec"`
		}
		js, err := yaml.YAMLToJSON(data)
		if err != nil || json.Unmarshal(js, &doc) != nil || len(doc.Spec) == 0 {
			continue
		}
		f.Add([]byte(doc.Spec), uint8(i), uint8(i*7), "", int32(i))
	}
	// Strings and numbers that stress names, zones and ports.
	for i, v := range []string{
		"", ".", "..", "*", "*.", "*.contoso.com", "a..b", "contoso.local", "sip.contoso.local", "Sip.Contoso.COM.",
		"münchen.de", "com", strings.Repeat("a", 64) + ".com", strings.Repeat("a.", 130) + "com", "-a.com", "a_b.com",
		"10.0.0.256", "::1", "Director", "PerRole", "SRV", "ISA2004", "ECDSA", "2007", "Enterprise",
		"SfB2015", "SfB2019", "SfBSE", "Lync2010", "TeamsOnly", "Hybrid", "contoso.onmicrosoft.com", "pool.contoso.com",
	} {
		f.Add([]byte("{}"), uint8(i), uint8(i*3), v, int32(i*1000-1))
	}
	for _, port := range []int32{0, -1, 1, 443, 444, 5062, 8057, 65535, 70000, math.MaxInt32, math.MinInt32} {
		f.Add([]byte("null"), uint8(port), uint8(port>>3), "sip.contoso.com", port)
	}

	f.Fuzz(func(t *testing.T, specJSON []byte, sample, field uint8, value string, port int32) {
		var spec v1alpha1.UCDeploymentSpec
		if json.Unmarshal(specJSON, &spec) == nil {
			checkCompute(t, "fuzz", &spec)
		}
		s := samples[int(sample)%len(samples)].DeepCopy()
		name := mutateSpec(s, field, value, int(sample)/len(samples), port)
		checkCompute(t, name, s)
	})
}

// fuzzSamples reads the specs of config/samples.
func fuzzSamples(tb testing.TB) []*v1alpha1.UCDeploymentSpec {
	files, err := filepath.Glob(filepath.Join("..", "..", "config", "samples", "*.yaml"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no samples in config/samples: %v", err)
	}
	slices.Sort(files)
	var out []*v1alpha1.UCDeploymentSpec
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		var d v1alpha1.UCDeployment
		if err := yaml.Unmarshal(data, &d); err != nil {
			tb.Fatalf("%s: %v", file, err)
		}
		out = append(out, &d.Spec)
	}
	return out
}

// mutateSpec sets the string field number field of s to value and the number field number
// which to port, creating the parts of the spec they live in; it returns the deployment name.
func mutateSpec(s *v1alpha1.UCDeploymentSpec, field uint8, value string, which int, port int32) string {
	ocs := func() *v1alpha1.OCSSpec {
		if s.OCS == nil {
			s.OCS = &v1alpha1.OCSSpec{PoolFQDN: "pool.contoso.com"}
		}
		return s.OCS
	}
	edge := func() *v1alpha1.EdgeSpec {
		if o := ocs(); o.Edge == nil {
			o.Edge = &v1alpha1.EdgeSpec{InternalFQDN: "edge.contoso.local", AccessFQDN: "sip.contoso.com"}
		}
		return s.OCS.Edge
	}
	exchange := func() *v1alpha1.ExchangeSpec {
		if s.Exchange == nil {
			s.Exchange = &v1alpha1.ExchangeSpec{ExternalFQDN: "mail.contoso.com"}
		}
		return s.Exchange
	}
	fqdn, ip := v1alpha1.FQDN(value), v1alpha1.IPv4Address(value)
	name := "fuzz"
	switch field % 45 {
	case 0:
		ocs().PoolFQDN = fqdn
	case 1:
		if len(s.SIPDomains) == 0 {
			s.SIPDomains = append(s.SIPDomains, fqdn)
		} else {
			s.SIPDomains[0] = fqdn
		}
	case 2:
		s.SIPDomains = append(s.SIPDomains, fqdn)
	case 3:
		edge().AccessFQDN = fqdn
	case 4:
		edge().WebConferencingFQDN = fqdn
	case 5:
		edge().AVFQDN = fqdn
	case 6:
		edge().AccessIP = ip
	case 7:
		edge().WebConferencingIP = ip
	case 8:
		edge().AVIP = ip
	case 9:
		exchange().ExternalFQDN = fqdn
	case 10:
		exchange().AdditionalNames = append(exchange().AdditionalNames, v1alpha1.DNSName(value))
	case 11:
		exchange().SMTPDomains = append(exchange().SMTPDomains, fqdn)
	case 12:
		exchange().CASArrayFQDN = fqdn
	case 13:
		exchange().LegacyFQDN = fqdn
	case 14:
		ocs().Director = &v1alpha1.DirectorSpec{FQDN: fqdn, IP: "10.0.0.30"}
	case 15:
		ocs().CommunicatorWebAccess = &v1alpha1.CWASpec{FQDN: fqdn, ServerFQDN: fqdn, IP: "10.0.0.40"}
	case 16:
		ocs().ReverseProxy = &v1alpha1.ReverseProxySpec{FQDN: fqdn, IP: ip}
	case 17:
		ocs().InternalWebFQDN = fqdn
	case 18:
		ocs().FrontEnds = append(ocs().FrontEnds, v1alpha1.Server{FQDN: fqdn, IP: ip})
		ocs().FrontEndNamesOnPoolCertificate = true
	case 19:
		exchange().Servers = append(exchange().Servers, v1alpha1.ExchangeServer{FQDN: fqdn, NetBIOSName: v1alpha1.NetBIOSName(value)})
		exchange().IncludeServerNames = true
	case 20:
		ocs().Edition = v1alpha1.OCSEdition(value)
	case 21:
		s.Certificates.Strategy = v1alpha1.CertificateStrategy(value)
	case 22:
		exchange().Autodiscover = v1alpha1.AutodiscoverMode(value)
	case 23:
		exchange().Version = v1alpha1.ExchangeVersion(value)
	case 24:
		s.Certificates.PrivateKey.Algorithm = value
	case 25:
		exchange().PublishedVia = v1alpha1.Publisher(value)
	case 26:
		ocs().AutomaticSignInTarget = v1alpha1.SignInTarget(value)
	case 27:
		name = value
	case 28:
		edge().InternalFQDN = fqdn
	case 29:
		s.OCS, s.Exchange = nil, nil
	case 30:
		s.DNS.Zones = append(s.DNS.Zones, fqdn)
	case 31:
		exchange().LegacyInternalIP = ip
	case 32:
		ocs().CommunicatorWebAccess = &v1alpha1.CWASpec{FQDN: fqdn, IP: "10.0.0.40", InternalIP: ip}
	case 33:
		exchange().ExternalIP = ip
	case 34:
		s.DNS.CAA = &v1alpha1.CAASpec{Issuer: fqdn, AccountURI: value}
	case 35:
		ocs().Version = v1alpha1.OCSVersion(value)
	case 36:
		ocs().Version, ocs().ExternalWebFQDN = v1alpha1.SfB2019, fqdn
	case 37:
		ocs().Version = v1alpha1.SfBSE
		ocs().SimpleURLs = &v1alpha1.SimpleURLsSpec{Meet: []v1alpha1.FQDN{fqdn}, Dialin: fqdn, Admin: fqdn}
	case 38:
		ocs().Version, ocs().Mobility = v1alpha1.Lync2010, &[]bool{value != ""}[0]
	case 39:
		ocs().Version = v1alpha1.Lync2013
		ocs().Director = &v1alpha1.DirectorSpec{FQDN: "dir.contoso.com", IP: ip, ExternalWebFQDN: fqdn}
	case 40:
		ocs().Version, edge().XMPPFQDN = v1alpha1.SfB2015, fqdn
	case 41:
		ocs().Version = v1alpha1.SfB2019
		ocs().OfficeOnlineServer = &v1alpha1.OfficeOnlineServerSpec{InternalFQDN: fqdn, InternalIP: ip, ExternalFQDN: fqdn, ExternalIP: ip}
	case 42:
		ocs().Version = v1alpha1.SfBSE
		ocs().Hybrid = &v1alpha1.SfBHybridSpec{Mode: v1alpha1.HybridMode(value), OnlineSIPDomains: []v1alpha1.FQDN{fqdn}}
	case 43:
		ocs().Version = v1alpha1.SfB2015
		ocs().Hybrid = &v1alpha1.SfBHybridSpec{Mode: v1alpha1.TeamsOnly, OnlineSIPDomains: []v1alpha1.FQDN{fqdn}}
	case 44:
		ocs().Version = v1alpha1.Lync2013
		ocs().ReverseProxy = &v1alpha1.ReverseProxySpec{IP: ip}
	}
	switch which % 8 {
	case 0:
		edge().WebConferencingPort = v1alpha1.Port(port)
	case 1:
		edge().AVAuthenticationPort = v1alpha1.Port(port)
	case 2:
		edge().WebConferencingInternalPort = v1alpha1.Port(port)
	case 3:
		exchange().MXPreference = &port
	case 4:
		s.Certificates.MaxSANs = port
	case 5:
		s.Certificates.PrivateKey.Size = port
	case 6:
		s.DNS.TTL = port
	case 7:
		// Leave the numbers alone.
	}
	return name
}

// checkCompute plans spec twice and checks the planner's promises.
func checkCompute(t *testing.T, name string, spec *v1alpha1.UCDeploymentSpec) {
	t.Helper()
	before := spec.DeepCopy()
	p := Compute(name, spec)
	if !reflect.DeepEqual(before, spec) {
		t.Fatalf("Compute modified its input spec")
	}
	again := Compute(name, spec.DeepCopy())
	if !reflect.DeepEqual(p, again) {
		t.Fatalf("Compute is not deterministic:\n%+v\n%+v", p, again)
	}
	a, errA := json.Marshal(p)
	b, errB := json.Marshal(again)
	if errA != nil || errB != nil || string(a) != string(b) {
		t.Fatalf("the plans marshal differently (%v, %v)", errA, errB)
	}

	for i, r := range p.DNSRecords {
		if r.Name != r.Zone && !strings.HasSuffix(r.Name, "."+r.Zone) {
			t.Errorf("record %d %s %s (%s view) is not inside its zone %q", i, r.Name, r.Type, r.View, r.Zone)
		}
		if i > 0 && recordOrder(p.DNSRecords[i-1], r) > 0 {
			t.Errorf("records %d and %d are out of order: %+v, %+v", i-1, i, p.DNSRecords[i-1], r)
		}
	}
	subjects := map[string]string{}
	for i, c := range p.Certificates {
		if other, dup := subjects[c.CommonName]; dup {
			t.Errorf("certificates %s and %s share the subject %q", other, c.Name, c.CommonName)
		}
		subjects[c.CommonName] = c.Name
		if len(c.DNSNames) == 0 || c.DNSNames[0] != c.CommonName {
			t.Errorf("certificate %s: DNS names %q do not start with the common name %q", c.Name, c.DNSNames, c.CommonName)
		}
		seen := map[string]bool{}
		for _, n := range c.DNSNames {
			if seen[n] {
				t.Errorf("certificate %s: DNS name %q appears twice in %q", c.Name, n, c.DNSNames)
			}
			seen[n] = true
		}
		if i > 0 && p.Certificates[i-1].Name > c.Name {
			t.Errorf("certificates %s and %s are out of order", p.Certificates[i-1].Name, c.Name)
		}
	}
	for i := 1; i < len(p.Findings); i++ {
		if findingOrder(p.Findings[i-1], p.Findings[i]) > 0 {
			t.Errorf("findings %d and %d are out of order: %+v, %+v", i-1, i, p.Findings[i-1], p.Findings[i])
		}
	}
}

// recordOrder compares records by view, zone, name, type and data, as Plan documents.
func recordOrder(a, b Record) int {
	for _, c := range [][2]string{{string(a.View), string(b.View)}, {a.Zone, b.Zone}, {a.Name, b.Name}, {a.Type, b.Type}, {a.Data, b.Data}} {
		if n := strings.Compare(c[0], c[1]); n != 0 {
			return n
		}
	}
	return 0
}

// findingOrder compares findings by severity (errors first), code, path and message.
func findingOrder(a, b Finding) int {
	rank := func(s Severity) int {
		return slices.Index([]Severity{SeverityError, SeverityWarning, SeverityInfo}, s)
	}
	if ra, rb := rank(a.Severity), rank(b.Severity); ra != rb {
		return ra - rb
	}
	for _, c := range [][2]string{{a.Code, b.Code}, {a.Path, b.Path}, {a.Message, b.Message}} {
		if n := strings.Compare(c[0], c[1]); n != 0 {
			return n
		}
	}
	return 0
}
