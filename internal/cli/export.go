package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	"github.com/cert-manager/cert-manager/pkg/util/pki"
	"golang.org/x/term"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/install"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

// ExportOptions are what `ucdeploy export` needs besides its flags: where the password prompt
// reads and whether that is a terminal. Tests pass a reader; the command passes the process's
// terminal.
type ExportOptions struct {
	// ReadPassword reads a password without echo; nil means there is no terminal to prompt on.
	ReadPassword func(prompt string) ([]byte, error)
}

// TerminalPassword returns a ReadPassword that prompts on stderr and reads stdin without echo,
// or nil when stdin is not a terminal.
func TerminalPassword(stderr io.Writer) func(string) ([]byte, error) {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return nil
	}
	return func(prompt string) ([]byte, error) {
		fmt.Fprint(stderr, prompt)
		defer fmt.Fprintln(stderr)
		return term.ReadPassword(fd)
	}
}

// Export runs `ucdeploy export NAME --out DIR` (`kubectl ucd export`): with the user's own
// kubeconfig it writes, for each certificate of the live UCDeployment (or the one of --role),
// <certificate>.pfx and its script <role>.ps1, plus install.json. With keystore.p12 in the Secret
// (spec.certificates.pkcs12) the PFX is that keystore, copied; without, it is built from tls.crt,
// tls.key and ca.crt with the encryption of R-K8S-01 and a password from --password-file or a
// prompt. No password is ever written to disk or to the terminal. It returns the exit status: 0
// when every PFX was written, 2 otherwise.
func Export(args []string, stdout, stderr io.Writer, opts ExportOptions) int {
	fs := newCommand("export", "NAME --out DIR [-n NAMESPACE] [--role ROLE] [--password-file FILE] [--force] [flags]",
		"Write a live UCDeployment's PFX files (<certificate>.pfx), their import-and-bind scripts (<role>.ps1) and\n"+
			"install.json into a directory, with your own kubeconfig (the controller never reads Secrets).\n"+
			"Exit status: 0 every file was written, 2 otherwise.")
	var cluster clusterFlags
	cluster.bind(fs.FlagSet)
	role := fs.String("role", "", "only the certificate of this role")
	out := fs.String("out", "", "the directory to write the PFX files and scripts to (created if missing)")
	passwordFile := fs.String("password-file", "", "a file holding the password of PFX files built from tls.crt/tls.key (default: prompt)")
	force := fs.Bool("force", false, "replace files that already exist in --out (by a new file of mode 0600, never writing through a symlink)")
	if code, stop := fs.parse(args, stdout, stderr); stop {
		return code
	}
	switch {
	case fs.NArg() != 1:
		return fs.fail(stderr, "want exactly one UCDeployment name, got %d", fs.NArg())
	case *out == "":
		return fs.fail(stderr, "--out is required: the directory to write the files to")
	}
	name := fs.Arg(0)
	c, ns, err := cluster.connect()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return ExitInvalidArgs
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e := exporter{c: c, out: *out, passwordFile: *passwordFile, force: *force, opts: opts, stdout: stdout}
	if err := e.run(ctx, client.ObjectKey{Namespace: ns, Name: name}, *role); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return ExitInvalidArgs
	}
	return ExitOK
}

// exporter writes the PFX files and scripts of one deployment.
type exporter struct {
	c            client.Reader
	out          string
	passwordFile string
	force        bool // replace existing files (never writing through them)
	opts         ExportOptions
	stdout       io.Writer
	password     []byte // read once, only when a PFX must be built
}

func (e *exporter) run(ctx context.Context, key client.ObjectKey, role string) error {
	ucd := &v1alpha1.UCDeployment{}
	if err := e.c.Get(ctx, key, ucd); err != nil {
		return fmt.Errorf("reading UCDeployment %s: %w", key, err)
	}
	// The same pure plan the controller applies: the certificates and their scripts.
	ip := install.Plan(ucd.Name, &ucd.Spec, plan.Compute(ucd.Name, &ucd.Spec))
	certs := ip.Certificates
	if role != "" {
		c, ok := ip.Find(role)
		if !ok {
			return fmt.Errorf("UCDeployment %s has no certificate with role %q", key, role)
		}
		certs = []install.Certificate{c}
	}
	only := install.Deployment{Deployment: ip.Deployment, Certificates: certs}
	// The digests are of the scripts as the manager wrote them into the install ConfigMap; the
	// files written default -Revision to the revision in the status (R-K8S-06).
	if err := checkDigests(ucd, only); err != nil {
		return err
	}
	only = only.WithRevisions(ucd.Status.Certificates)
	certs = only.Certificates
	if err := os.MkdirAll(e.out, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", e.out, err)
	}
	for _, c := range certs {
		if err := e.one(ctx, ucd, c); err != nil {
			return fmt.Errorf("certificate %s: %w", c.Name, err)
		}
	}
	return e.write(install.JSONKey, []byte(only.JSON()))
}

// checkDigests compares the scripts export would write with the digests the manager recorded in
// status.installDigests when it wrote the install ConfigMap: a difference means that the manager
// and this ucdeploy plan differently (another version) or that the status is stale, and nothing
// is written. A status without digests (an older manager) is not checked. install.json is not
// compared when --role selects one certificate, since it then lists only that one.
func checkDigests(ucd *v1alpha1.UCDeployment, d install.Deployment) error {
	recorded := ucd.Status.InstallDigests
	if len(recorded) == 0 {
		return nil
	}
	for _, c := range d.Certificates {
		if got, want := render.Digest(install.Script(c)), recorded[c.Script]; got != want {
			return fmt.Errorf("script %s differs from the one the manager wrote (status.installDigests has %q, this ucdeploy computes %q): "+
				"are the manager and this ucdeploy the same version? Nothing was written", c.Script, want, got)
		}
	}
	return nil
}

// one writes the PFX and the script of one certificate.
func (e *exporter) one(ctx context.Context, ucd *v1alpha1.UCDeployment, c install.Certificate) error {
	secret := &corev1.Secret{}
	key := client.ObjectKey{Namespace: ucd.Namespace, Name: c.SecretName}
	err := e.c.Get(ctx, key, secret)
	switch {
	case apierrors.IsForbidden(err):
		return fmt.Errorf("you may not read Secret %s: export runs with your own kubeconfig and needs get on secrets in namespace %s (the ucdeploy manager never reads Secrets): %w", key, ucd.Namespace, err)
	case apierrors.IsNotFound(err):
		return fmt.Errorf("the Secret %s does not exist yet: cert-manager has not issued the certificate (see ucdeploy status)", key)
	case err != nil:
		return fmt.Errorf("reading Secret %s: %w", key, err)
	}
	pfx, how := secret.Data[cmapi.PKCS12SecretKey], "copied keystore.p12"
	if len(pfx) == 0 {
		if pfx, err = e.build(ucd, secret); err != nil {
			return err
		}
		how = "built from tls.crt, tls.key and ca.crt"
	}
	if err := e.write(c.PFX, pfx); err != nil {
		return err
	}
	if err := e.write(c.Script, []byte(install.Script(c))); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s (%s) and %s: run it on %v\n", filepath.Join(e.out, c.PFX), how, filepath.Join(e.out, c.Script), c.Servers())
	return nil
}

// write writes one file of the export into --out: a new file of mode 0600 (the PFX holds the
// private key), refusing an existing file or symlink unless --force (writeNewFile).
func (e *exporter) write(name string, data []byte) error {
	return writeNewFile(filepath.Join(e.out, name), data, e.force)
}

// build encodes tls.key, tls.crt (leaf and chain) and ca.crt as a PFX with the profile the oldest
// importing Windows reads (R-K8S-01; LegacyDES when spec.certificates.pkcs12 is not set).
func (e *exporter) build(ucd *v1alpha1.UCDeployment, s *corev1.Secret) ([]byte, error) {
	key, err := pki.DecodePrivateKeyBytes(s.Data[corev1.TLSPrivateKeyKey])
	if err != nil {
		return nil, fmt.Errorf("the Secret %s: %s: %w", s.Name, corev1.TLSPrivateKeyKey, err)
	}
	chain, err := pki.DecodeX509CertificateChainBytes(s.Data[corev1.TLSCertKey])
	if err != nil {
		return nil, fmt.Errorf("the Secret %s: %s holds no certificate: %v", s.Name, corev1.TLSCertKey, err)
	}
	if len(s.Data[caKey]) > 0 { // ACME issuers leave ca.crt empty
		cas, err := pki.DecodeX509CertificateSetBytes(s.Data[caKey])
		if err != nil {
			return nil, fmt.Errorf("the Secret %s: %s: %w", s.Name, caKey, err)
		}
		for _, ca := range cas {
			if !slices.ContainsFunc(chain, ca.Equal) {
				chain = append(chain, ca)
			}
		}
	}
	password, err := e.readPassword()
	if err != nil {
		return nil, err
	}
	var oldest v1alpha1.WindowsVersion
	if p := ucd.Spec.Certificates.PKCS12; p != nil {
		oldest = p.OldestWindows
	}
	return Encoder(render.PKCS12Profile(oldest)).Encode(key, chain[0], chain[1:], string(password))
}

// caKey is the Secret key cert-manager writes the issuing CA to.
const caKey = "ca.crt"

// Encoder is the go-pkcs12 encoder of a cert-manager PKCS#12 profile: the algorithms
// cert-manager's issuing controller uses for the same profile, so that a built PFX is encrypted
// like keystore.p12, with both key derivations at pfxIterations. go-pkcs12's legacy encoders
// derive the MAC key with a single iteration, which makes guessing the password offline cheap.
func Encoder(profile cmapi.PKCS12Profile) *pkcs12.Encoder {
	enc := pkcs12.LegacyDES
	switch profile {
	case cmapi.Modern2023PKCS12Profile:
		enc = pkcs12.Modern2023
	case cmapi.Modern2026PKCS12Profile:
		enc = pkcs12.Modern2026
	case cmapi.LegacyRC2PKCS12Profile:
		enc = pkcs12.LegacyRC2
	}
	return enc.WithIterations(pfxIterations)
}

// readPassword reads the password of built PFX files once: from --password-file (one trailing
// line break removed), or from a prompt without echo.
func (e *exporter) readPassword() ([]byte, error) {
	if e.password != nil {
		return e.password, nil
	}
	var pw []byte
	switch {
	case e.passwordFile != "":
		data, err := os.ReadFile(e.passwordFile)
		if err != nil {
			return nil, fmt.Errorf("reading the password file: %w", err)
		}
		pw = bytes.TrimSuffix(bytes.TrimSuffix(data, []byte("\n")), []byte("\r"))
	case e.opts.ReadPassword != nil:
		var err error
		if pw, err = e.opts.ReadPassword("Password for the PFX files: "); err != nil {
			return nil, fmt.Errorf("reading the password: %w", err)
		}
	default:
		return nil, errors.New("the Secret has no keystore.p12, so the PFX is built here and needs a password: pass --password-file FILE (stdin is not a terminal to prompt on)")
	}
	if len(pw) == 0 {
		return nil, errors.New("the PFX password is empty")
	}
	e.password = pw
	return pw, nil
}

// pfxIterations is the iteration count of both key derivations (MAC and encryption) of a PFX
// export builds: OpenSSL's default (PKCS12_DEFAULT_ITER), what `openssl pkcs12 -export -legacy`
// writes, the 3DES workaround DOMAIN-CURRENT.md §4.3 gives for Windows Server 2016.
const pfxIterations = 2048
