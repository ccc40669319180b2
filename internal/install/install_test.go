package install_test

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/decode"
	"github.com/ucdeploy/ucdeploy/internal/install"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ (read the diff before committing)")

// deployment is one planned deployment of the corpus.
type deployment struct {
	name string
	spec *v1alpha1.UCDeploymentSpec
	plan plan.Plan
}

// corpus is every sample, plus the enterprise sample under the Unified strategy: one public
// certificate for the Edge, the reverse proxy, CWA and Exchange 2010 (the multi-target script).
func corpus(t *testing.T) []deployment {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "config", "samples", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	var out []deployment
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := decode.Decode(f, data)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ds {
			d := &ds[i]
			out = append(out, deployment{d.Name, &d.Spec, plan.Compute(d.Name, &d.Spec)})
			if d.Spec.Certificates.Strategy == v1alpha1.PerRole {
				u := d.Spec.DeepCopy()
				u.Certificates.Strategy = v1alpha1.Unified
				name := d.Name + "-unified"
				out = append(out, deployment{name, u, plan.Compute(name, u)})
			}
		}
	}
	return out
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs; got:\n%s", path, got)
	}
}

// TestGolden compares install.json and every script of every deployment of the corpus with
// testdata/<deployment>/, and checks that a second rendering is byte-identical.
func TestGolden(t *testing.T) {
	for _, d := range corpus(t) {
		ip := install.Plan(d.name, d.spec, d.plan)
		if again := install.Plan(d.name, d.spec, d.plan); again.JSON() != ip.JSON() {
			t.Fatalf("%s: two renderings differ", d.name)
		}
		golden(t, filepath.Join("testdata", d.name, install.JSONKey), ip.JSON())
		for _, c := range ip.Certificates {
			golden(t, filepath.Join("testdata", d.name, c.Script), install.Script(c))
		}
	}
}

// TestEveryRoleHasAPlace: every certificate of the corpus has at least one target, so every
// role the planner produced gets a script that installs it.
func TestEveryRoleHasAPlace(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range corpus(t) {
		for _, c := range install.Plan(d.name, d.spec, d.plan).Certificates {
			seen[c.Role] = true
			if len(c.Targets) == 0 {
				t.Errorf("%s: certificate %s (role %s) has no target", d.name, c.Name, c.Role)
			}
		}
	}
	for _, role := range []string{
		plan.RolePool, plan.RoleDirector, plan.RoleEdgeInternal, plan.RoleAVAuthentication, plan.RoleCWAInternal,
		plan.RoleExchangeInternal, plan.RoleUnified, plan.RoleAccessEdge, plan.RoleWebConferencing,
		plan.RoleReverseProxy, plan.RoleCWA, plan.RoleExchange, plan.RoleEdgeExternal, plan.RoleOAuth, plan.RoleOfficeOnline,
	} {
		if !seen[role] {
			t.Errorf("the corpus has no %s certificate: its script is not covered", role)
		}
	}
}

// TestScriptRules checks each script for the rules of DOMAIN-CURRENT.md §4.2 and the issue:
// parameters, no secret, the product's own import cmdlet, an idempotence guard, the binding step.
func TestScriptRules(t *testing.T) {
	secretish := regexp.MustCompile(`(?i)ConvertTo-SecureString|-AsPlainText|BEGIN (RSA |EC )?PRIVATE KEY`)
	for _, d := range corpus(t) {
		for _, c := range install.Plan(d.name, d.spec, d.plan).Certificates {
			s := install.Script(c)
			must := []string{
				"[string]$PfxPath = ", "[System.Security.SecureString]$Password,",
				"Read-Host -AsSecureString", "$ErrorActionPreference = 'Stop'", c.PFX,
			}
			if secretish.MatchString(s) {
				t.Errorf("%s/%s: holds or builds a secret: %s", d.name, c.Script, secretish.FindString(s))
			}
			if len(c.Targets) > 1 && !strings.Contains(s, "[Parameter(Mandatory = $true)]") {
				t.Errorf("%s/%s: several targets but -Target is optional", d.name, c.Script)
			}
			for _, tg := range c.Targets {
				must = append(must, "'"+tg.Name+"' {")
				switch tg.Product {
				case install.Exchange2007:
					// Exchange 2007 reads a path; R-K8S-04: exportable key.
					must = append(must, "Import-ExchangeCertificate -Path $PfxPath -Password $Password -PrivateKeyExportable $true",
						"Get-ExchangeCertificate -Thumbprint $thumbprint", "Enable-ExchangeCertificate -Thumbprint $cert.Thumbprint -Services", "-Force")
				case install.Exchange2010:
					must = append(must, "Import-ExchangeCertificate -FileData ([Byte[]][System.IO.File]::ReadAllBytes($PfxPath)) -Password $Password -PrivateKeyExportable $true",
						"Get-ExchangeCertificate -Thumbprint $thumbprint", "Enable-ExchangeCertificate -Thumbprint $cert.Thumbprint -Services", "-Force")
				case install.SkypeForBusiness:
					// R-SFB-03: bound by type; R-K8S-04: exportable key.
					must = append(must, "-CertStoreLocation Cert:\\LocalMachine\\My -Password $Password -Exportable",
						"Get-CsCertificate", "Set-CsCertificate", "-Thumbprint $cert.Thumbprint")
				case install.OfficeOnlineServer:
					must = append(must, "-Exportable", "Set-OfficeWebAppsFarm -CertificateName $friendlyName")
				case install.OCS2007R2, install.ReverseProxy:
					must = append(must, "Import-PfxCertificate -FilePath $PfxPath -CertStoreLocation Cert:\\LocalMachine\\My -Password $Password -Exportable",
						`Get-Item -LiteralPath "Cert:\LocalMachine\My\$thumbprint"`)
				default:
					t.Errorf("%s/%s: target %s has unknown product %q", d.name, c.Script, tg.Name, tg.Product)
				}
			}
			for _, m := range must {
				if !strings.Contains(s, m) {
					t.Errorf("%s/%s lacks %q", d.name, c.Script, m)
				}
			}
			for _, tg := range c.Targets {
				if (tg.Product == install.OCS2007R2 || tg.Product == install.ReverseProxy) &&
					!strings.Contains(s, "has no cmdlet that assigns") && !strings.Contains(s, "web listener of the reverse proxy by hand") {
					t.Errorf("%s/%s: %s prints no manual assignment step", d.name, c.Script, tg.Name)
				}
			}
		}
	}
}

// TestServers: install.json names, from the spec, every front end of a pool, every Exchange
// server, the Edge and the reverse proxy.
func TestServers(t *testing.T) {
	for _, d := range corpus(t) {
		ip := install.Plan(d.name, d.spec, d.plan)
		var want []string
		if o := d.spec.OCS; o != nil && (o.Hybrid == nil || o.Hybrid.Mode != v1alpha1.TeamsOnly) {
			if o.Edition == v1alpha1.EnterpriseEdition {
				for _, fe := range o.FrontEnds {
					want = append(want, string(fe.FQDN))
				}
			} else {
				want = append(want, string(o.PoolFQDN))
			}
			if o.Edge != nil {
				want = append(want, string(o.Edge.InternalFQDN))
			}
			if rp := o.ReverseProxy; rp != nil && rp.FQDN != "" {
				want = append(want, string(rp.FQDN))
			} else if rp != nil {
				want = append(want, string(o.ExternalWebFQDN)) // Lync on: the published name
			}
		}
		if x := d.spec.Exchange; x != nil {
			for _, s := range x.Servers {
				want = append(want, string(s.FQDN))
			}
		}
		var have []string
		for _, c := range ip.Certificates {
			have = append(have, c.Servers()...)
		}
		for _, w := range want {
			if !slices.Contains(have, w) {
				t.Errorf("%s: install.json sends no certificate to %s", d.name, w)
			}
		}
	}
}

// TestItem02HybridTransportAcrossRenewals (issue 26 item 2): the script of every certificate that
// carries hybrid mail flow (SMTP) re-sets the Office 365 send connector's and the Default Frontend
// receive connector's TlsCertificateName to the imported certificate and verifies them (R-EX-05),
// checks for DigiCert Global Root G2 (R-EX-10); every Exchange script refuses to bind the Exchange
// Auth certificate (R-EX-11) and checks for the Exchange Management Shell. Without SMTP the
// connectors are left alone.
func TestItem02HybridTransportAcrossRenewals(t *testing.T) {
	var hybrid int
	for _, d := range corpus(t) {
		for _, c := range install.Plan(d.name, d.spec, d.plan).Certificates {
			s := install.Script(c)
			for _, tg := range c.Targets {
				if tg.Product != install.Exchange2007 && tg.Product != install.Exchange2010 {
					continue
				}
				for _, want := range []string{"(Get-AuthConfig).CurrentCertificateThumbprint -eq $cert.Thumbprint", "Get-Command Get-ExchangeCertificate"} {
					if !strings.Contains(s, want) {
						t.Errorf("%s/%s lacks %q", d.name, c.Script, want)
					}
				}
				smtp := slices.Contains(tg.Services, "SMTP")
				if smtp {
					hybrid++
				}
				for _, want := range []string{
					`$tlsName = "<I>$($cert.Issuer)<S>$($cert.Subject)"`,
					"Set-SendConnector -Identity $c.Identity -TlsCertificateName $tlsName",
					"Set-ReceiveConnector -Identity $c.Identity -TlsCertificateName $tlsName",
					"throw \"These connectors do not use $tlsName",
					"CN=DigiCert Global Root G2, OU=www.digicert.com, O=DigiCert Inc, C=US",
				} {
					if strings.Contains(s, want) != smtp {
						t.Errorf("%s/%s (SMTP %v): %q present %v", d.name, c.Script, smtp, want, !smtp)
					}
				}
			}
		}
	}
	if hybrid == 0 {
		t.Fatal("no sample has hybrid mail flow: the test checks nothing")
	}
}

// TestItem12RollAVAndOAuth (issue 26 item 12, S-SFB-ROLL, R-SFB-06): the A/V authentication and
// OAuth certificates are staged with Set-CsCertificate -Roll -EffectiveDate the lead time ahead
// (8 and 24 hours) and the previous certificate is removed once the new one is in effect; other
// types are assigned at once, without -Roll.
func TestItem12RollAVAndOAuth(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range corpus(t) {
		for _, c := range install.Plan(d.name, d.spec, d.plan).Certificates {
			s := install.Script(c)
			for _, tg := range c.Targets {
				if tg.Product != install.SkypeForBusiness {
					continue
				}
				for typ, lead := range map[string]string{"AudioVideoAuthentication": "(Get-Date).AddHours(8)", "OAuthTokenIssuer": "(Get-Date).AddHours(24)"} {
					if !slices.Contains(tg.Services, typ) {
						continue
					}
					seen[typ] = true
					for _, want := range []string{lead, "-Roll -EffectiveDate $effective", "Remove-CsCertificate -Type $type -Previous"} {
						if !strings.Contains(s, want) {
							t.Errorf("%s/%s (%s) lacks %q", d.name, c.Script, typ, want)
						}
					}
				}
				if len(tg.Services) > 0 && !slices.Contains(tg.Services, "AudioVideoAuthentication") && !slices.Contains(tg.Services, "OAuthTokenIssuer") && strings.Contains(s, "-Roll") {
					t.Errorf("%s/%s rolls types that need no roll: %v", d.name, c.Script, tg.Services)
				}
			}
		}
	}
	if !seen["AudioVideoAuthentication"] || !seen["OAuthTokenIssuer"] {
		t.Fatalf("the samples bind no A/V or no OAuth certificate: %v", seen)
	}
}

// TestItem19FriendlyNamePerCertificate (issue 26 item 19, R-K8S-06): cert-manager's PKCS#12 alias
// is "1", so every script names the imported certificate <deployment>-<role>-r<revision> in the
// machine store, on every target, and the Office Online Server farm selects it by that name. The
// install ConfigMap's script asks for -Revision; the one `ucdeploy export` writes defaults to the
// revision of the status (WithRevisions). Names are unique within a deployment.
func TestItem19FriendlyNamePerCertificate(t *testing.T) {
	var oos int
	for _, d := range corpus(t) {
		ip := install.Plan(d.name, d.spec, d.plan)
		names := map[string]string{}
		for _, c := range ip.Certificates {
			s := install.Script(c)
			if c.FriendlyNamePrefix != d.name+"-"+c.Role {
				t.Errorf("%s/%s: friendly name prefix %q, want %q", d.name, c.Script, c.FriendlyNamePrefix, d.name+"-"+c.Role)
			}
			if other, dup := names[c.FriendlyNamePrefix]; dup {
				t.Errorf("%s: %s and %s get the same friendly name %s", d.name, other, c.Name, c.FriendlyNamePrefix)
			}
			names[c.FriendlyNamePrefix] = c.Name
			for _, want := range []string{
				"[Parameter(Mandatory = $true)]\n    [ValidateRange(1, 2147483647)]\n    [int]$Revision,",
				"$friendlyName = '" + d.name + "-" + c.Role + "-r' + $Revision",
			} {
				if !strings.Contains(s, want) {
					t.Errorf("%s/%s lacks %q", d.name, c.Script, want)
				}
			}
			if n := strings.Count(s, "$stored.FriendlyName = $friendlyName"); n != len(c.Targets) {
				t.Errorf("%s/%s names the certificate on %d of %d targets", d.name, c.Script, n, len(c.Targets))
			}
			for _, tg := range c.Targets {
				if tg.Product == install.OfficeOnlineServer {
					oos++
					if !strings.Contains(s, "Set-OfficeWebAppsFarm -CertificateName $friendlyName") {
						t.Errorf("%s/%s: the farm does not select the certificate by its friendly name", d.name, c.Script)
					}
				}
			}
		}
	}
	if oos == 0 {
		t.Fatal("no sample has Office Online Server: the farm step is not covered")
	}
}

// TestItem19RevisionFromStatus: the exported script defaults -Revision to the revision in the
// status, and a certificate without one in the status keeps the mandatory parameter.
func TestItem19RevisionFromStatus(t *testing.T) {
	d := corpus(t)[0]
	ip := install.Plan(d.name, d.spec, d.plan)
	if len(ip.Certificates) < 2 {
		t.Fatalf("%s plans %d certificates, want two or more", d.name, len(ip.Certificates))
	}
	seven := int32(7)
	got := ip.WithRevisions([]v1alpha1.CertificateStatus{{Name: ip.Certificates[0].Name, Revision: &seven}})
	if s := install.Script(got.Certificates[0]); !strings.Contains(s, "[int]$Revision = 7,") || strings.Contains(s, "[int]$Revision,") {
		t.Errorf("revision 7 in the status, the script's parameter is not defaulted to it:\n%s", s)
	}
	if s := install.Script(got.Certificates[1]); !strings.Contains(s, "[int]$Revision,") {
		t.Errorf("no revision in the status, the script's -Revision is not mandatory")
	}
	if ip.Certificates[0].Revision != nil {
		t.Error("WithRevisions changed the deployment it was called on")
	}
}

// TestItem19FriendlyNameFits: a long deployment name is cut so that the friendly name with any
// revision fits in the 64 characters of Import-ExchangeCertificate -FriendlyName; the role stays.
func TestItem19FriendlyNameFits(t *testing.T) {
	long := strings.Repeat("a", 62) + "-b"
	for _, role := range []string{plan.RolePool, plan.RoleExchangeInternal, plan.RoleOfficeOnline} {
		got := install.FriendlyName(long, role)
		if len(got)+len("-r2147483647") > 64 || !strings.HasSuffix(got, "-"+role) {
			t.Errorf("FriendlyName(%d chars, %s) = %q (%d chars)", len(long), role, got, len(got))
		}
	}
	if got := install.FriendlyName("contoso", plan.RolePool); got != "contoso-"+plan.RolePool {
		t.Errorf("a short name is changed: %q", got)
	}
}
