package lab

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The lab's ACME CA: Pebble, Let's Encrypt's test ACME server, built from its Go module by
// hack/pebble/build.sh and run as a child process on loopback. Its validation authority really
// validates (no PEBBLE_VA_ALWAYS_VALID) and resolves through the lab's external DNS view, so a
// DNS-01 challenge passes only when the TXT record is really published there.

const (
	// pebbleStartTimeout bounds the wait for Pebble's management interface to serve its root.
	pebbleStartTimeout = 30 * time.Second
	// pebbleStopTimeout is how long Pebble gets to exit after SIGTERM before SIGKILL.
	pebbleStopTimeout = 5 * time.Second
	// PebbleCAAIdentity is the CAA issuer domain Pebble announces in its directory (meta
	// caaIdentities). Pebble itself never checks CAA records; see docs/lab.md.
	PebbleCAAIdentity = "pebble.letsencrypt.org"
)

// pebble is the running ACME CA.
type pebble struct {
	// directory is the ACME directory URL.
	directory string
	// tlsCA is the PEM of the CA that signed Pebble's serving certificate: the ACME issuer's
	// caBundle.
	tlsCA []byte
	// root is Pebble's root CA (management endpoint /roots/0): the trust anchor of what it issues.
	root *x509.Certificate
	// management is the base URL of Pebble's management interface.
	management string
}

// pebbleConfig is the part of Pebble's JSON configuration the lab sets.
type pebbleConfig struct {
	Pebble struct {
		ListenAddress           string                   `json:"listenAddress"`
		ManagementListenAddress string                   `json:"managementListenAddress"`
		Certificate             string                   `json:"certificate"`
		PrivateKey              string                   `json:"privateKey"`
		HTTPPort                int                      `json:"httpPort"`
		TLSPort                 int                      `json:"tlsPort"`
		KeyAlgorithm            string                   `json:"keyAlgorithm"`
		CAAIdentities           []string                 `json:"caaIdentities"`
		Profiles                map[string]pebbleProfile `json:"profiles"`
	} `json:"pebble"`
}

// pebbleProfile is one of Pebble's certificate profiles.
type pebbleProfile struct {
	Description       string `json:"description"`
	ValidityPeriod    uint64 `json:"validityPeriod"` // seconds
	PromoteCommonName bool   `json:"promoteCommonName"`
}

// startPebble builds (once, cached) and starts Pebble on two free loopback ports with a serving
// certificate from a throw-away CA, resolving through dnsServer (host:port), and waits until its
// management interface serves its root CA.
func (l *Lab) startPebble(ctx context.Context, dnsServer string) (*pebble, error) {
	bin, err := pebbleBinary(l.Root)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(l.Dir, "pebble")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the Pebble directory: %w", err)
	}
	tlsCA, err := writeServingCertificate(dir)
	if err != nil {
		return nil, err
	}
	ports, err := freeLoopbackPorts(2)
	if err != nil {
		return nil, err
	}
	var cfg pebbleConfig
	c := &cfg.Pebble
	c.ListenAddress, c.ManagementListenAddress = ports[0], ports[1]
	c.Certificate, c.PrivateKey = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	// The ports the validation authority would connect to for HTTP-01 and TLS-ALPN-01; the lab
	// only solves DNS-01, so nothing listens there.
	c.HTTPPort, c.TLSPort = 5002, 5001
	c.KeyAlgorithm = "ecdsa"
	c.CAAIdentities = []string{PebbleCAAIdentity}
	// Let's Encrypt's classic profile (DOMAIN-CURRENT.md §3): 90 days, with a subject CN. Pebble
	// sorts the names and promotes the first to the CN.
	c.Profiles = map[string]pebbleProfile{ACMEProfile: {
		Description: "90 days and a CN, like Let's Encrypt's classic profile", ValidityPeriod: 90 * 24 * 3600, PromoteCommonName: true,
	}}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the Pebble configuration: %w", err)
	}
	cfgPath := filepath.Join(dir, "pebble-config.json")
	if err := os.WriteFile(cfgPath, data, 0o600); err != nil {
		return nil, fmt.Errorf("writing the Pebble configuration: %w", err)
	}

	start := time.Now()
	env := []string{
		"PEBBLE_VA_NOSLEEP=1",      // no random 0-15 s pause before each validation
		"PEBBLE_WFE_NONCEREJECT=0", // no deliberately rejected nonces: each retry costs a round trip
		"PEBBLE_VA_ALWAYS_VALID=",  // validation stays on, whatever the caller's environment says
		"PEBBLE_AUTHZREUSE=0",      // every order is validated again, never waved through
	}
	proc, err := l.startChild("pebble", filepath.Join(l.Dir, "pebble.log"), env, pebbleStopTimeout,
		bin, "-config", cfgPath, "-dnsserver", dnsServer)
	if err != nil {
		return nil, err
	}
	p := &pebble{directory: "https://" + c.ListenAddress + "/dir", tlsCA: tlsCA, management: "https://" + c.ManagementListenAddress}
	var lastErr error
	err = proc.waitUntil(ctx, pebbleStartTimeout, "serving its root CA", func() bool {
		p.root, lastErr = p.fetch(ctx, "/roots/0")
		return lastErr == nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w (last error: %v)", err, lastErr)
	}
	l.opts.Log("pebble: ACME directory %s, root %q, up in %s", p.directory, p.root.Subject.CommonName, time.Since(start).Round(time.Millisecond))
	return p, nil
}

// pebbleBinary runs hack/pebble/build.sh, which builds Pebble once into the binary cache, and
// returns the binary's path (the script's last line).
func pebbleBinary(root string) (string, error) {
	cmd := exec.Command("bash", filepath.Join(root, "hack", "pebble", "build.sh"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("building Pebble (hack/pebble/build.sh): %w\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1], nil
}

// fetch reads a CA certificate from Pebble's management interface: /roots/0 is its root,
// /intermediates/0 the intermediate that signs what it issues. Pebble makes new ones every time
// it starts.
func (p *pebble) fetch(ctx context.Context, path string) (*x509.Certificate, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(p.tlsCA) {
		return nil, errors.New("the Pebble serving CA is not PEM")
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.management+path, nil)
	if err != nil {
		return nil, fmt.Errorf("requesting Pebble's %s: %w", path, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("requesting Pebble's %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("reading Pebble's %s: status %d, %v", path, resp.StatusCode, err)
	}
	block, _ := pem.Decode(body)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("the answer of Pebble's %s is not a PEM certificate", path)
	}
	root, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing Pebble's %s: %w", path, err)
	}
	return root, nil
}

// writeServingCertificate writes tls.crt and tls.key for Pebble into dir, a certificate for
// 127.0.0.1 and localhost signed by a new CA, and returns that CA's PEM.
func writeServingCertificate(dir string) ([]byte, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the Pebble serving CA key: %w", err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "UC Lab Pebble serving CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("creating the Pebble serving CA: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the Pebble serving key: %w", err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "pebble"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caTmpl, &key.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("creating the Pebble serving certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding the Pebble serving key: %w", err)
	}
	files := map[string][]byte{
		"tls.crt": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}),
		"tls.key": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, fmt.Errorf("writing Pebble's %s: %w", name, err)
		}
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), nil
}

// freeLoopbackPorts returns n distinct 127.0.0.1:port addresses nothing listened on a moment ago,
// for servers that take a fixed address in their configuration.
func freeLoopbackPorts(n int) ([]string, error) {
	var addrs []string
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		lns = append(lns, ln)
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs, nil
}
