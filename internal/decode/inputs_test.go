package decode

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/encoding/unicode"
)

// TestInputsRefusedRound3 (issue 29, item 13): inputs that used to get through, each refused with a
// message naming the field (the CRD's rules, which the API server applies too, or the stream's
// rules kubectl follows).
func TestInputsRefusedRound3(t *testing.T) {
	const objectName = "must be a Kubernetes object name"
	const uri = "must be an https:// URL without spaces, semicolons or quotes"
	for name, tc := range map[string]struct {
		input string
		want  []string
	}{
		"issuer name with a capital": {mutate(t, "publicIssuerRef: {name: public-ca, kind: ClusterIssuer}", "publicIssuerRef: {name: Public_CA, kind: ClusterIssuer}"),
			[]string{"spec.certificates.publicIssuerRef.name", objectName}},
		"password Secret name with a slash": {withPKCS12(t, "{passwordSecretRef: {name: pfx/password, key: password}}"),
			[]string{"spec.certificates.pkcs12.passwordSecretRef.name", objectName}},
		"accountURI with a tab":               {withCAA(t, `"https://acme.example/acct/1\t"`), []string{"spec.dns.caa.accountURI", uri}},
		"accountURI with a control character": {withCAA(t, `"https://acme.example/acct/\u0001"`), []string{"spec.dns.caa.accountURI", uri}},
		"accountURI with typographic quotes":  {withCAA(t, `"https://acme.example/acct/“1”"`), []string{"spec.dns.caa.accountURI", uri}},
		"accountURI with a no-break space":    {withCAA(t, `"https://acme.example/acct/\u00a01"`), []string{"spec.dns.caa.accountURI", uri}},
		"JSON with a trailing comma": {`{"apiVersion": "uc.ucdeploy.io/v1alpha1", "kind": "UCDeployment", "metadata": {"name": "f",}, ` +
			`"spec": {"exchange": {"externalFQDN": "mail.fabrikam.com", "smtpDomains": ["fabrikam.com"]}}}`,
			[]string{"invalid JSON at byte 92", "invalid character '}'"}},
		"the same name twice in a stream": {exchangeOnlyYAML + "---\n" + exchangeOnlyYAML,
			[]string{"document 2", "metadata.name: Duplicate value", "document 1 has the same namespace and name"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Decode("in.yaml", []byte(tc.input))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	// Still accepted: the same name in two namespaces, and valid JSON.
	two := exchangeOnlyYAML + "---\n" + strings.Replace(exchangeOnlyYAML, "metadata: {name: fabrikam}", "metadata: {name: fabrikam, namespace: other}", 1)
	json := `{"apiVersion": "uc.ucdeploy.io/v1alpha1", "kind": "UCDeployment", "metadata": {"name": "f"}, ` +
		`"spec": {"exchange": {"externalFQDN": "mail.fabrikam.com", "smtpDomains": ["fabrikam.com"]}}}`
	for _, input := range []string{two, json} {
		if _, err := Decode("in.yaml", []byte(input)); err != nil {
			t.Errorf("refused: %v", err)
		}
	}
}

// withPKCS12 returns validYAML with spec.certificates.pkcs12 set to the YAML flow value p.
func withPKCS12(t testing.TB, p string) string {
	t.Helper()
	return mutate(t, "    internalIssuerRef: {name: corp-ca}\n", "    internalIssuerRef: {name: corp-ca}\n    pkcs12: "+p+"\n")
}

// withCAA returns validYAML with spec.dns.caa naming Let's Encrypt and the accountURI given as
// a YAML double-quoted scalar.
func withCAA(t testing.TB, accountURI string) string {
	t.Helper()
	return mutate(t, "    internalIssuerRef: {name: corp-ca}\n", "    internalIssuerRef: {name: corp-ca}\n  dns:\n    caa: {issuer: letsencrypt.org, accountURI: "+accountURI+"}\n")
}

// TestAcceptsWhatKubectlAccepts (issue 29, item 14): UTF-16 with a byte-order mark (what Windows
// PowerShell 5.1 writes with ">"), in either byte order, and a kind: List of UCDeployments (what
// `kubectl get -o yaml` writes) decode like the UTF-8 documents they hold; a List item's problem
// names the item.
func TestAcceptsWhatKubectlAccepts(t *testing.T) {
	for name, order := range map[string]unicode.Endianness{"UTF-16LE": unicode.LittleEndian, "UTF-16BE": unicode.BigEndian} {
		input, err := unicode.UTF16(order, unicode.UseBOM).NewEncoder().String(validYAML)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := Decode("in.yaml", []byte(input))
		if err != nil || len(objs) != 1 || objs[0].Name != "contoso" {
			t.Errorf("%s: %d objects, %v; want contoso", name, len(objs), err)
		}
	}
	list := "apiVersion: v1\nkind: List\nitems:\n" + indentItem(exchangeOnlyYAML) +
		indentItem(strings.Replace(exchangeOnlyYAML, "{name: fabrikam}", "{name: tailspin}", 1))
	objs, err := Decode("in.yaml", []byte(list))
	if err != nil || len(objs) != 2 || objs[0].Name != "fabrikam" || objs[1].Name != "tailspin" {
		t.Errorf("kind: List: %d objects, %v; want fabrikam and tailspin", len(objs), err)
	}
	bad := "apiVersion: v1\nkind: List\nitems:\n" + indentItem(exchangeOnlyYAML) +
		indentItem(strings.Replace(exchangeOnlyYAML, "{name: fabrikam}", "{name: Tailspin}", 1))
	if _, err := Decode("in.yaml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "in.yaml document 1 item 2 (UCDeployment Tailspin): metadata.name") {
		t.Errorf("a bad List item: %v; want it named as document 1 item 2", err)
	}
}

// indentItem turns a YAML document into an item of a YAML list under "items:".
func indentItem(doc string) string {
	lines := strings.Split(strings.TrimSuffix(doc, "\n"), "\n")
	for i, l := range lines {
		prefix := "    "
		if i == 0 {
			prefix = "  - "
		}
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// TestMessagesForPeople (issue 29, item 15): type errors show the offending value and say what was
// expected in words, an unquoted YAML 1.1 boolean is named, and bytes that are not UTF-8 or NUL
// are named by their offset; duplicate JSON keys are named.
func TestMessagesForPeople(t *testing.T) {
	poolNameEnd := strings.Index(validYAML, "poolFQDN: pool01") + len("poolFQDN: pool01")
	for name, tc := range map[string]struct {
		input, want string
	}{
		"a number for text": {mutate(t, "    internalIssuerRef: {name: corp-ca}\n", "    internalIssuerRef: {name: corp-ca}\n    pkcs12: {passwordSecretRef: {name: p, key: k}, oldestWindows: 2016}\n"),
			`spec.certificates.pkcs12.oldestWindows: Invalid value: 2016: a number where text was expected (quote it: "2016")`},
		"text for a number": {mutate(t, "    internalIssuerRef: {name: corp-ca}\n", "    internalIssuerRef: {name: corp-ca}\n  dns: {ttl: banana}\n"),
			`spec.dns.ttl: Invalid value: "banana": text where a whole number was expected`},
		"YAML 1.1 boolean": {mutate(t, "netbiosName: EX01", "netbiosName: no"),
			`spec.exchange.servers[0].netbiosName: Invalid value: false: a boolean where text was expected (YAML 1.1 reads unquoted yes, no, on, off`},
		"invalid UTF-8": {mutate(t, "poolFQDN: pool01.contoso.com", "poolFQDN: pool01\xff.contoso.com"), fmt.Sprintf("invalid UTF-8 at byte %d of the document (byte 0xff)", poolNameEnd)},
		"NUL":           {mutate(t, "poolFQDN: pool01.contoso.com", "poolFQDN: pool01\x00.contoso.com"), fmt.Sprintf("a NUL byte at byte %d of the document", poolNameEnd)},
		"duplicate JSON key": {`{"apiVersion": "uc.ucdeploy.io/v1alpha1", "kind": "UCDeployment", "kind": "UCDeployment", "metadata": {"name": "f"}}`,
			`key "kind" already set in map`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Decode("in.yaml", []byte(tc.input))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}
