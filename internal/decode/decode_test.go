package decode

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/config/crd"
)

// validYAML is the example deployment of the API: an OCS 2007 R2 Enterprise pool with its edge,
// reverse proxy and Communicator Web Access next to Exchange 2010. It leaves out every field
// that has a default, so that the tests see the defaults applied.
const validYAML = `# contoso: OCS 2007 R2 Enterprise pool and Exchange 2010
apiVersion: uc.ucdeploy.io/v1alpha1
kind: UCDeployment
metadata:
  name: contoso
  namespace: uc
  labels: {app.kubernetes.io/part-of: ucdeploy}
spec:
  sipDomains: [contoso.com, fabrikam.com]
  ocs:
    edition: Enterprise
    poolFQDN: pool01.contoso.com
    poolIP: 10.0.0.10
    frontEnds:
      - {fqdn: fe01.contoso.com, ip: 10.0.0.11}
      - {fqdn: fe02.contoso.com, ip: 10.0.0.12}
    edge:
      internalFQDN: edge01.contoso.local
      internalIP: 172.16.0.10
      accessFQDN: sip.contoso.com
      accessIP: 131.107.155.10
      webConferencingFQDN: webconf.contoso.com
      webConferencingIP: 131.107.155.20
      avFQDN: av.contoso.com
      avIP: 131.107.155.30
    reverseProxy: {fqdn: webext.contoso.com, ip: 131.107.155.40}
    communicatorWebAccess: {fqdn: cwa.contoso.com, serverFQDN: cwa01.contoso.local, ip: 131.107.155.41}
  exchange:
    version: "2010"
    smtpDomains: [contoso.com, fabrikam.com]
    externalFQDN: mail.contoso.com
    externalIP: 131.107.155.50
    internalIP: 10.0.0.20
    servers:
      - {fqdn: ex01.contoso.local, netbiosName: EX01}
      - {fqdn: ex02.contoso.local, netbiosName: EX02}
    casArrayFQDN: outlook.contoso.com
  certificates:
    publicIssuerRef: {name: public-ca, kind: ClusterIssuer}
    internalIssuerRef: {name: corp-ca}
`

// exchangeOnlyYAML is a second, minimal deployment for multi-document inputs.
const exchangeOnlyYAML = `apiVersion: uc.ucdeploy.io/v1alpha1
kind: UCDeployment
metadata: {name: fabrikam}
spec:
  exchange: {externalFQDN: mail.fabrikam.com, smtpDomains: [fabrikam.com]}
`

// mutate returns validYAML with replacements, pairs of an old string, which must occur exactly
// once, and its replacement.
func mutate(t testing.TB, replacements ...string) string {
	t.Helper()
	if len(replacements)%2 != 0 {
		t.Fatalf("mutate: %d arguments, want old and new pairs", len(replacements))
	}
	out := validYAML
	for i := 0; i < len(replacements); i += 2 {
		old, new := replacements[i], replacements[i+1]
		if n := strings.Count(out, old); n != 1 {
			t.Fatalf("mutate: %q occurs %d times, want 1", old, n)
		}
		out = strings.Replace(out, old, new, 1)
	}
	return out
}

// docs joins YAML documents with "---" separator lines.
func docs(documents ...string) string {
	return strings.Join(documents, "---\n")
}

func TestDecodeValid(t *testing.T) {
	objs, err := Decode("contoso.yaml", []byte(validYAML))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if len(objs) != 1 {
		t.Fatalf("Decode returned %d objects, want 1", len(objs))
	}
	d := objs[0]
	ocs, edge, exchange, certs := d.Spec.OCS, d.Spec.OCS.Edge, d.Spec.Exchange, d.Spec.Certificates

	for _, c := range []struct {
		field     string
		got, want any
	}{
		// Given.
		{"apiVersion", d.APIVersion, "uc.ucdeploy.io/v1alpha1"},
		{"kind", d.Kind, "UCDeployment"},
		{"metadata.name", d.Name, "contoso"},
		{"metadata.namespace", d.Namespace, "uc"},
		{"metadata.labels", d.Labels["app.kubernetes.io/part-of"], "ucdeploy"},
		{"spec.sipDomains", fmt.Sprint(d.Spec.SIPDomains), "[contoso.com fabrikam.com]"},
		{"spec.ocs.edition", ocs.Edition, v1alpha1.EnterpriseEdition},
		{"spec.ocs.frontEnds[1].ip", ocs.FrontEnds[1].IP, v1alpha1.IPv4Address("10.0.0.12")},
		{"spec.ocs.edge.accessFQDN", edge.AccessFQDN, v1alpha1.FQDN("sip.contoso.com")},
		{"spec.ocs.reverseProxy.fqdn", ocs.ReverseProxy.FQDN, v1alpha1.FQDN("webext.contoso.com")},
		{"spec.ocs.communicatorWebAccess.serverFQDN", ocs.CommunicatorWebAccess.ServerFQDN, v1alpha1.FQDN("cwa01.contoso.local")},
		{"spec.exchange.servers[0].netbiosName", exchange.Servers[0].NetBIOSName, v1alpha1.NetBIOSName("EX01")},
		{"spec.certificates.publicIssuerRef.name", certs.PublicIssuerRef.Name, "public-ca"},
		// Defaulted by the CRD.
		{"spec.ocs.version", ocs.Version, v1alpha1.OCS2007R2},
		{"spec.ocs.automaticSignIn", *ocs.AutomaticSignIn, true},
		{"spec.ocs.automaticSignInTarget", ocs.AutomaticSignInTarget, v1alpha1.SignInPool},
		{"spec.ocs.edge.avAuthenticationPort", edge.AVAuthenticationPort, v1alpha1.Port(5062)},
		{"spec.ocs.edge.webConferencingPort", edge.WebConferencingPort, v1alpha1.Port(443)},
		{"spec.ocs.edge.webConferencingInternalPort", edge.WebConferencingInternalPort, v1alpha1.Port(8057)},
		{"spec.ocs.edge.federation", *edge.Federation, true},
		{"spec.exchange.autodiscover", exchange.Autodiscover, v1alpha1.AutodiscoverHostRecord},
		{"spec.exchange.mxPreference", *exchange.MXPreference, int32(10)},
		{"spec.exchange.publishedVia", exchange.PublishedVia, v1alpha1.Publisher("None")},
		{"spec.certificates.strategy", certs.Strategy, v1alpha1.Unified},
		{"spec.certificates.internalIssuerRef.kind", certs.InternalIssuerRef.Kind, "ClusterIssuer"},
		{"spec.certificates.renewBefore", certs.RenewBefore.Duration, 720 * time.Hour},
		{"spec.certificates.privateKey.algorithm", certs.PrivateKey.Algorithm, "RSA"},
		{"spec.certificates.privateKey.size", certs.PrivateKey.Size, int32(0)},
		{"spec.certificates.maxSANs", certs.MaxSANs, int32(100)},
		{"spec.dns.ttl", d.Spec.DNS.TTL, int32(3600)},
		// Not defaulted: the planner picks the lifetime for the issue day (R-PKI-01).
		{"spec.certificates.duration", certs.Duration == nil, true},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v (%T), want %v (%T)", c.field, c.got, c.got, c.want, c.want)
		}
	}
}

func TestDecodeValidInputs(t *testing.T) {
	tests := []struct {
		name      string
		input     string
		wantNames []string
	}{
		{"single document", validYAML, []string{"contoso"}},
		{"multi-document", docs(validYAML, exchangeOnlyYAML), []string{"contoso", "fabrikam"}},
		{"leading separator, empty and comment-only documents",
			"---\n" + docs(validYAML, "# nothing here\n", "\n", exchangeOnlyYAML) + "---\n",
			[]string{"contoso", "fabrikam"}},
		{"CRLF line endings", strings.ReplaceAll(exchangeOnlyYAML, "\n", "\r\n"), []string{"fabrikam"}},
		{"JSON", `{"apiVersion": "uc.ucdeploy.io/v1alpha1", "kind": "UCDeployment", "metadata": {"name": "j"},
			"spec": {"exchange": {"externalFQDN": "mail.contoso.com", "smtpDomains": ["contoso.com"]}}}`,
			[]string{"j"}},
		{"status is dropped like a create drops it",
			exchangeOnlyYAML + "status: {certificatesReady: 1/1, observedGeneration: 3}\n", []string{"fabrikam"}},
		{"null values of fields without defaults are dropped", mutate(t, "    casArrayFQDN: outlook.contoso.com\n",
			"    casArrayFQDN: null\n    legacyFQDN: ~\n"), []string{"contoso"}},
		{"integral float for an integer", mutate(t, "    casArrayFQDN: outlook.contoso.com\n",
			"    mxPreference: 20.0\n"), []string{"contoso"}},
		{"1024 documents", manyDocuments(t, 1024), manyNames(1024)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := Decode("in.yaml", []byte(tt.input))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			var names []string
			for _, obj := range objs {
				names = append(names, obj.Name)
			}
			if fmt.Sprint(names) != fmt.Sprint(tt.wantNames) {
				t.Errorf("Decode returned %v, want %v", names, tt.wantNames)
			}
		})
	}
}

func TestDecodeDropsStatusAndKeepsNamespaceEmpty(t *testing.T) {
	objs, err := Decode("in.yaml", []byte(exchangeOnlyYAML+"status: {certificatesReady: 1/1}\n"))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if objs[0].Status.CertificatesReady != "" {
		t.Errorf("status.certificatesReady = %q, want it dropped", objs[0].Status.CertificatesReady)
	}
	if objs[0].Namespace != "" {
		t.Errorf("metadata.namespace = %q, want it left empty", objs[0].Namespace)
	}
	if objs[0].Spec.Exchange.Version != v1alpha1.Exchange2010 {
		t.Errorf("spec.exchange.version = %q, want the default 2010", objs[0].Spec.Exchange.Version)
	}
}

// TestDecodeSamples decodes the samples shipped in config/samples.
func TestDecodeSamples(t *testing.T) {
	files, err := filepath.Glob("../../config/samples/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("no samples in config/samples")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Decode(file, data); err != nil {
				t.Errorf("Decode: %v", err)
			}
		})
	}
}

// blockedCEL is the note the API server adds when schema errors keep it from running CEL rules.
const blockedCEL = "some validation rules were not checked because the object was invalid"

// fqdnMessage starts the message of the FQDN type's CEL rule.
const fqdnMessage = "must be a lowercase fully qualified domain name"

// invalidCase is an input Decode must reject.
type invalidCase struct {
	name  string
	input string
	// want are substrings of the error, usually "<field path>: <problem>".
	want []string
	// notWant are substrings the error must not have.
	notWant []string
}

// invalidCases are the inputs of TestDecodeInvalid, also used by the other tests and to seed
// FuzzDecode.
// nameserverMessage is the CRD's message for a malformed spec.dns.verify nameserver.
const nameserverMessage = "must be an IP address and a port from 1 to 65535 without leading zeros, IPv6 in brackets, such as 10.0.0.53:53 or [fd00::53]:53"

// withVerify returns validYAML with spec.dns.verify set to the YAML flow value verify.
func withVerify(t testing.TB, verify string) string {
	t.Helper()
	return mutate(t, "    internalIssuerRef: {name: corp-ca}\n", "    internalIssuerRef: {name: corp-ca}\n  dns:\n    verify: "+verify+"\n")
}

func invalidCases(t testing.TB) []invalidCase {
	label64 := strings.Repeat("a", 64)
	return []invalidCase{
		{
			name:  "uppercase FQDN",
			input: mutate(t, "poolFQDN: pool01.contoso.com", "poolFQDN: Pool01.Contoso.com"),
			want:  []string{`contoso.yaml document 1 (UCDeployment contoso): spec.ocs.poolFQDN: Invalid value: "Pool01.Contoso.com": ` + fqdnMessage},
		},
		{
			name:  "malformed FQDN: empty label",
			input: mutate(t, "internalFQDN: edge01.contoso.local", "internalFQDN: edge01..contoso.local"),
			want:  []string{`spec.ocs.edge.internalFQDN: Invalid value: "edge01..contoso.local": ` + fqdnMessage},
		},
		{
			name:  "malformed FQDN: underscore",
			input: mutate(t, "{fqdn: fe02.contoso.com,", "{fqdn: fe_02.contoso.com,"),
			want:  []string{`spec.ocs.frontEnds[1].fqdn: Invalid value: "fe_02.contoso.com": ` + fqdnMessage},
		},
		{
			name:  "malformed FQDN: single label",
			input: mutate(t, "externalFQDN: mail.contoso.com", "externalFQDN: mail"),
			want:  []string{`spec.exchange.externalFQDN: Invalid value: "mail": ` + fqdnMessage},
		},
		{
			name:  "64-character label",
			input: mutate(t, "accessFQDN: sip.contoso.com", "accessFQDN: "+label64+".contoso.com"),
			want:  []string{`spec.ocs.edge.accessFQDN: Invalid value: "` + label64 + `.contoso.com": ` + fqdnMessage},
		},
		{
			name:  "FQDN longer than 253 characters",
			input: mutate(t, "avFQDN: av.contoso.com", "avFQDN: "+strings.Repeat("a.", 127)+"com"),
			want:  []string{"spec.ocs.edge.avFQDN: Too long: may not be more than 253 bytes", blockedCEL},
		},
		{
			name:  "trailing dot",
			input: mutate(t, "accessFQDN: sip.contoso.com", "accessFQDN: sip.contoso.com."),
			want:  []string{`spec.ocs.edge.accessFQDN: Invalid value: "sip.contoso.com.": ` + fqdnMessage},
		},
		{
			name:  "wildcard in poolFQDN",
			input: mutate(t, "poolFQDN: pool01.contoso.com", `poolFQDN: "*.contoso.com"`),
			want:  []string{`spec.ocs.poolFQDN: Invalid value: "*.contoso.com": ` + fqdnMessage},
		},
		{
			name:  "wildcard in the middle of an additional name",
			input: mutate(t, "    casArrayFQDN:", `    additionalNames: ["imap.*.contoso.com"]`+"\n    casArrayFQDN:"),
			want:  []string{`spec.exchange.additionalNames[0]: Invalid value: "imap.*.contoso.com": must be a lowercase fully qualified domain name, optionally starting with a '*.' wildcard label`},
		},
		{
			name:  "IP out of range",
			input: mutate(t, "poolIP: 10.0.0.10", "poolIP: 10.0.0.256"),
			want:  []string{`spec.ocs.poolIP: Invalid value: "10.0.0.256": must be an IPv4 address`},
		},
		{
			name:  "host name instead of an IP",
			input: mutate(t, "accessIP: 131.107.155.10", "accessIP: sip.contoso"),
			want:  []string{`spec.ocs.edge.accessIP: Invalid value: "sip.contoso": must be an IPv4 address`},
		},
		{
			name:  "IPv6 address",
			input: mutate(t, "externalIP: 131.107.155.50", `externalIP: "2001:db8::50"`),
			want:  []string{`spec.exchange.externalIP: Invalid value: "2001:db8::50": must be an IPv4 address`},
		},
		{
			name: "port out of range",
			input: mutate(t, "      avIP: 131.107.155.30\n",
				"      avIP: 131.107.155.30\n      webConferencingPort: 70000\n"),
			want: []string{"spec.ocs.edge.webConferencingPort: Invalid value: 70000: spec.ocs.edge.webConferencingPort in body should be less than or equal to 65535"},
		},
		{
			name: "port zero",
			input: mutate(t, "      avIP: 131.107.155.30\n",
				"      avIP: 131.107.155.30\n      avAuthenticationPort: 0\n"),
			want: []string{"spec.ocs.edge.avAuthenticationPort: Invalid value: 0: spec.ocs.edge.avAuthenticationPort in body should be greater than or equal to 1"},
		},
		{
			name:  "duplicate sipDomains",
			input: mutate(t, "sipDomains: [contoso.com, fabrikam.com]", "sipDomains: [contoso.com, contoso.com]"),
			want:  []string{`spec.sipDomains[1]: Duplicate value: "contoso.com"`},
		},
		{
			name:  "duplicate front-end FQDN",
			input: mutate(t, "{fqdn: fe02.contoso.com,", "{fqdn: fe01.contoso.com,"),
			want:  []string{`spec.ocs.frontEnds[1]: Duplicate value: {"fqdn":"fe01.contoso.com"}`},
		},
		{
			name: "duplicates and out-of-range port are all reported",
			input: mutate(t,
				"sipDomains: [contoso.com, fabrikam.com]", "sipDomains: [contoso.com, contoso.com]",
				"      avIP: 131.107.155.30\n", "      avIP: 131.107.155.30\n      webConferencingPort: 70000\n"),
			want: []string{
				`spec.sipDomains[1]: Duplicate value: "contoso.com"`,
				"spec.ocs.edge.webConferencingPort: Invalid value: 70000:",
			},
		},
		{
			name:  "too many SIP domains",
			input: mutate(t, "sipDomains: [contoso.com, fabrikam.com]", "sipDomains: ["+manyDomains(251)+"]"),
			want:  []string{"spec.sipDomains: Too many: 251: must have at most 250 items", blockedCEL},
		},
		{
			name:  "frontEnds with edition Standard",
			input: mutate(t, "edition: Enterprise", "edition: Standard"),
			want:  []string{"spec.ocs: Invalid value: frontEnds is only valid with edition Enterprise"},
		},
		{
			name:  "casArrayFQDN with Exchange 2007",
			input: mutate(t, `version: "2010"`, `version: "2007"`),
			want:  []string{"spec.exchange: Invalid value: casArrayFQDN needs version 2010"},
		},
		{
			name:  "externalWebFQDN with OCS 2007 R2",
			input: mutate(t, "    poolIP: 10.0.0.10\n", "    poolIP: 10.0.0.10\n    externalWebFQDN: web.contoso.com\n"),
			want:  []string{"spec.ocs: Invalid value: externalWebFQDN needs version Lync2010 or later"},
		},
		{
			name:  "simpleURLs, mobility and hybrid with OCS 2007 R2",
			input: mutate(t, "    poolIP: 10.0.0.10\n", "    poolIP: 10.0.0.10\n    simpleURLs: {dialin: dialin.contoso.com}\n    mobility: true\n    hybrid: {mode: Hybrid}\n"),
			want: []string{"spec.ocs: Invalid value: simpleURLs needs version Lync2010 or later",
				"mobility needs version Lync2010 or later", "hybrid needs version Lync2010 or later"},
		},
		{
			name:  "officeOnlineServer with Lync 2010, communicatorWebAccess after OCS 2007 R2",
			input: mutate(t, "    edition: Enterprise\n", "    version: Lync2010\n    edition: Enterprise\n    officeOnlineServer: {internalFQDN: oos.contoso.com}\n"),
			want: []string{"spec.ocs: Invalid value: officeOnlineServer needs version Lync2013 or later",
				"communicatorWebAccess needs version OCS2007R2"},
		},
		{
			name:  "director.externalWebFQDN and edge.xmppFQDN with OCS 2007 R2",
			input: mutate(t, "      avIP: 131.107.155.30\n", "      avIP: 131.107.155.30\n      xmppFQDN: xmpp.contoso.com\n    director: {fqdn: dir01.contoso.com, externalWebFQDN: webdir.contoso.com}\n"),
			want: []string{"spec.ocs: Invalid value: director.externalWebFQDN needs version Lync2010 or later",
				"edge.xmppFQDN needs version Lync2013 or SfB2015"},
		},
		{
			name:  "reverseProxy without fqdn with OCS 2007 R2",
			input: mutate(t, "reverseProxy: {fqdn: webext.contoso.com, ip: 131.107.155.40}", "reverseProxy: {ip: 131.107.155.40}"),
			want: []string{"spec.ocs: Invalid value: reverseProxy.fqdn is required with version OCS2007R2",
				"a reverseProxy needs externalWebFQDN (or reverseProxy.fqdn)"},
		},
		{
			name:  "unknown hybrid mode",
			input: mutate(t, "    edition: Enterprise\n", "    version: SfB2019\n    edition: Enterprise\n    hybrid: {mode: Cloud}\n"),
			want:  []string{`spec.ocs.hybrid.mode: Unsupported value: "Cloud": supported values: "OnPremises", "Hybrid", "TeamsOnly"`},
		},
		{
			name:  "ocs without SIP domains",
			input: mutate(t, "  sipDomains: [contoso.com, fabrikam.com]\n", ""),
			want:  []string{"spec: Invalid value: sipDomains must list at least one SIP domain when ocs is set"},
		},
		{
			name:  "unknown enum value",
			input: mutate(t, "edition: Enterprise", "edition: Premium"),
			want:  []string{`spec.ocs.edition: Unsupported value: "Premium": supported values: "Standard", "Enterprise"`, blockedCEL},
		},
		{
			name:  "unknown issuer kind",
			input: mutate(t, "kind: ClusterIssuer}", "kind: CertificateAuthority}"),
			want:  []string{`spec.certificates.publicIssuerRef.kind: Unsupported value: "CertificateAuthority"`},
		},
		{
			name:  "unknown field",
			input: mutate(t, "accessFQDN: sip.contoso.com", "acessFQDN: sip.contoso.com"),
			want: []string{
				"spec.ocs.edge.acessFQDN: unknown field",
				"spec.ocs.edge.accessFQDN: Required value",
			},
		},
		{
			name:  "unknown fields at several levels",
			input: mutate(t, "  name: contoso\n", "  name: contoso\n  nmespace: x\n") + "extra: 1\nstatus: {phase: x}\n",
			want:  []string{"metadata.nmespace: unknown field", "extra: unknown field", "status.phase: unknown field"},
		},
		{
			name:  "unknown field in a list item",
			input: mutate(t, "{fqdn: fe02.contoso.com, ip: 10.0.0.12}", "{fqdn: fe02.contoso.com, ipAddress: 10.0.0.12}"),
			want:  []string{"spec.ocs.frontEnds[1].ipAddress: unknown field"},
		},
		{
			name: "wrong type: string for a port",
			input: mutate(t, "      avIP: 131.107.155.30\n",
				"      avIP: 131.107.155.30\n      webConferencingPort: \"443\"\n"),
			want: []string{`spec.ocs.edge.webConferencingPort: Invalid value: "443": text where a whole number was expected`, blockedCEL},
		},
		{
			name:  "wrong type: fractional port",
			input: mutate(t, "      avIP: 131.107.155.30\n", "      avIP: 131.107.155.30\n      avAuthenticationPort: 5062.5\n"),
			want:  []string{"spec.ocs.edge.avAuthenticationPort: Invalid value: 5062.5: a number with a fraction where a whole number was expected"},
		},
		{
			name:  "wrong type: object for a list",
			input: mutate(t, "sipDomains: [contoso.com, fabrikam.com]", "sipDomains: {primary: contoso.com}"),
			want:  []string{`spec.sipDomains: Invalid value: {}: a mapping where a list was expected`},
		},
		{
			name:  "wrong type: list for spec",
			input: "apiVersion: uc.ucdeploy.io/v1alpha1\nkind: UCDeployment\nmetadata: {name: x}\nspec: [a]\n",
			want:  []string{`spec: Invalid value: ["a"]: a list where a mapping was expected`},
		},
		{
			name:  "wrong type: unquoted Exchange version",
			input: mutate(t, `version: "2010"`, "version: 2010"),
			want:  []string{`spec.exchange.version: Invalid value: 2010: a number where text was expected (quote it: "2010")`},
		},
		{
			name:  "missing required field",
			input: mutate(t, "    externalFQDN: mail.contoso.com\n", ""),
			want:  []string{"spec.exchange.externalFQDN: Required value", blockedCEL},
		},
		{
			name:  "missing spec",
			input: "apiVersion: uc.ucdeploy.io/v1alpha1\nkind: UCDeployment\nmetadata: {name: x}\n",
			want:  []string{"spec: Required value"},
		},
		{
			name:  "neither ocs nor exchange",
			input: "apiVersion: uc.ucdeploy.io/v1alpha1\nkind: UCDeployment\nmetadata: {name: x}\nspec: {}\n",
			want:  []string{"spec: Invalid value: at least one of ocs or exchange must be set"},
		},
		{
			name:  "uppercase name",
			input: mutate(t, "name: contoso", "name: Contoso"),
			want:  []string{`metadata.name: Invalid value: "Contoso": a lowercase RFC 1123 subdomain`},
		},
		{
			name:  "name longer than 52 characters",
			input: mutate(t, "name: contoso", "name: "+strings.Repeat("c", 53)),
			want:  []string{"metadata.name must be at most 52 characters"},
		},
		{
			name:  "missing name",
			input: mutate(t, "  name: contoso\n", ""),
			want:  []string{"contoso.yaml document 1 (UCDeployment): metadata.name: Required value"},
		},
		{
			name:  "invalid namespace",
			input: mutate(t, "namespace: uc", "namespace: UC_1"),
			want:  []string{`metadata.namespace: Invalid value: "UC_1"`},
		},
		{
			name:  "invalid label",
			input: mutate(t, "{app.kubernetes.io/part-of: ucdeploy}", "{app.kubernetes.io/part-of: ucdeploy!}"),
			want:  []string{`metadata.labels: Invalid value: "ucdeploy!"`},
		},
		{
			name:  "metadata of the wrong type",
			input: mutate(t, "{app.kubernetes.io/part-of: ucdeploy}", "{replicas: 3}"),
			want:  []string{"metadata: Invalid value: json: cannot unmarshal number into Go struct field ObjectMeta.labels of type string"},
		},
		{
			name:  "wrong kind",
			input: mutate(t, "kind: UCDeployment", "kind: ConfigMap"),
			want:  []string{`contoso.yaml document 1 (ConfigMap contoso): kind: Invalid value: "ConfigMap": must be UCDeployment`},
		},
		{
			name:    "wrong apiVersion",
			input:   mutate(t, "apiVersion: uc.ucdeploy.io/v1alpha1", "apiVersion: uc.ucdeploy.io/v1"),
			want:    []string{`apiVersion: Invalid value: "uc.ucdeploy.io/v1": must be uc.ucdeploy.io/v1alpha1`},
			notWant: []string{"kind:"},
		},
		{
			name:  "no apiVersion and kind",
			input: "metadata: {name: x}\nspec: {}\n",
			want:  []string{"apiVersion: Required value: must be uc.ucdeploy.io/v1alpha1", "kind: Required value: must be UCDeployment"},
		},
		{
			name:  "kind of the wrong type",
			input: "apiVersion: uc.ucdeploy.io/v1alpha1\nkind: [UCDeployment]\n",
			want:  []string{`kind: Invalid value: ["UCDeployment"]: must be the string UCDeployment`},
		},
		{
			name:  "a document of another kind among valid ones",
			input: docs(exchangeOnlyYAML, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n", validYAML),
			want:  []string{`contoso.yaml document 2 (ConfigMap cm): apiVersion: Invalid value: "v1"`},
		},
		{
			name:  "duplicate YAML key",
			input: mutate(t, "  name: contoso\n", "  name: contoso\n  name: contoso2\n"),
			want:  []string{`(UCDeployment contoso2): yaml: unmarshal errors: line 6: key "name" already set in map`},
		},
		{
			name: "problems in two documents",
			input: docs(mutate(t, "poolIP: 10.0.0.10", "poolIP: 10.0.0.300"),
				strings.Replace(exchangeOnlyYAML, "[fabrikam.com]", "[fabrikam.com, fabrikam.com]", 1)),
			want: []string{
				`contoso.yaml document 1 (UCDeployment contoso): spec.ocs.poolIP: Invalid value: "10.0.0.300"`,
				`contoso.yaml document 2 (UCDeployment fabrikam): spec.exchange.smtpDomains[1]: Duplicate value: "fabrikam.com"`,
			},
		},
		{
			name:  "a list instead of an object",
			input: "- apiVersion: uc.ucdeploy.io/v1alpha1\n  kind: UCDeployment\n",
			want:  []string{"contoso.yaml document 1: the document is a list, not a Kubernetes object"},
		},
		{
			name:  "a scalar",
			input: "hello\n",
			want:  []string{"contoso.yaml document 1: the document is a string, not a Kubernetes object"},
		},
		{
			name:  "a number",
			input: "42\n",
			want:  []string{"contoso.yaml document 1: the document is a scalar, not a Kubernetes object"},
		},
		{
			name:  "invalid YAML",
			input: "apiVersion: uc.ucdeploy.io/v1alpha1\nkind: UCDeployment\nspec: {ocs: [\n",
			want:  []string{"contoso.yaml document 1: invalid YAML: yaml: line 3: did not find expected node content"},
		},
		{
			name:  "invalid document separator",
			input: validYAML + "--- oops\n" + exchangeOnlyYAML,
			want:  []string{"contoso.yaml: splitting YAML documents: invalid Yaml document separator: oops"},
		},
		{name: "empty file", input: "", want: []string{"contoso.yaml: no UCDeployment found"}},
		{name: "only comments and separators", input: "# nothing\n---\n---\n# still nothing\n", want: []string{"no UCDeployment found"}},
		{name: "binary garbage", input: "\x00\x01\x02\xff\xfe\x7fELF\x02\x01", want: []string{"contoso.yaml document 1: a NUL byte at byte 0 of the document"}},
		// A UTF-16 byte-order mark before UTF-8 text: read as UTF-16, it is no object.
		{name: "UTF-16 byte order mark", input: "\xff\xfeapiVersion", want: []string{"contoso.yaml document 1: the document is a string, not a Kubernetes object"}},
		{
			name:  "huge input",
			input: validYAML + "# " + strings.Repeat("x", MaxInputBytes) + "\n",
			want:  []string{"contoso.yaml: input is 3147079 bytes, more than the 3145728 bytes (3 MiB) the API server accepts"},
		},
		{
			name:  "huge string value",
			input: mutate(t, "poolFQDN: pool01.contoso.com", "poolFQDN: "+strings.Repeat("a", 2<<20)+".com"),
			want:  []string{"spec.ocs.poolFQDN: Too long: may not be more than 253 bytes"},
		},
		{
			name:  "many invalid documents",
			input: strings.Repeat("a: 1\n---\n", 150),
			want: []string{
				"contoso.yaml document 100: apiVersion: Required value",
				"contoso.yaml: stopped after 100 invalid documents; 50 documents were not checked",
			},
			notWant: []string{"document 101"},
		},
		{
			name:  "verify nameserver given by host name",
			input: withVerify(t, `{external: {nameservers: ["ns1.contoso.com:53"]}}`),
			want:  []string{`spec.dns.verify.external.nameservers[0]: Invalid value: "ns1.contoso.com:53": ` + nameserverMessage},
		},
		{
			name:  "verify nameserver without port, IPv6 without brackets",
			input: withVerify(t, `{internal: {nameservers: ["10.0.0.53", "fd00::53:53"]}}`),
			want: []string{
				`spec.dns.verify.internal.nameservers[0]: Invalid value: "10.0.0.53": ` + nameserverMessage,
				`spec.dns.verify.internal.nameservers[1]: Invalid value: "fd00::53:53": ` + nameserverMessage,
			},
		},
		{
			name:  "verify nameserver port out of range",
			input: withVerify(t, `{internal: {nameservers: ["10.0.0.53:0", "[fd00::53]:65536"]}}`),
			want: []string{
				`spec.dns.verify.internal.nameservers[0]: Invalid value: "10.0.0.53:0": ` + nameserverMessage,
				`spec.dns.verify.internal.nameservers[1]: Invalid value: "[fd00::53]:65536": ` + nameserverMessage,
			},
		},
		{
			name:  "verify without views, interval too short",
			input: withVerify(t, `{interval: 5s}`),
			want: []string{
				`spec.dns.verify.interval: Invalid value: "5s": must be a duration between 30s and 24h`,
				`spec.dns.verify: Invalid value: name the nameservers of at least one view`,
			},
		},
		{
			// TestItem18ACMEChallengeDelegation's API part (R-PKI-13): the delegation zone is one
			// the DNS-01 solver can update, so never a zone the DNS servers host.
			name: "acmeChallengeDelegation among dns.zones",
			input: mutate(t, "    internalIssuerRef: {name: corp-ca}\n",
				"    internalIssuerRef: {name: corp-ca}\n  dns:\n    zones: [contoso.com, acme.contoso.com]\n    acmeChallengeDelegation: acme.contoso.com\n"),
			want: []string{`spec.dns: Invalid value: dns.acmeChallengeDelegation must be a zone a DNS-01 solver can update, not one of dns.zones`},
		},
		{
			name:  "acmeChallengeDelegation not an FQDN",
			input: mutate(t, "    internalIssuerRef: {name: corp-ca}\n", "    internalIssuerRef: {name: corp-ca}\n  dns:\n    acmeChallengeDelegation: _acme-challenge.contoso.com\n"),
			want:  []string{`spec.dns.acmeChallengeDelegation: Invalid value: "_acme-challenge.contoso.com": ` + fqdnMessage},
		},
		{
			// TestItem11SingleIPEdge's API part (V30): the Access Edge's client port.
			name:  "accessPort neither 443 nor 5061",
			input: mutate(t, "      avIP: 131.107.155.30\n", "      avIP: 131.107.155.30\n      accessPort: 444\n"),
			want:  []string{`spec.ocs.edge.accessPort: Invalid value: 444: spec.ocs.edge.accessPort must be 443, or 5061 in a single-IP Edge`},
		},
		{
			name:  "YAML aliases expanding beyond the limit",
			input: aliasBomb(),
			want:  []string{"contoso.yaml document 1:"},
		},
	}
}

func TestDecodeInvalid(t *testing.T) {
	for _, tt := range invalidCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := Decode("contoso.yaml", []byte(tt.input))
			if err == nil {
				t.Fatalf("Decode returned %d objects and no error", len(objs))
			}
			if objs != nil {
				t.Errorf("Decode returned %d objects with the error, want none", len(objs))
			}
			msg := err.Error()
			t.Log(msg)
			for _, want := range tt.want {
				if !strings.Contains(msg, want) {
					t.Errorf("the error does not contain %q:\n%s", want, msg)
				}
			}
			for _, notWant := range tt.notWant {
				if strings.Contains(msg, notWant) {
					t.Errorf("the error contains %q:\n%s", notWant, msg)
				}
			}
			if len(msg) > 16<<10 {
				t.Errorf("the error is %d bytes long, want it short enough to read", len(msg))
			}
		})
	}
}

func TestDocumentError(t *testing.T) {
	input := docs(exchangeOnlyYAML, mutate(t, "poolIP: 10.0.0.10", "poolIP: 10.0.0.300"))
	_, err := Decode("two.yaml", []byte(input))
	var docErr *DocumentError
	if !errors.As(err, &docErr) {
		t.Fatalf("Decode error %v (%T) is no *DocumentError", err, err)
	}
	if docErr.File != "two.yaml" || docErr.Document != 2 || docErr.Kind != "UCDeployment" || docErr.Name != "contoso" {
		t.Errorf("DocumentError = {File: %q, Document: %d, Kind: %q, Name: %q}, want {two.yaml 2 UCDeployment contoso}",
			docErr.File, docErr.Document, docErr.Kind, docErr.Name)
	}
	if len(docErr.Errs) != 1 || docErr.Errs[0].Field != "spec.ocs.poolIP" {
		t.Errorf("DocumentError.Errs = %v, want one error about spec.ocs.poolIP", docErr.Errs)
	}
}

func TestDocumentErrorTruncatesLongMessages(t *testing.T) {
	long := strings.Repeat("é", 2000)
	// netbiosName has a pattern and no maximum length: the error shows the value.
	_, err := Decode("long.yaml", []byte(mutate(t, "netbiosName: EX01", "netbiosName: "+long)))
	if err == nil {
		t.Fatal("Decode accepted a 4000-byte NetBIOS name")
	}
	if len(err.Error()) > 2*maxMessageBytes {
		t.Errorf("the error is %d bytes long, want at most %d:\n%s", len(err.Error()), 2*maxMessageBytes, err)
	}
	if !strings.Contains(err.Error(), "more bytes)") {
		t.Errorf("the error does not say it was truncated:\n%s", err)
	}
}

// TestDecodeConcurrently decodes from several goroutines; run with -race.
func TestDecodeConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			input := validYAML
			if i%2 == 1 {
				input = strings.Replace(validYAML, "poolIP: 10.0.0.10", "poolIP: 10.0.0.300", 1)
			}
			_, err := Decode("in.yaml", []byte(input))
			if (err != nil) != (i%2 == 1) {
				t.Errorf("goroutine %d: Decode error %v", i, err)
			}
		}()
	}
	wg.Wait()
}

// TestDecodeTiming reports how long the first Decode (which builds the validators) and a
// later one take. The first figure only means something when the test runs alone:
// go test -run 'TestDecodeTiming$' -v ./internal/decode/
func TestDecodeTiming(t *testing.T) {
	for _, call := range []string{"first", "second", "third"} {
		start := time.Now()
		if _, err := Decode("contoso.yaml", []byte(validYAML)); err != nil {
			t.Fatalf("Decode: %v", err)
		}
		t.Logf("%s Decode: %v", call, time.Since(start))
	}
}

func BenchmarkDecode(b *testing.B) {
	data := []byte(validYAML)
	if _, err := Decode("contoso.yaml", data); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode("contoso.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSetup measures what the first Decode does once: parse the CRD, build the
// structural schema and the OpenAPI validator, and compile the CEL rules.
func BenchmarkSetup(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := newCRDSchema(crd.UCDeployments, kind); err != nil {
			b.Fatal(err)
		}
	}
}

// manyDomains returns n distinct domains separated by commas.
func manyDomains(n int) string {
	var b bytes.Buffer
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "d%d.contoso.com", i)
	}
	return b.String()
}

// aliasBomb returns a small YAML document whose aliases expand to far more than MaxInputBytes.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("a: &a [\"" + strings.Repeat("x", 64) + "\"]\n")
	prev := "a"
	for i := range 20 {
		name := fmt.Sprintf("l%d", i)
		fmt.Fprintf(&b, "%s: &%s [*%s, *%s, *%s, *%s]\n", name, name, prev, prev, prev, prev)
		prev = name
	}
	return b.String()
}

// TestUnknownFieldSuggestion (issue 30 item 10): an unknown field names the field the author
// probably meant: a different case, a typo, inside a list item; no guess when none is close.
func TestUnknownFieldSuggestion(t *testing.T) {
	doc := `apiVersion: uc.ucdeploy.io/v1alpha1
kind: UCDeployment
metadata: {name: x}
spec:
  sipDomains: [contoso.com]
  ocs:
    version: OCS2007R2
    poolFQDN: pool.contoso.com
    poolFqdn: pool.contoso.com
    frontEnds: [{fqdn: fe.contoso.com, fqdnn: fe.contoso.com}]
    banana: 1
  certficates: {}
`
	_, err := Decode("t.yaml", []byte(doc))
	if err == nil {
		t.Fatal("decoded")
	}
	for _, want := range []string{
		`spec.ocs.poolFqdn: unknown field; did you mean "poolFQDN"?`,
		`spec.ocs.frontEnds[0].fqdnn: unknown field; did you mean "fqdn"?`,
		`spec.certficates: unknown field; did you mean "certificates"?`,
		`spec.ocs.banana: unknown field;`,
	} {
		if !strings.Contains(err.Error()+";", want) {
			t.Errorf("%v\nlacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), `banana: unknown field; did you mean`) {
		t.Errorf("a guess for banana: %v", err)
	}
}

// manyNames are the names of manyDocuments: fabrikam-0000, fabrikam-0001, ...
func manyNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("fabrikam-%04d", i)
	}
	return names
}

// manyDocuments is a stream of n copies of exchangeOnlyYAML, named manyNames (one stream may not
// hold two deployments of the same namespace and name).
func manyDocuments(t testing.TB, n int) string {
	t.Helper()
	if !strings.Contains(exchangeOnlyYAML, "metadata: {name: fabrikam}\n") {
		t.Fatal("exchangeOnlyYAML is not named fabrikam")
	}
	var b strings.Builder
	for _, name := range manyNames(n) {
		b.WriteString(strings.Replace(exchangeOnlyYAML, "metadata: {name: fabrikam}\n", "metadata: {name: "+name+"}\n", 1) + "---\n")
	}
	return b.String()
}
