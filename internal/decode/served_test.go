package decode

import (
	"fmt"
	"strings"
	"testing"
)

// servedDoc is a valid deployment whose spec.certificates.verifyServed is block.
func servedDoc(block string) string {
	return `apiVersion: uc.ucdeploy.io/v1alpha1
kind: UCDeployment
metadata: {name: x}
spec:
  exchange:
    version: "2019"
    smtpDomains: [contoso.com]
    externalFQDN: mail.contoso.com
    externalIP: 131.107.155.50
    internalIP: 10.0.0.20
  certificates:
    publicIssuerRef: {name: public-ca}
    internalIssuerRef: {name: corp-ca}
    verifyServed:
` + block
}

// TestVerifyServedRefusesBadInput (issue 24, "Done means"): the API's rules, which the CLI
// applies through the same CRD, refuse a host name, port 0 and 65536, an interval of 1s, an
// unknown role and more than 64 endpoints, each naming the field; a valid block passes and the
// interval defaults to 15m.
func TestVerifyServedRefusesBadInput(t *testing.T) {
	objs, err := Decode("ok.yaml", []byte(servedDoc("      endpoints: [{role: exchange, address: \"127.0.0.1:8443\", serverName: mail.contoso.com}]\n")))
	if err != nil {
		t.Fatalf("a valid block: %v", err)
	}
	if got := objs[0].Spec.Certificates.VerifyServed.Interval.Duration.String(); got != "15m0s" {
		t.Errorf("interval defaults to %s, want 15m", got)
	}
	many := "      endpoints:\n"
	for i := range 65 {
		many += fmt.Sprintf("        - {role: exchange, address: \"10.0.0.%d:443\"}\n", i+1)
	}
	for _, tc := range []struct{ name, block, want string }{
		{"host name", "      endpoints: [{role: exchange, address: \"mail.contoso.com:443\"}]\n", "spec.certificates.verifyServed.endpoints[0].address: Invalid value: \"mail.contoso.com:443\": must be an IP address and a port"},
		{"port 0", "      endpoints: [{role: exchange, address: \"10.0.0.20:0\"}]\n", "endpoints[0].address: Invalid value: \"10.0.0.20:0\": must be an IP address and a port from 1 to 65535"},
		{"port 65536", "      endpoints: [{role: exchange, address: \"10.0.0.20:65536\"}]\n", "endpoints[0].address: Invalid value: \"10.0.0.20:65536\""},
		{"interval 1s", "      interval: 1s\n", "spec.certificates.verifyServed.interval: Invalid value: \"1s\": must be a duration between 1m and 24h"},
		{"unknown role", "      endpoints: [{role: edge, address: \"10.0.0.20:443\"}]\n", "spec.certificates.verifyServed.endpoints[0].role: Unsupported value: \"edge\""},
		{"oauth", "      endpoints: [{role: oauth, address: \"10.0.0.20:443\"}]\n", "endpoints[0].role: Unsupported value: \"oauth\""},
		{"more than 64", many, "spec.certificates.verifyServed.endpoints: Too many: 65: must have at most 64 items"},
		{"unspecified", "      endpoints: [{role: exchange, address: \"0.0.0.0:443\"}]\n", "must not be an unspecified address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.name+".yaml", []byte(servedDoc(tc.block)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}
