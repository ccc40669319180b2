package decode

import (
	"strings"
	"testing"
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
