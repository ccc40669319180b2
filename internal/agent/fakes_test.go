package agent

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"testing"
	"time"
)

// t0 is the fake clock's start.
var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// fakeClock is a Clock that moves only when told.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	ch <- c.now.Add(d)
	return ch
}

func (c *fakeClock) advance(d time.Duration) { c.now = c.now.Add(d) }

// issue returns a self-signed certificate and key for cn as cert-manager's Secret would hold them.
func issue(t *testing.T, cn string, revision int) Material {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(int64(revision) + 1), Subject: pkix.Name{CommonName: cn},
		NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(90 * 24 * time.Hour), DNSNames: []string{cn},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return Material{
		SecretName: "lab-pool", Revision: revision, Cert: cert,
		Key: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), CA: cert,
	}
}

// thumb is the thumbprint of m's leaf.
func thumb(t *testing.T, m Material) string {
	t.Helper()
	l, err := Leaf(m.Cert)
	if err != nil {
		t.Fatal(err)
	}
	return Thumbprint(l)
}

// fakeSource serves one role's Secret and inputs from fields; secret nil means gone.
type fakeSource struct {
	secret *Material
	inputs Inputs
	creds  *fakeCreds
	// calls records, per call, whether the token was still good for more than a minute.
	calls []bool
	now   func() time.Time
}

func (s *fakeSource) Secret(_ context.Context, role string) (Material, error) {
	if s.creds != nil {
		s.calls = append(s.calls, s.creds.expiry.Sub(s.now()) > time.Minute)
	}
	if s.secret == nil {
		return Material{SecretName: "lab-" + role}, fmt.Errorf("secret lab-%s: %w", role, ErrNotFound)
	}
	return *s.secret, nil
}

func (s *fakeSource) Inputs(context.Context, string) (Inputs, error) { return s.inputs, nil }

// fakeInstaller records what it was asked and fails the steps it is told to.
type fakeInstaller struct {
	installed         []string // FriendlyNames, in call order
	bound             string   // the thumbprint in use
	removed           []string // thumbprints
	failBind          error
	failCheck         error
	failRemove        error
	previousAtInstall []string
	// store is the machine store: thumbprint → FriendlyName, including certificates of others.
	store map[string]string
}

func newFakeInstaller() *fakeInstaller {
	return &fakeInstaller{store: map[string]string{"FOREIGN": "someone else's"}}
}

func (f *fakeInstaller) Install(_ context.Context, c Certificate) error {
	f.installed = append(f.installed, c.FriendlyName)
	f.previousAtInstall = append(f.previousAtInstall, c.Previous)
	f.store[c.Thumbprint] = c.FriendlyName
	return nil
}

func (f *fakeInstaller) Bind(_ context.Context, c Certificate, _ Inputs) ([]byte, error) {
	if f.failBind != nil {
		return nil, f.failBind
	}
	f.bound = c.Thumbprint
	return []byte(c.Thumbprint), nil
}

func (f *fakeInstaller) Check(_ context.Context, c Certificate, _ Inputs, out []byte) ([]string, error) {
	if f.failCheck != nil {
		return nil, f.failCheck
	}
	if string(out) != c.Thumbprint {
		return nil, fmt.Errorf("bound %s, want %s", out, c.Thumbprint)
	}
	return []string{"IIS"}, nil
}

func (f *fakeInstaller) Remove(_ context.Context, i Installed) error {
	if f.failRemove != nil {
		return f.failRemove
	}
	if _, ok := f.store[i.Thumbprint]; !ok {
		return fmt.Errorf("%s is not in the store", i.Thumbprint)
	}
	delete(f.store, i.Thumbprint)
	f.removed = append(f.removed, i.Thumbprint)
	return nil
}

// fakeCreds is a token that expires at expiry; Renew extends it by an hour.
type fakeCreds struct {
	expiry   time.Time
	renewals int
	fail     error
}

func (c *fakeCreds) Expiry() time.Time { return c.expiry }

func (c *fakeCreds) Renew(context.Context) error {
	if c.fail != nil {
		return c.fail
	}
	c.renewals++
	c.expiry = c.expiry.Add(time.Hour)
	return nil
}

// recorder keeps every Status reported.
type recorder struct{ all []Status }

func (r *recorder) Report(s Status) { r.all = append(r.all, s) }

func (r *recorder) last(t *testing.T) Status {
	t.Helper()
	if len(r.all) == 0 {
		t.Fatal("nothing reported")
	}
	return r.all[len(r.all)-1]
}

// rig is a loop for role pool of deployment lab with fakes.
type rig struct {
	clock *fakeClock
	src   *fakeSource
	inst  *fakeInstaller
	rep   *recorder
	store StateStore
	loop  *Loop
}

func newRig(t *testing.T, cfg Config, creds *fakeCreds) *rig {
	t.Helper()
	r := &rig{clock: &fakeClock{now: t0}, inst: newFakeInstaller(), rep: &recorder{}, store: StateStore{Dir: t.TempDir(), Deployment: "lab"}}
	r.src = &fakeSource{inputs: Inputs{Script: "# pool.ps1", InstallJSON: []byte("{}")}, creds: creds, now: r.clock.Now}
	cfg.Deployment, cfg.Role = "lab", "pool"
	var c Credentials
	if creds != nil {
		c = creds
	}
	l, err := NewLoop(cfg, r.src, r.inst, c, r.rep, r.clock, r.store)
	if err != nil {
		t.Fatal(err)
	}
	r.loop = l
	return r
}

// serve makes the source hand out m.
func (r *rig) serve(m Material) { r.src.secret = &m }
