package named

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"

	"github.com/miekg/dns"
)

// Algorithm is the TSIG algorithm of every key of the package, as named.conf spells it; cert-manager's
// RFC 2136 solver calls it HMACSHA256 and miekg/dns dns.HmacSHA256.
const Algorithm = "hmac-sha256"

// TSIGKey is a shared secret for TSIG (RFC 8945) with Algorithm.
type TSIGKey struct {
	// Name is the key's name, a domain name ("acme-update.").
	Name string
	// Secret is the key, base64-encoded.
	Secret string
}

// GenerateTSIGKey returns a key named name with a new random 256-bit secret.
func GenerateTSIGKey(name string) (TSIGKey, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return TSIGKey{}, fmt.Errorf("generating TSIG key %s: %w", name, err)
	}
	return TSIGKey{Name: dns.Fqdn(name), Secret: base64.StdEncoding.EncodeToString(b)}, nil
}

// Secrets returns the key as the TsigSecret map of a dns.Client.
func (k TSIGKey) Secrets() map[string]string {
	return map[string]string{dns.Fqdn(k.Name): k.Secret}
}

// validate checks the key's name and secret.
func (k TSIGKey) validate() error {
	if _, ok := dns.IsDomainName(k.Name); !ok || k.Name == "" || strings.ContainsAny(k.Name, "\"; ") {
		return fmt.Errorf("key name %q is not a domain name", k.Name)
	}
	if _, err := base64.StdEncoding.DecodeString(k.Secret); err != nil || k.Secret == "" {
		return fmt.Errorf("key %s: secret is not base64", k.Name)
	}
	return nil
}

// validateZones checks that zones have distinct names that are domain names safe as file names.
func validateZones(zones []Zone) error {
	seen := map[string]bool{}
	for _, z := range zones {
		name := canonical(z.Name)
		if _, ok := dns.IsDomainName(name); !ok || name == "." || strings.ContainsAny(name, "/\\\"; ") {
			return fmt.Errorf("zone name %q is not a domain name", z.Name)
		}
		if seen[name] {
			return fmt.Errorf("zone %s is given twice", name)
		}
		seen[name] = true
	}
	return nil
}

// canonical returns a zone name in lower case with the final dot.
func canonical(name string) string { return dns.Fqdn(strings.ToLower(name)) }

// freePort returns a port that is free for TCP and UDP on every one of addrs.
func freePort(addrs ...string) (int, error) {
	var errs []error
	for range 20 {
		ln, err := net.Listen("tcp", net.JoinHostPort(addrs[0], "0"))
		if err != nil {
			return 0, fmt.Errorf("finding a free port: %w", err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		err = probePort(port, addrs)
		errs = append(errs, err, ln.Close())
		if err == nil {
			return port, nil
		}
	}
	return 0, fmt.Errorf("finding a free port on %v: %w", addrs, errors.Join(errs...))
}

// probePort binds port on addrs (UDP on all, TCP on all but the first, which the caller holds)
// and releases it again; it fails if any bind fails.
func probePort(port int, addrs []string) error {
	var closers []func() error
	defer func() {
		for _, c := range closers {
			_ = c()
		}
	}()
	for i, a := range addrs {
		hp := net.JoinHostPort(a, strconv.Itoa(port))
		pc, err := net.ListenPacket("udp", hp)
		if err != nil {
			return fmt.Errorf("probing udp %s: %w", hp, err)
		}
		closers = append(closers, pc.Close)
		if i == 0 {
			continue
		}
		ln, err := net.Listen("tcp", hp)
		if err != nil {
			return fmt.Errorf("probing tcp %s: %w", hp, err)
		}
		closers = append(closers, ln.Close)
	}
	return nil
}

// confTemplate is named.conf. Every path is absolute below the server's directory.
var confTemplate = template.Must(template.New("named.conf").Parse(`// Written by ucdeploy's internal/lab/named; rewritten on every change of zones.
options {
	directory "{{.Dir}}";
	pid-file none;
	session-keyfile none;
	listen-on port {{.Port}} { {{.InternalAddress}}; };
	listen-on-v6 port {{.Port}} { {{.ExternalAddress}}; };
	recursion no;
	notify no;
	dnssec-validation no;
	allow-transfer { 127.0.0.1; ::1; };
};
logging {
	channel file { file "{{.Dir}}/named.log" versions 2 size 20m; severity info; print-time yes; print-category yes; print-severity yes; };
	category default { file; };
	category lame-servers { null; };
};
key "{{.RNDCKey.Name}}" { algorithm {{.Algorithm}}; secret "{{.RNDCKey.Secret}}"; };
controls { inet {{.InternalAddress}} port {{.ControlPort}} allow { {{.InternalAddress}}; } keys { "{{.RNDCKey.Name}}"; }; };
{{- with .Update}}
key "{{.Key.Name}}" { algorithm {{$.Algorithm}}; secret "{{.Key.Secret}}"; };
{{- end}}
{{range .Views}}
view "{{.Name}}" {
	match-clients { any; };
	match-destinations { {{.Address}}; };
	recursion no;
{{- range .Zones}}
	zone "{{.Name}}" { type primary; file "{{.File}}";{{with .UpdateKey}} allow-update { key "{{.}}"; };{{end}} };
{{- end}}
};
{{end}}`))

// confView and confZone are the data of confTemplate for a view and a zone.
type (
	confView struct {
		Name, Address string
		Zones         []confZone
	}
	confZone struct{ Name, File, UpdateKey string }
)

// configPath returns the path of named.conf.
func (s *Server) configPath() string { return filepath.Join(s.dir, "named.conf") }

// zonePath returns the path of the file of zone name in view v.
func (s *Server) zonePath(v View, name string) string {
	return filepath.Join(s.dir, string(v), strings.TrimSuffix(name, ".")+".zone")
}

// writeConfig writes named.conf and rndc.conf for the current zones.
func (s *Server) writeConfig() error {
	var views []confView
	for _, v := range Views {
		cv := confView{Name: string(v), Address: v.address()}
		for _, z := range s.zones[v] {
			cz := confZone{Name: z.name, File: s.zonePath(v, z.name)}
			if s.dynamic(v) {
				cz.UpdateKey = s.update.Key.Name
			}
			cv.Zones = append(cv.Zones, cz)
		}
		views = append(views, cv)
	}
	var b strings.Builder
	err := confTemplate.Execute(&b, map[string]any{
		"Dir": s.dir, "Port": s.port, "ControlPort": s.ctlPort, "InternalAddress": InternalAddress,
		"ExternalAddress": ExternalAddress, "RNDCKey": s.rndcKey, "Algorithm": Algorithm,
		"Update": s.update, "Views": views,
	})
	if err != nil {
		return fmt.Errorf("rendering named.conf: %w", err)
	}
	rndc := fmt.Sprintf("key %q { algorithm %s; secret %q; };\noptions { default-key %q; default-server %s; default-port %d; };\n",
		s.rndcKey.Name, Algorithm, s.rndcKey.Secret, s.rndcKey.Name, InternalAddress, s.ctlPort)
	if err := os.WriteFile(s.configPath(), []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("writing named.conf: %w", err)
	}
	if err := os.WriteFile(s.rndcPath(), []byte(rndc), 0o600); err != nil {
		return fmt.Errorf("writing rndc.conf: %w", err)
	}
	return nil
}

// rndcPath returns the path of rndc.conf.
func (s *Server) rndcPath() string { return filepath.Join(s.dir, "rndc.conf") }

// dynamic reports whether the zones of view v accept dynamic updates.
func (s *Server) dynamic(v View) bool { return s.update != nil && s.update.View == v }
