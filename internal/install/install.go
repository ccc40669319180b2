// Package install turns planned certificates into what the Windows servers need: which servers
// receive which certificate (install.json) and, per certificate, one PowerShell script that
// imports the PFX with the product's own cmdlet and binds it (DOMAIN-CURRENT.md §4.2, R-K8S-03).
// It is pure: no clock, no client, byte-stable output. It never sees a password or a key: the
// scripts take the PFX path and prompt for its password.
//
// The design is a table: each planned role maps to the targets its certificate is installed on
// (targets), and each target names a product whose steps (products) import and bind. Later
// products (Lync, Skype for Business, Office Online Server) are new rows of the same tables.
package install

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// Product names the software that imports and binds a certificate; each has its own steps.
type Product string

// Products the scripts know.
const (
	// OCS2007R2 is Office Communications Server 2007 R2 (Front End, Director, Edge, CWA). It has no
	// PowerShell cmdlet to assign a certificate: the script imports and prints the assignment step.
	OCS2007R2 Product = "OCS2007R2"
	// Exchange2007 is Exchange Server 2007 (Import-ExchangeCertificate -Path).
	Exchange2007 Product = "Exchange2007"
	// Exchange2010 is Exchange Server 2010 (Import-ExchangeCertificate -FileData).
	Exchange2010 Product = "Exchange2010"
	// SkypeForBusiness is Lync Server 2010/2013 or Skype for Business Server 2015/2019/SE: imported
	// into the machine store, bound with Set-CsCertificate -Type (DOMAIN-CURRENT.md §1.3, R-SFB-03).
	SkypeForBusiness Product = "SkypeForBusiness"
	// OfficeOnlineServer is an Office Web Apps / Office Online Server farm: imported with a unique
	// friendly name that Set-OfficeWebAppsFarm -CertificateName selects; never bound by hand.
	OfficeOnlineServer Product = "OfficeOnlineServer"
	// ReverseProxy is the reverse proxy that publishes the OCS web farm and CWA (ISA Server 2006 or
	// Forefront TMG in this era): imported into the machine store, selected on the web listener.
	ReverseProxy Product = "ReverseProxy"
)

// JSONKey is the key of install.json in the install ConfigMap.
const JSONKey = "install.json"

// Deployment is what install.json holds: every certificate of one deployment and where it goes.
type Deployment struct {
	// Deployment is the UCDeployment's name.
	Deployment string `json:"deployment"`
	// Certificates are in plan order (sorted by name).
	Certificates []Certificate `json:"certificates"`
}

// Certificate is one planned certificate and the servers that receive it.
type Certificate struct {
	// Name is the cert-manager Certificate's name.
	Name string `json:"certificate"`
	// Role is the planned role (pool, edge-internal, unified, ...).
	Role string `json:"role"`
	// CommonName is the subject CN.
	CommonName string `json:"commonName"`
	// SecretName is the Secret cert-manager writes (tls.crt, tls.key, ca.crt, keystore.p12).
	SecretName string `json:"secretName"`
	// PFX is the file name `ucdeploy export` writes the PFX to, and the script's default -PfxPath.
	PFX string `json:"pfx"`
	// Script is the script's key in the install ConfigMap and its file name: <role>.ps1.
	Script string `json:"script"`
	// Targets are where the certificate is installed: one -Target value of the script each.
	Targets []Target `json:"targets"`
	// FriendlyNamePrefix is <deployment>-<role>: the script names the imported certificate
	// <FriendlyNamePrefix>-r<revision> (R-K8S-06, FriendlyName).
	FriendlyNamePrefix string `json:"friendlyNamePrefix"`
	// Revision is cert-manager's revision of the certificate the PFX holds, when the writer of the
	// script knows it (`ucdeploy export` reads it from the UCDeployment's status); the script's
	// -Revision then defaults to it. Nil in the install ConfigMap: a script there serves every
	// revision, and -Revision is mandatory.
	Revision *int32 `json:"revision,omitempty"`
}

// friendlyNameMax is the longest friendly name Import-ExchangeCertificate -FriendlyName takes
// (DOMAIN-CURRENT.md §4.2); ucdeploy keeps every product within it.
const friendlyNameMax = 64

// revisionSuffixMax is the longest "-r<revision>" suffix: "-r" and the ten digits of MaxInt32.
const revisionSuffixMax = 12

// FriendlyName returns the friendly name the install script gives a certificate of role in
// deployment, without its "-r<revision>" suffix (R-K8S-06): cert-manager's PKCS#12 alias is
// "1", and Skype for Business and Office Online Server select certificates by friendly name. A
// long deployment name is cut so that the whole name with any revision fits in 64 characters;
// the role and the revision are never cut.
func FriendlyName(deployment, role string) string {
	room := friendlyNameMax - revisionSuffixMax - len(role) - 1
	if room < 1 {
		room = 1
	}
	if len(deployment) > room {
		deployment = strings.TrimRight(deployment[:room], "-.")
	}
	return deployment + "-" + role
}

// Target is one place a certificate is installed: a product on a set of servers.
type Target struct {
	// Name is the script's -Target value.
	Name string `json:"target"`
	// Product imports and binds the certificate there.
	Product Product `json:"product"`
	// Servers are the FQDNs to run the script on, from the spec.
	Servers []string `json:"servers"`
	// Note says what the server list cannot: a name that is a published name, not a computer, or
	// a list the spec leaves empty.
	Note string `json:"note,omitempty"`
	// Services are what the certificate is bound to there: Exchange -Services values, or
	// Set-CsCertificate -Type values.
	Services []string `json:"services,omitempty"`
}

// ScriptName is the install ConfigMap key and file name of a role's script.
func ScriptName(role string) string {
	return role + ".ps1"
}

// PFXName is the file name `ucdeploy export` gives a certificate's PFX.
func PFXName(certificate string) string {
	return certificate + ".pfx"
}

// Plan returns where each certificate of p goes, from the spec that p was computed from. A
// certificate whose role the tables do not know gets no target (and its script says so).
func Plan(deployment string, spec *v1alpha1.UCDeploymentSpec, p plan.Plan) Deployment {
	d := Deployment{Deployment: deployment, Certificates: make([]Certificate, 0, len(p.Certificates))}
	for _, c := range p.Certificates {
		ic := Certificate{
			Name: c.Name, Role: c.Role, CommonName: c.CommonName, SecretName: c.SecretName,
			PFX: PFXName(c.Name), Script: ScriptName(c.Role), Targets: []Target{},
			FriendlyNamePrefix: FriendlyName(deployment, c.Role),
		}
		for _, t := range targets[c.Role] {
			if t.present(spec) {
				ic.Targets = append(ic.Targets, t.target(spec, c))
			}
		}
		d.Certificates = append(d.Certificates, ic)
	}
	return d
}

// Find returns the certificate of role r, if d has one.
func (d Deployment) Find(role string) (Certificate, bool) {
	i := slices.IndexFunc(d.Certificates, func(c Certificate) bool { return c.Role == role })
	if i < 0 {
		return Certificate{}, false
	}
	return d.Certificates[i], true
}

// JSON returns d as indented JSON with a trailing newline.
func (d Deployment) JSON() string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		// Unreachable: a Deployment holds only strings and slices of them.
		panic(fmt.Errorf("install: encode install.json: %w", err))
	}
	return b.String()
}

// WithRevisions returns d with each certificate's Revision from statuses (matched by name), for a
// script written for the PFX of that revision.
func (d Deployment) WithRevisions(statuses []v1alpha1.CertificateStatus) Deployment {
	out := d
	out.Certificates = slices.Clone(d.Certificates)
	for i, c := range out.Certificates {
		j := slices.IndexFunc(statuses, func(s v1alpha1.CertificateStatus) bool { return s.Name == c.Name })
		if j >= 0 && statuses[j].Revision != nil {
			r := *statuses[j].Revision
			out.Certificates[i].Revision = &r
		}
	}
	return out
}

// Servers lists every server of c's targets, in target order without repeats.
func (c Certificate) Servers() []string {
	var out []string
	for _, t := range c.Targets {
		for _, s := range t.Servers {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}
