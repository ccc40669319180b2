package cli

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func runImport(stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Import(args, stdin, &out, &errb)
	return code, out.String(), errb.String()
}

const topologies = "../importer/topology/testdata/"

// TestImportTopologyCommand: the import prints YAML that the plan command accepts, warnings on
// stderr, and --simple-url, --cms and the issuers land in the spec.
func TestImportTopologyCommand(t *testing.T) {
	code, out, errOut := runImport(nil, "sfb-topology", "-f", topologies+"enterprise-2015.xml", "--internal-web-fqdn", "webint.fabrikam.com",
		"--simple-url", "meet=https://meet.fabrikam.com/", "--simple-url", "dialin=https://dialin.fabrikam.com", "--public-issuer", "public-ca", "--internal-issuer", "corp-ca", "-n", "uc")
	if code != ExitOK || !strings.Contains(out, "dialin: dialin.fabrikam.com") || !strings.Contains(out, "name: public-ca") || !strings.Contains(out, "namespace: uc") {
		t.Fatalf("exit %d, stderr %s\n%s", code, errOut, out)
	}
	if !strings.Contains(errOut, "ucdeploy import sfb-topology: warning: Services/Service RoleName=MediationServer") {
		t.Errorf("no warning on stderr: %s", errOut)
	}
	var planOut, planErr bytes.Buffer
	if code := Plan([]string{"-f", "-", "-o", "json"}, strings.NewReader(out), &planOut, &planErr); code != ExitOK {
		t.Errorf("plan of the import: exit %d: %s", code, planErr.String())
	}
	cms := `{"Identity":"Global","SimpleUrl":[{"Component":"Meet","Domain":"fabrikam.com","ActiveUrl":"https://meet.fabrikam.com"},{"Component":"Dialin","Domain":"*","ActiveUrl":"https://dialin.fabrikam.com"}]}`
	code, out, errOut = runImport(strings.NewReader(cms), "sfb-topology", "-f", topologies+"standard-2019.xml", "--cms", "-")
	if code != ExitOK || !strings.Contains(out, "- meet.fabrikam.com") || !strings.Contains(errOut, "no --public-issuer") {
		t.Errorf("--cms: exit %d, stderr %s\n%s", code, errOut, out)
	}
}

// repeat is an endless reader of one byte, so that a 50 MB input costs no 50 MB in the test.
type repeat byte

func (r repeat) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// TestImportTopologyRefuses: each bad input is refused with exit 2 and a message that says what
// was expected or what was wrong, and nothing on stdout.
func TestImportTopologyRefuses(t *testing.T) {
	const head = `<Topology xmlns="urn:schema:Microsoft.Rtc.Management.Deploy.Topology.2008"><InternalDomains DefaultDomain="contoso.com"><InternalDomain Name="contoso.com"/></InternalDomains>`
	noExternal := head + `<Clusters><Cluster Fqdn="fe.contoso.com"><ClusterId SiteId="1" Number="1"/><Machine Fqdn="fe.contoso.com"/></Cluster><Cluster Fqdn="edge.contoso.com"><ClusterId SiteId="1" Number="2"/><Machine Fqdn="edge.contoso.com"/></Cluster></Clusters>
<Services><Service ServiceVersion="8"><ServiceId RoleName="UserServices"/><InstalledOn><ClusterId SiteId="1" Number="1"/></InstalledOn></Service>
<Service ServiceVersion="8"><ServiceId RoleName="Registrar"/><InstalledOn><ClusterId SiteId="1" Number="1"/></InstalledOn></Service>
<Service ServiceVersion="8"><ServiceId RoleName="EdgeServer"/><InstalledOn><ClusterId SiteId="1" Number="2"/></InstalledOn><Ports><Port Owner="urn:component:AccessEdge" InterfaceSide="Internal" InterfaceNumber="1" Port="5061"/></Ports></Service></Services></Topology>`
	cases := map[string]struct {
		in   io.Reader
		want string
	}{
		"not xml":         {strings.NewReader("Identity : Global\r\n"), "no XML element"},
		"another kind":    {strings.NewReader(`<?xml version="1.0"?><Project xmlns="http://schemas.microsoft.com/developer/msbuild/2003"/>`), "expected a Lync/Skype for Business topology"},
		"no pool":         {strings.NewReader(head + `<Clusters/><Services/></Topology>`), "no Front End pool"},
		"edge no ext":     {strings.NewReader(noExternal), "has no external settings"},
		"50 MB":           {io.MultiReader(strings.NewReader(head+"<!-- "), io.LimitReader(repeat('x'), 50<<20)), "input too large"},
		"billion laughs":  {strings.NewReader(`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]><Topology xmlns="urn:schema:Microsoft.Rtc.Management.Deploy.Topology.2008">&lol2;</Topology>`), "document type declarations are refused"},
		"external entity": {strings.NewReader(`<?xml version="1.0"?><!DOCTYPE Topology [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Topology xmlns="urn:schema:Microsoft.Rtc.Management.Deploy.Topology.2008"><InternalDomains DefaultDomain="&xxe;"/></Topology>`), "document type declarations are refused"},
		"entity ref":      {strings.NewReader(head + `<Clusters>&xxe;</Clusters></Topology>`), "entity references other than"},
		"no domains":      {strings.NewReader(`<Topology xmlns="urn:schema:Microsoft.Rtc.Management.Deploy.Topology.2008"/>`), "no SIP domain"},
	}
	for name, c := range cases {
		code, out, errOut := runImport(c.in, "sfb-topology", "-f", "-")
		if code != ExitInvalidArgs || out != "" || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, stdout %d bytes, stderr %q; want %q", name, code, len(out), errOut, c.want)
		}
	}
}

// TestImportUsage: a missing kind, an unknown kind, a missing -f and a bad flag value exit 2.
func TestImportUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "name what to import"},
		{[]string{"lync"}, `unknown input "lync"`},
		{[]string{"sfb-topology"}, "-f is required"},
		{[]string{"exchange"}, "-f is required"},
		{[]string{"sfb-topology", "-f", "x", "--ocs-version", "OCS2007R2"}, "OCS 2007 R2 has no topology"},
		{[]string{"sfb-topology", "-f", "x", "--simple-url", "lobby=https://x"}, "want meet=URL"},
	} {
		if code, _, errOut := runImport(nil, c.args...); code != ExitInvalidArgs || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, errOut)
		}
	}
	if code, out, _ := runImport(nil, "--help"); code != ExitOK || !strings.Contains(out, "import exchange -f") {
		t.Errorf("--help: exit %d %q", code, out)
	}
}

// TestImportExchangeCommand: the Exchange import prints a UCDeployment that validates, and a
// topology given to it is refused with what was expected.
func TestImportExchangeCommand(t *testing.T) {
	code, out, errOut := runImport(nil, "exchange", "-f", "../importer/exchange/testdata/inconsistent-2019.json")
	if code != ExitOK || !strings.Contains(out, "externalFQDN: mail.fabrikam.com") || !strings.Contains(errOut, "webmail.fabrikam.com") {
		t.Errorf("exit %d, stderr %s\n%s", code, errOut, out)
	}
	code, out, errOut = runImport(nil, "exchange", "-f", topologies+"standard-2019.xml")
	if code != ExitInvalidArgs || out != "" || !strings.Contains(errOut, "expected the JSON object") {
		t.Errorf("a topology as Exchange JSON: exit %d, stderr %s", code, errOut)
	}
}
