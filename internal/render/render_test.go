package render_test

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

// wantOwner is the controller reference every child of contosoUCD carries, written out by hand.
var wantOwner = []metav1.OwnerReference{{
	APIVersion:         "uc.ucdeploy.io/v1alpha1",
	Kind:               "UCDeployment",
	Name:               "contoso-uc",
	UID:                "3f0c6a52-8d4e-4c1b-9a57-2b6f1e0d9c41",
	Controller:         ptr.To(true),
	BlockOwnerDeletion: ptr.To(true),
}}

// checkMeta checks a child's metadata: its name, ucd's namespace, exactly the ucdeploy labels
// (nothing from the parent), no annotations and ucd as controller owner.
func checkMeta(t *testing.T, m metav1.ObjectMeta, name string, labels map[string]string) {
	t.Helper()
	if m.Name != name || m.Namespace != "uc" {
		t.Errorf("object %s/%s, want uc/%s", m.Namespace, m.Name, name)
	}
	if !maps.Equal(m.Labels, labels) {
		t.Errorf("%s: labels %v, want %v", name, m.Labels, labels)
	}
	if len(m.Annotations) != 0 {
		t.Errorf("%s: annotations %v, want none", name, m.Annotations)
	}
	if !reflect.DeepEqual(m.OwnerReferences, wantOwner) {
		t.Errorf("%s: owner references %+v, want %+v", name, m.OwnerReferences, wantOwner)
	}
}

func TestCertificatesMetadata(t *testing.T) {
	p := contosoPlan()
	certs := render.Certificates(contosoUCD(), p)
	if len(certs) != len(p.Certificates) {
		t.Fatalf("%d Certificates, want %d", len(certs), len(p.Certificates))
	}
	for i, c := range certs {
		pc := p.Certificates[i]
		if c.APIVersion != "cert-manager.io/v1" || c.Kind != "Certificate" {
			t.Errorf("%s: TypeMeta %s %s", c.Name, c.APIVersion, c.Kind)
		}
		checkMeta(t, c.ObjectMeta, pc.Name, map[string]string{
			"app.kubernetes.io/managed-by": "ucdeploy",
			"uc.ucdeploy.io/deployment":    "contoso-uc",
			"uc.ucdeploy.io/role":          pc.Role,
		})
	}
}

func TestConfigMapsMetadata(t *testing.T) {
	cms := render.ConfigMaps(contosoUCD(), contosoPlan())
	if len(cms) != 2 {
		t.Fatalf("%d ConfigMaps, want 2", len(cms))
	}
	for i, view := range []string{"internal", "external"} {
		cm := cms[i]
		if cm.APIVersion != "v1" || cm.Kind != "ConfigMap" {
			t.Errorf("%s: TypeMeta %s %s", cm.Name, cm.APIVersion, cm.Kind)
		}
		checkMeta(t, cm.ObjectMeta, "contoso-uc-dns-"+view, map[string]string{
			"app.kubernetes.io/managed-by": "ucdeploy",
			"uc.ucdeploy.io/deployment":    "contoso-uc",
			"uc.ucdeploy.io/view":          view,
		})
	}
}

func TestConfigMapName(t *testing.T) {
	if got := render.ConfigMapName("contoso-uc", plan.ViewExternal); got != "contoso-uc-dns-external" {
		t.Errorf("ConfigMapName() = %q", got)
	}
}

func TestConfigMapData(t *testing.T) {
	p := contosoPlan()
	cms := render.ConfigMaps(contosoUCD(), p)
	for i, want := range []struct {
		view plan.View
		keys []string
	}{
		{plan.ViewInternal, []string{"Add-DnsRecords.ps1", "contoso.com.zone", "contoso.local.zone", "records.json"}},
		{plan.ViewExternal, []string{"Add-DnsRecords.ps1", "contoso.com.zone", "records.json"}},
	} {
		data := cms[i].Data
		if keys := slices.Sorted(maps.Keys(data)); !slices.Equal(keys, want.keys) {
			t.Errorf("%s keys %q, want %q", want.view, keys, want.keys)
		}
		var records []plan.Record
		if err := json.Unmarshal([]byte(data[render.RecordsKey]), &records); err != nil {
			t.Fatalf("%s records.json: %v", want.view, err)
		}
		if !reflect.DeepEqual(records, p.RecordsFor(want.view)) {
			t.Errorf("%s records.json holds %+v", want.view, records)
		}
		if data[render.PowerShellKey] != render.PowerShell(p, want.view) {
			t.Errorf("%s %s is not PowerShell(p, view)", want.view, render.PowerShellKey)
		}
	}
}

func TestEmptyPlan(t *testing.T) {
	ucd, p := contosoUCD(), plan.Plan{}
	if certs := render.Certificates(ucd, p); len(certs) != 0 {
		t.Errorf("%d Certificates, want none", len(certs))
	}
	cms := render.ConfigMaps(ucd, p)
	if len(cms) != 2 {
		t.Fatalf("%d ConfigMaps, want 2", len(cms))
	}
	for _, cm := range cms {
		if got := cm.Data[render.RecordsKey]; got != "[]\n" {
			t.Errorf("%s records.json = %q, want \"[]\\n\"", cm.Name, got)
		}
		if len(cm.Data) != 2 {
			t.Errorf("%s has keys %v, want only records.json and the script", cm.Name, slices.Sorted(maps.Keys(cm.Data)))
		}
		if ps := cm.Data[render.PowerShellKey]; !strings.HasSuffix(ps, "view has no records.\n") || strings.Contains(ps, "Add-Dns") {
			t.Errorf("%s script:\n%s", cm.Name, ps)
		}
	}
	if got := render.CertificateRequests(p); !strings.HasSuffix(got, "# The plan has no certificates.\n") {
		t.Errorf("CertificateRequests() =\n%s", got)
	}
	want := "CERTIFICATES (0)\n\nDNS RECORDS, internal view (0)\n\nDNS RECORDS, external view (0)\n\nFINDINGS (0)\n"
	if got := render.Table(p); got != want {
		t.Errorf("Table() =\n%q\nwant\n%q", got, want)
	}
}

func TestIssuerRef(t *testing.T) {
	public := &v1alpha1.IssuerRef{Name: "public-ca", Kind: "ClusterIssuer"}
	enterprise := &v1alpha1.IssuerRef{Name: "corp-ca", Kind: "Issuer"}
	for _, tc := range []struct {
		name   string
		spec   v1alpha1.CertificatesSpec
		issuer string
		want   cmmeta.IssuerReference
	}{
		{"public", v1alpha1.CertificatesSpec{PublicIssuerRef: public, InternalIssuerRef: enterprise}, plan.IssuerPublic,
			cmmeta.IssuerReference{Name: "public-ca", Kind: "ClusterIssuer", Group: "cert-manager.io"}},
		{"internal", v1alpha1.CertificatesSpec{PublicIssuerRef: public, InternalIssuerRef: enterprise}, plan.IssuerInternal,
			cmmeta.IssuerReference{Name: "corp-ca", Kind: "Issuer", Group: "cert-manager.io"}},
		// The API defaults kind to ClusterIssuer; cert-manager would read an empty kind as Issuer.
		{"empty kind", v1alpha1.CertificatesSpec{InternalIssuerRef: &v1alpha1.IssuerRef{Name: "corp-ca"}}, plan.IssuerInternal,
			cmmeta.IssuerReference{Name: "corp-ca", Kind: "ClusterIssuer", Group: "cert-manager.io"}},
		{"missing public ref", v1alpha1.CertificatesSpec{InternalIssuerRef: enterprise}, plan.IssuerPublic,
			cmmeta.IssuerReference{Group: "cert-manager.io"}},
		{"missing internal ref", v1alpha1.CertificatesSpec{PublicIssuerRef: public}, plan.IssuerInternal,
			cmmeta.IssuerReference{Group: "cert-manager.io"}},
		{"unknown issuer class", v1alpha1.CertificatesSpec{PublicIssuerRef: public, InternalIssuerRef: enterprise}, "acme",
			cmmeta.IssuerReference{Group: "cert-manager.io"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ucd := &v1alpha1.UCDeployment{Spec: v1alpha1.UCDeploymentSpec{Certificates: tc.spec}}
			p := plan.Plan{Certificates: []plan.Certificate{{Name: "x-pool", Issuer: tc.issuer}}}
			if got := render.Certificates(ucd, p)[0].Spec.IssuerRef; got != tc.want {
				t.Errorf("issuerRef = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCertificateSpec(t *testing.T) {
	ucd := contosoUCD()
	ucd.Spec.Certificates.PrivateKey = v1alpha1.PrivateKeySpec{Algorithm: "ECDSA", Size: 384}
	ucd.Spec.Certificates.Duration, ucd.Spec.Certificates.RenewBefore = nil, nil
	p := plan.Plan{Certificates: []plan.Certificate{{Name: "x-edge-internal", SecretName: "x-edge-internal-tls",
		CommonName: "edge01.contoso.local", DNSNames: []string{"edge01.contoso.local"}, Issuer: plan.IssuerInternal,
		Duration: metav1.Duration{Duration: 1128 * time.Hour}}}}
	got := render.Certificates(ucd, p)[0].Spec
	want := cmapi.CertificateSpec{
		Duration:   &metav1.Duration{Duration: 1128 * time.Hour}, // the plan's lifetime (R-PKI-01), not the spec's
		SecretName: "x-edge-internal-tls",
		CommonName: "edge01.contoso.local",
		DNSNames:   []string{"edge01.contoso.local"},
		IssuerRef:  cmmeta.IssuerReference{Name: "contoso-enterprise-ca", Kind: "Issuer", Group: "cert-manager.io"},
		PrivateKey: &cmapi.CertificatePrivateKey{Algorithm: cmapi.ECDSAKeyAlgorithm, Size: 384, RotationPolicy: cmapi.RotationPolicyAlways},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("spec = %+v\nwant %+v", got, want)
	}
}

// TestOutputsDoNotAliasInputs changes what Certificates returned and checks that the plan and the
// UCDeployment did not change with it.
func TestOutputsDoNotAliasInputs(t *testing.T) {
	ucd, p := contosoUCD(), contosoPlan()
	c := render.Certificates(ucd, p)[0]
	c.Spec.DNSNames[0] = "changed.example.com"
	c.Spec.Duration.Duration = time.Second
	if p.Certificates[0].DNSNames[0] != "edge01.contoso.local" {
		t.Error("Certificate.Spec.DNSNames shares the plan's slice")
	}
	if ucd.Spec.Certificates.Duration.Duration != 8760*time.Hour {
		t.Error("Certificate.Spec.Duration points at the UCDeployment's")
	}
}

func TestPowerShellQuotesValues(t *testing.T) {
	p := plan.Plan{DNSRecords: []plan.Record{
		{View: "internal", Zone: "contoso.com", Name: "o'brien.contoso.com", Type: "A", TTL: 90061, Data: "10.0.0.1'; Remove-Item C:\\ -Recurse; '"},
	}}
	want := `Add-DnsServerResourceRecordA -ZoneName 'contoso.com' -Name 'o''brien' -IPv4Address '10.0.0.1''; Remove-Item C:\ -Recurse; ''' -TimeToLive '1.01:01:01' -ComputerName $InternalDnsServer`
	if got := render.PowerShell(p, "internal"); !strings.Contains(got, "\n"+want+"\n") {
		t.Errorf("PowerShell() =\n%s\nwant a line\n%s", got, want)
	}
}

func TestPowerShellWarnsOnRecordsItCannotExpress(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    plan.Record
		want string
	}{
		{"unsupported type", plan.Record{Name: "contoso.com", Type: "TXT", TTL: 60, Data: `"v=spf1 -all"`},
			`Write-Warning 'ucdeploy: cannot add contoso.com TXT "\"v=spf1 -all\"" in zone contoso.com: unsupported record type'`},
		{"SRV with three fields", plan.Record{Name: "_sip._tls.contoso.com", Type: "SRV", TTL: 60, Data: "0 443 sip.contoso.com."},
			`Write-Warning 'ucdeploy: cannot add _sip._tls.contoso.com SRV "0 443 sip.contoso.com." in zone contoso.com: want 3 numbers and a host name, got 3 fields'`},
		{"MX preference out of range", plan.Record{Name: "contoso.com", Type: "MX", TTL: 60, Data: "65536 mail.contoso.com."},
			`Write-Warning 'ucdeploy: cannot add contoso.com MX "65536 mail.contoso.com." in zone contoso.com: parse "65536": strconv.ParseUint: parsing "65536": value out of range'`},
		{"negative TTL", plan.Record{Name: "sip.contoso.com", Type: "A", TTL: -1, Data: "192.0.2.1"},
			`Write-Warning 'ucdeploy: cannot add sip.contoso.com A "192.0.2.1" in zone contoso.com: negative TTL -1'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.r.View, tc.r.Zone = "external", "contoso.com"
			got := render.PowerShell(plan.Plan{DNSRecords: []plan.Record{tc.r}}, "external")
			if !strings.Contains(got, "\n"+tc.want+"\n") {
				t.Errorf("PowerShell() =\n%s\nwant a line\n%s", got, tc.want)
			}
		})
	}
}

func TestPowerShellTimeToLive(t *testing.T) {
	for ttl, want := range map[int32]string{0: "'00:00:00'", 300: "'00:05:00'", 3600: "'01:00:00'", 86400: "'1.00:00:00'", 604800: "'7.00:00:00'"} {
		p := plan.Plan{DNSRecords: []plan.Record{{View: "internal", Zone: "contoso.com", Name: "sip.contoso.com", Type: "A", TTL: ttl, Data: "10.0.0.1"}}}
		if got := render.PowerShell(p, "internal"); !strings.Contains(got, "-TimeToLive "+want+" -ComputerName $InternalDnsServer\n") {
			t.Errorf("TTL %d: want -TimeToLive %s in\n%s", ttl, want, got)
		}
	}
}

func TestQuoteTypographicQuotes(t *testing.T) {
	// PowerShell ends a single-quoted string at U+2018..U+201B as at "'": each must be doubled.
	p := plan.Plan{Certificates: []plan.Certificate{{Name: "a\u2019b", CommonName: "c\u2018d", DNSNames: []string{"e\u201af\u201bg"}, Services: []string{"IIS"}}}}
	got := render.CertificateRequests(p)
	for _, want := range []string{"'CN=c\u2018\u2018d'", "-DomainName 'e\u201a\u201af\u201b\u201bg'", "-FriendlyName 'a\u2019\u2019b'"} {
		if !strings.Contains(got, want) {
			t.Errorf("CertificateRequests() lacks %s:\n%s", want, got)
		}
	}
}

// TestTableKeepsRowsOnOneLine: a message's own newlines and tabs cannot break the layout, and a
// long message is wrapped under its finding's heading (issue 30 item 9) instead of making a
// 400-column row.
func TestTableKeepsRowsOnOneLine(t *testing.T) {
	long := strings.Repeat("word ", 60) + "end"
	p := plan.Plan{Findings: []plan.Finding{
		{Severity: "Error", Code: "X", Path: "spec", Message: "two\nlines\tand a tab", Rule: "V1"},
		{Severity: "Warning", Code: "Y", Path: "spec.ocs", Message: long, Rule: "V2"},
	}}
	got := render.Table(p)
	want := "FINDINGS (2)\nError X (V1) at spec\n    two lines and a tab\nWarning Y (V2) at spec.ocs\n"
	if !strings.Contains(got, want) {
		t.Errorf("Table() =\n%s\nwant it to hold\n%s", got, want)
	}
	words := 0
	for line := range strings.Lines(got) {
		if len(strings.TrimRight(line, "\n")) > 100 {
			t.Errorf("a line of %d columns: %q", len(line), line)
		}
		if strings.HasPrefix(line, "    word") {
			words += strings.Count(line, "word")
		}
	}
	if words != 60 || !strings.HasSuffix(got, " end\n") {
		t.Errorf("the long message lost words (%d of 60):\n%s", words, got)
	}
}

func TestHeader(t *testing.T) {
	if got, want := render.Header(contosoUCD()), "UCDeployment uc/contoso-uc (generated by ucdeploy; do not edit)"; got != want {
		t.Errorf("Header() = %q, want %q", got, want)
	}
}

func TestCertificateRequestWithoutDNSNames(t *testing.T) {
	p := plan.Plan{Certificates: []plan.Certificate{{Name: "x-pool", Role: "pool", Issuer: plan.IssuerInternal, CommonName: "pool01.contoso.com"}}}
	want := "\n# x-pool: role pool, enterprise CA; usages: cert-manager's default\n" +
		"# run elevated on the server that will hold the key (Windows certreq.exe)\n" +
		"@'\n[NewRequest]\nSubject = \"CN=pool01.contoso.com\"\nExportable = TRUE\nMachineKeySet = TRUE\nFriendlyName = \"x-pool\"\n" +
		"RequestType = PKCS10\nHashAlgorithm = SHA256\nKeyAlgorithm = RSA\nKeyLength = 2048\n" +
		"'@ | Set-Content -Path 'x-pool.inf'\n" +
		"certreq.exe -new 'x-pool.inf' 'x-pool.req'\n"
	if got := render.CertificateRequests(p); !strings.HasSuffix(got, want) {
		t.Errorf("CertificateRequests() =\n%s\nwant it to end with\n%s", got, want)
	}
}

// TestPowerShellNeverMergesViews (issue 11 item 11): each view's commands go to the DNS server
// its own mandatory script parameter names, so one run cannot put both views on one server.
func TestPowerShellNeverMergesViews(t *testing.T) {
	p := plan.Plan{DNSRecords: []plan.Record{
		{View: "internal", Zone: "contoso.com", Name: "sip.contoso.com", Type: "A", TTL: 60, Data: "10.0.0.1"},
		{View: "external", Zone: "contoso.com", Name: "sip.contoso.com", Type: "A", TTL: 60, Data: "192.0.2.1"},
	}}
	got := render.PowerShell(p, "internal", "external")
	for _, want := range []string{
		"param(\n    [Parameter(Mandatory = $true)][string]$InternalDnsServer,\n    [Parameter(Mandatory = $true)][string]$ExternalDnsServer\n)\n",
		"-IPv4Address '10.0.0.1' -TimeToLive '00:01:00' -ComputerName $InternalDnsServer\n",
		"-IPv4Address '192.0.2.1' -TimeToLive '00:01:00' -ComputerName $ExternalDnsServer\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("PowerShell() lacks %q:\n%s", want, got)
		}
	}
	for _, line := range strings.Split(got, "\n") {
		if strings.HasPrefix(line, "Add-") && !strings.Contains(line, " -ComputerName $") {
			t.Errorf("a command without its view's server: %s", line)
		}
	}
}

// TestCertificateRequestsUseThePlannedKey (issue 11 item 4): the requests carry the planned RSA
// size, not a fixed 2048, and the Outlook Anywhere principal follows them when the plan names one.
func TestCertificateRequestsUseThePlannedKey(t *testing.T) {
	p := plan.Plan{
		Certificates:                 []plan.Certificate{{Name: "c-unified", Role: "unified", Issuer: plan.IssuerPublic, CommonName: "sip.contoso.com", DNSNames: []string{"sip.contoso.com", "mail.contoso.com"}, KeyAlgorithm: "RSA", KeySize: 4096}},
		OutlookProviderPrincipalName: "msstd:sip.contoso.com",
	}
	got := render.CertificateRequests(p)
	for _, want := range []string{"\nKeyLength = 4096\n", "\nSet-OutlookProvider -Identity EXPR -CertPrincipalName 'msstd:sip.contoso.com'\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("CertificateRequests() lacks %q:\n%s", want, got)
		}
	}
}

// TestKeystores: with spec.certificates.pkcs12 every Certificate asks for keystore.p12 with the
// password Secret and an explicit profile: LegacyDES for Windows Server 2016, Modern2023 from
// 2019 on, never the implicit LegacyRC2 (R-K8S-01); without it, no keystore.
func TestKeystores(t *testing.T) {
	for _, tc := range []struct {
		oldest v1alpha1.WindowsVersion
		want   cmapi.PKCS12Profile
	}{
		{"", cmapi.LegacyDESPKCS12Profile},
		{v1alpha1.WindowsServer2016, cmapi.LegacyDESPKCS12Profile},
		{v1alpha1.WindowsServer2019, cmapi.Modern2023PKCS12Profile},
		{v1alpha1.WindowsServer2022, cmapi.Modern2023PKCS12Profile},
		{v1alpha1.WindowsServer2025, cmapi.Modern2023PKCS12Profile},
	} {
		ucd := contosoUCD()
		ucd.Spec.Certificates.PKCS12 = &v1alpha1.PKCS12Spec{
			PasswordSecretRef: v1alpha1.SecretKeyRef{Name: "pfx-password", Key: "password"},
			OldestWindows:     tc.oldest,
		}
		certs := render.Certificates(ucd, contosoPlan())
		if len(certs) == 0 {
			t.Fatal("no certificates")
		}
		for _, c := range certs {
			ks := c.Spec.Keystores
			if ks == nil || ks.PKCS12 == nil || ks.JKS != nil {
				t.Fatalf("%s: keystores %+v", c.Name, ks)
			}
			p := ks.PKCS12
			if !p.Create || p.Profile != tc.want || p.Password != nil ||
				p.PasswordSecretRef.Name != "pfx-password" || p.PasswordSecretRef.Key != "password" {
				t.Errorf("oldest %q: %s: pkcs12 %+v; want create, profile %s, the password Secret", tc.oldest, c.Name, p, tc.want)
			}
		}
	}
	for _, c := range render.Certificates(contosoUCD(), contosoPlan()) {
		if c.Spec.Keystores != nil {
			t.Errorf("%s: keystores without spec.certificates.pkcs12", c.Name)
		}
	}
}

// TestItem13RequestsInTheRightTool (issue 26 items 6 and 13): the reverse proxy and Office Online
// Server are no Exchange servers and an ECDSA key is beyond New-ExchangeCertificate (RSA 1024,
// 2048, 4096 only) and Request-CsCertificate: their requests come from certreq with an INF
// listing every name and the key; every request says where it runs.
func TestItem13RequestsInTheRightTool(t *testing.T) {
	names := []string{"webext.contoso.com", "meet.contoso.com"}
	p := plan.Plan{Certificates: []plan.Certificate{
		{Name: "c-exchange", Role: plan.RoleExchange, Issuer: plan.IssuerPublic, CommonName: "mail.contoso.com", DNSNames: []string{"mail.contoso.com"}, Services: []string{"IIS"}, Usages: []string{"server auth"}, KeyAlgorithm: "RSA", KeySize: 2048},
		{Name: "c-ecdsa", Role: plan.RoleExchange, Issuer: plan.IssuerPublic, CommonName: "mail.contoso.com", DNSNames: []string{"mail.contoso.com"}, Services: []string{"IIS"}, Usages: []string{"server auth"}, KeyAlgorithm: "ECDSA", KeySize: 384},
		{Name: "c-reverse-proxy", Role: plan.RoleReverseProxy, Issuer: plan.IssuerPublic, CommonName: names[0], DNSNames: names, Usages: []string{"server auth"}, KeyAlgorithm: "RSA", KeySize: 2048},
		{Name: "c-pool", Role: plan.RolePool, Issuer: plan.IssuerInternal, CommonName: "pool01.contoso.com", DNSNames: []string{"pool01.contoso.com"}, Services: []string{"Default"}, KeyAlgorithm: "RSA", KeySize: 2048},
	}}
	got := render.CertificateRequests(p)
	for _, want := range []string{
		"# run on an Exchange server, in the Exchange Management Shell\nNew-ExchangeCertificate -GenerateRequest -SubjectName 'CN=mail.contoso.com'",
		"# run elevated on the server that will hold the key (Windows certreq.exe)\n@'\n[NewRequest]\nSubject = \"CN=mail.contoso.com\"",
		"ProviderName = \"Microsoft Software Key Storage Provider\"\nKeyAlgorithm = ECDSA_P384\nKeyLength = 384\n",
		"FriendlyName = \"c-reverse-proxy\"",
		"[Extensions]\n2.5.29.17 = \"{text}\"\n_continue_ = \"dns=webext.contoso.com&\"\n_continue_ = \"dns=meet.contoso.com&\"\n'@ | Set-Content -Path 'c-reverse-proxy.inf'\ncertreq.exe -new 'c-reverse-proxy.inf' 'c-reverse-proxy.req'\n",
		"# run on a server of the role, in the Skype for Business Server (Lync Server) Management Shell\nRequest-CsCertificate -New -Type Default",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("CertificateRequests() lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "New-ExchangeCertificate -GenerateRequest") != 1 {
		t.Errorf("New-ExchangeCertificate for a certificate that is not Exchange's, or for an ECDSA key:\n%s", got)
	}
}

// TestItem13CAAInPowerShell (issue 26 item 13, R-PKI-05): a CAA record becomes a real command on
// Windows Server 2016+ DNS, Add-DnsServerResourceRecord -Type 257 -RecordData with the RFC 8659
// RDATA in hexadecimal (flags, tag length, tag, value), not a warning. The expected hex is written
// out by hand from the octets of "issue" and "letsencrypt.org"; a malformed CAA record is a warning.
func TestItem13CAAInPowerShell(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"issue", `0 issue "letsencrypt.org"`,
			`Add-DnsServerResourceRecord -ZoneName 'contoso.com' -Name '.' -Type 257 -RecordData '000569737375656c657473656e63727970742e6f7267' -TimeToLive '01:00:00' -ComputerName $ExternalDnsServer`},
		{"critical issuewild", `128 issuewild ";"`,
			`Add-DnsServerResourceRecord -ZoneName 'contoso.com' -Name '.' -Type 257 -RecordData '8009697373756577696c643b' -TimeToLive '01:00:00' -ComputerName $ExternalDnsServer`},
		{"no quotes", `0 issue letsencrypt.org`,
			`Write-Warning 'ucdeploy: cannot add contoso.com CAA "0 issue letsencrypt.org" in zone contoso.com: parse the value letsencrypt.org: invalid syntax'`},
		{"flags out of range", `256 issue "letsencrypt.org"`,
			`Write-Warning 'ucdeploy: cannot add contoso.com CAA "256 issue \"letsencrypt.org\"" in zone contoso.com: parse the flags "256": strconv.ParseUint: parsing "256": value out of range'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := plan.Record{View: "external", Zone: "contoso.com", Name: "contoso.com", Type: "CAA", TTL: 3600, Data: tc.data}
			got := render.PowerShell(plan.Plan{DNSRecords: []plan.Record{r}}, "external")
			if !strings.Contains(got, "\n"+tc.want+"\n") {
				t.Errorf("PowerShell() =\n%s\nwant a line\n%s", got, tc.want)
			}
		})
	}
}
