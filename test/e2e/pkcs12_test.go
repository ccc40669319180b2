package e2e

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/cli"
	"github.com/ucdeploy/ucdeploy/internal/lab"
	"github.com/ucdeploy/ucdeploy/internal/lab/labtest"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

// testPKCS12 (run by TestRealIssuance, in its lab: one process runs one lab) proves the last mile with real cert-manager controllers: with spec.certificates.pkcs12
// cert-manager's issuing controller writes keystore.p12 into each Secret, with the planned leaf,
// its key and the CA chain, encrypted as the chosen Windows release reads it (R-K8S-01: 3DES for
// 2016, AES-256 from 2019); the install ConfigMap carries one script per certificate; and
// `ucdeploy export` writes PFX files that openssl opens, copied from keystore.p12 or built from
// the PEM files, and refuses clearly when the user may not read the Secret.
func testPKCS12(t *testing.T, l *lab.Lab, admin string, pools map[string]*x509.CertPool) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Fatal("openssl is needed to open the PFX files: install it")
	}
	ctx := context.Background()
	ns := labtest.Namespace(t, l.Client, "pkcs12-")
	const password = "Lab-PFX-passw0rd"
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "pfx-password", Namespace: ns},
		Data:       map[string][]byte{"password": []byte(password)},
	}
	if err := l.Client.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		sample  string
		oldest  v1alpha1.WindowsVersion
		cipher  string // what `openssl pkcs12 -info` names the encryption of the key bag
		keyBags string
	}{
		{"litware-seed", v1alpha1.WindowsServer2016, "pbeWithSHA1And3-KeyTripleDES-CBC", "3DES"},
		// AES-256 needs every importing product on Windows Server 2019 or later: Exchange SE, not
		// tailspin-mail's Exchange 2010 (PKCS12ProfileUnreadable, R-K8S-01).
		{"adatum-hybrid", v1alpha1.WindowsServer2019, "AES-256-CBC", "AES-256"},
	}
	// Every deployment of this test applied at once, then checked one by one: an issuance over
	// ACME takes over a minute (issuanceTimeout).
	keys := make([]client.ObjectKey, len(cases))
	for i, tc := range cases {
		keys[i] = applySample(t, l, ns, tc.sample, "", &v1alpha1.PKCS12Spec{
			PasswordSecretRef: v1alpha1.SecretKeyRef{Name: secret.Name, Key: "password"}, OldestWindows: tc.oldest,
		})
	}
	missingNS := labtest.Namespace(t, l.Client, "pkcs12-missing-")
	missing := applySample(t, l, missingNS, "tailspin-mail", "", &v1alpha1.PKCS12Spec{
		PasswordSecretRef: v1alpha1.SecretKeyRef{Name: "not-yet", Key: "password"}, OldestWindows: v1alpha1.WindowsServer2016,
	})
	built := applySample(t, l, ns, "tailspin-mail", "built", nil)

	for i, tc := range cases {
		t.Run(tc.sample+"/"+string(tc.oldest), func(t *testing.T) {
			live := waitReady(t, l.Client, keys[i])
			p := plan.Compute(live.Name, &live.Spec)
			// cert-manager's readiness controller may report Ready a moment before its issuing
			// controller records the revision; the status follows within the settle time.
			labtest.Eventually(t, 30*time.Second, "revision 1 of every certificate in the status", func() error {
				if err := l.Client.Get(ctx, keys[i], live); err != nil {
					return err
				}
				for _, cs := range live.Status.Certificates {
					if cs.Revision == nil || *cs.Revision != 1 {
						return fmt.Errorf("%s: revision %v; want 1 after the first issuance", cs.Name, cs.Revision)
					}
				}
				return nil
			})
			out := t.TempDir()
			if code := runExport(t, admin, ns, live.Name, "--out", out); code != cli.ExitOK {
				t.Fatalf("ucdeploy export exit %d", code)
			}
			for _, pc := range p.Certificates {
				s := &corev1.Secret{}
				if err := l.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: pc.SecretName}, s); err != nil {
					t.Fatal(err)
				}
				ks := s.Data["keystore.p12"]
				if len(ks) == 0 {
					t.Fatalf("%s: no keystore.p12 in Secret %s (keys %v)", pc.Name, pc.SecretName, slices.Sorted(maps.Keys(s.Data)))
				}
				checkPFX(t, ks, password, pc, s, pools[pc.Issuer])
				exported, err := os.ReadFile(filepath.Join(out, pc.Name+".pfx"))
				if err != nil || !slices.Equal(exported, ks) {
					t.Errorf("%s: export did not copy keystore.p12: %v", pc.Name, err)
				}
				info := openssl(t, filepath.Join(out, pc.Name+".pfx"), password)
				if !strings.Contains(info, tc.cipher) {
					t.Errorf("%s: openssl pkcs12 -info does not name %s (%s):\n%s", pc.Name, tc.cipher, tc.keyBags, info)
				}
				if _, err := os.Stat(filepath.Join(out, pc.Role+".ps1")); err != nil {
					t.Errorf("%s: no script: %v", pc.Name, err)
				}
			}
			checkInstallConfigMap(t, l.Client, live, p)
		})
	}

	t.Run("a missing password Secret is reported and recovered from", func(t *testing.T) {
		ns, key := missingNS, missing
		// The status names the missing reference on every certificate, and Ready stays False.
		labtest.Eventually(t, 60*time.Second, "the status to name the missing password Secret", func() error {
			live := &v1alpha1.UCDeployment{}
			if err := l.Client.Get(ctx, key, live); err != nil {
				return err
			}
			if len(live.Status.Certificates) == 0 {
				return fmt.Errorf("no certificates in status yet")
			}
			for _, cs := range live.Status.Certificates {
				if cs.Ready || !strings.Contains(cs.Message, "Secret "+ns+"/not-yet") {
					return fmt.Errorf("%s: ready %v, message %q", cs.Name, cs.Ready, cs.Message)
				}
			}
			if c := meta.FindStatusCondition(live.Status.Conditions, v1alpha1.ConditionReady); c == nil || c.Status != metav1.ConditionFalse {
				return fmt.Errorf("Ready is %+v, want False", c)
			}
			return nil
		})
		// Once the Secret exists cert-manager writes the keystores and the deployment becomes Ready.
		if err := l.Client.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "not-yet", Namespace: ns},
			Data:       map[string][]byte{"password": []byte(password)},
		}); err != nil {
			t.Fatal(err)
		}
		waitReady(t, l.Client, key)
	})

	t.Run("export builds the PFX without a keystore", func(t *testing.T) {
		live := waitReady(t, l.Client, built)
		p := plan.Compute(live.Name, &live.Spec)
		pwFile := filepath.Join(t.TempDir(), "pw")
		if err := os.WriteFile(pwFile, []byte("Built-passw0rd\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		if code := runExport(t, admin, ns, live.Name, "--role", plan.RoleExchange, "--password-file", pwFile, "--out", out); code != cli.ExitOK {
			t.Fatalf("ucdeploy export exit %d", code)
		}
		pc := p.Certificates[slices.IndexFunc(p.Certificates, func(c plan.Certificate) bool { return c.Role == plan.RoleExchange })]
		path := filepath.Join(out, pc.Name+".pfx")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v; the PFX must be readable by its owner alone", path, st.Mode().Perm())
		}
		sec := &corev1.Secret{}
		if err := l.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: pc.SecretName}, sec); err != nil {
			t.Fatal(err)
		}
		checkPFX(t, data, "Built-passw0rd", pc, sec, pools[pc.Issuer])
		// No pkcs12 in the spec: the default rule, Windows Server 2016, 3DES (R-K8S-01).
		if info := openssl(t, path, "Built-passw0rd"); !strings.Contains(info, "pbeWithSHA1And3-KeyTripleDES-CBC") {
			t.Errorf("built PFX is not 3DES:\n%s", info)
		}
		for _, f := range []string{"install.json", pc.Role + ".ps1"} {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Error(err)
			}
		}
		checkRenewal(t, l.Client, live, pc)
		entries, _ := os.ReadDir(out)
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join(out, e.Name()))
			if strings.Contains(string(b), "Built-passw0rd") {
				t.Errorf("%s holds the password", e.Name())
			}
		}
	})

	t.Run("export refuses a user who may not read Secrets", func(t *testing.T) {
		_, kubeconfig, err := l.AddUser("pkcs12-viewer")
		if err != nil {
			t.Fatal(err)
		}
		role := &rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Name: "ucd-viewer", Namespace: ns},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{v1alpha1.GroupVersion.Group}, Resources: []string{"ucdeployments"}, Verbs: []string{"get"}}},
		}
		binding := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "ucd-viewer", Namespace: ns},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "pkcs12-viewer"}},
		}
		for _, o := range []client.Object{role, binding} {
			if err := l.Client.Create(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		out := t.TempDir()
		var stdout, stderr strings.Builder
		var code int
		labtest.Eventually(t, 20*time.Second, "the viewer may read the UCDeployment", func() error {
			stdout.Reset()
			stderr.Reset()
			code = cli.Export([]string{"--kubeconfig", kubeconfig, "-n", ns, "--out", out, "litware-seed"}, &stdout, &stderr, cli.ExportOptions{})
			if strings.Contains(stderr.String(), "reading UCDeployment") {
				return fmt.Errorf("%s", stderr.String())
			}
			return nil
		})
		if code != cli.ExitInvalidArgs || !strings.Contains(stderr.String(), "you may not read Secret "+ns+"/litware-seed-") {
			t.Errorf("exit %d, stderr %q; want a refusal naming the Secret", code, stderr.String())
		}
		if matches, _ := filepath.Glob(filepath.Join(out, "*.pfx")); len(matches) > 0 {
			t.Errorf("a refused export wrote %v", matches)
		}
	})
}

// runExport runs `ucdeploy export` with the admin kubeconfig and no terminal.
func runExport(t *testing.T, kubeconfig, ns, name string, args ...string) int {
	t.Helper()
	var stdout, stderr strings.Builder
	all := append([]string{"--kubeconfig", kubeconfig, "-n", ns}, args...)
	code := cli.Export(append(all, name), &stdout, &stderr, cli.ExportOptions{})
	if code != cli.ExitOK {
		t.Logf("ucdeploy export: %s%s", stdout.String(), stderr.String())
	}
	return code
}

// applySample creates sample in namespace ns, renamed to name unless it is empty, with pkcs12 as
// its spec.certificates.pkcs12, and returns its key.
func applySample(t *testing.T, l *lab.Lab, ns, sample, name string, pkcs12 *v1alpha1.PKCS12Spec) client.ObjectKey {
	t.Helper()
	s := labtest.Sample(t, l.Root, sample)
	ucd := s.DeepCopy()
	ucd.Namespace = ns
	if name != "" {
		ucd.Name = name
	}
	ucd.Spec.Certificates.PKCS12 = pkcs12
	if err := l.Client.Create(context.Background(), ucd); err != nil {
		t.Fatal(err)
	}
	return client.ObjectKeyFromObject(ucd)
}

// checkPFX opens a PFX with go-pkcs12 and checks that it holds the planned leaf (SANs and CN),
// the key of that leaf, and the CA chain of the Secret (ca.crt, or for ACME the intermediates of
// tls.crt), which verifies the leaf.
func checkPFX(t *testing.T, pfx []byte, password string, pc plan.Certificate, s *corev1.Secret, pool *x509.CertPool) {
	t.Helper()
	key, leaf, cas, err := pkcs12.DecodeChain(pfx, password)
	if err != nil {
		t.Fatalf("%s: the PFX does not open with the password: %v", pc.Name, err)
	}
	if err := namesAsPlanned(leaf, pc); err != nil {
		t.Errorf("PFX leaf: %v", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok || !reflect.DeepEqual(signer.Public(), leaf.PublicKey) {
		t.Errorf("%s: the PFX key is not the leaf's", pc.Name)
	}
	if len(cas) == 0 {
		t.Errorf("%s: the PFX holds no CA certificate", pc.Name)
	}
	intermediates := x509.NewCertPool()
	for _, c := range cas {
		intermediates.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: intermediates, DNSName: pc.CommonName}); err != nil {
		t.Errorf("%s: the PFX chain does not verify: %v", pc.Name, err)
	}
	// A CA issuer returns its CA in ca.crt; an ACME issuer returns none (RFC 8555 hands out the
	// chain without the root), and the PFX carries the intermediates of tls.crt instead.
	want := s.Data["ca.crt"]
	if pc.Issuer == plan.IssuerPublic && len(want) == 0 {
		_, want = pem.Decode(s.Data[corev1.TLSCertKey]) // what follows the leaf
	}
	block, _ := pem.Decode(want)
	if block == nil {
		t.Fatalf("%s: Secret %s has no CA certificate in ca.crt or after the leaf in tls.crt", pc.Name, s.Name)
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !slices.ContainsFunc(cas, ca.Equal) {
		t.Errorf("%s: the PFX lacks the CA %s of the Secret (%v)", pc.Name, ca.Subject, err)
	}
}

// openssl runs `openssl pkcs12 -info` on a PFX with the password on a pipe (never in argv) and
// returns its report, failing when openssl cannot open the file.
func openssl(t *testing.T, path, password string) string {
	t.Helper()
	cmd := exec.Command("openssl", "pkcs12", "-in", path, "-info", "-noout", "-passin", "stdin")
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl pkcs12 cannot open %s: %v\n%s", path, err, out)
	}
	return string(out)
}

// checkInstallConfigMap: the <name>-install ConfigMap holds install.json and one script per
// certificate, labelled like the DNS ConfigMaps, and the status names it.
func checkInstallConfigMap(t *testing.T, c client.Client, live *v1alpha1.UCDeployment, p plan.Plan) {
	t.Helper()
	name := render.InstallConfigMapName(live.Name)
	if live.Status.InstallConfigMap != name {
		t.Errorf("status.installConfigMap %q; want %s", live.Status.InstallConfigMap, name)
	}
	cm := &corev1.ConfigMap{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: live.Namespace, Name: name}, cm); err != nil {
		t.Fatal(err)
	}
	if cm.Labels[render.LabelDeployment] != live.Name || cm.Labels[render.LabelManagedBy] != render.ManagedBy {
		t.Errorf("ConfigMap %s labels %v", name, cm.Labels)
	}
	want := render.InstallConfigMap(live, p).Data
	if !reflect.DeepEqual(cm.Data, want) {
		t.Errorf("ConfigMap %s data differs from render.InstallConfigMap", name)
	}
}

// checkRenewal renews a certificate the way `cmctl renew` does (Issuing=True, reason
// ManuallyTriggered) and expects revision 2 in the status, in `ucdeploy status`, and one Renewed
// event on the UCDeployment naming the script and the servers (R-K8S-03).
func checkRenewal(t *testing.T, c client.Client, live *v1alpha1.UCDeployment, pc plan.Certificate) {
	t.Helper()
	ctx := context.Background()
	crt := &cmapi.Certificate{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: live.Namespace, Name: pc.Name}, crt); err != nil {
		t.Fatal(err)
	}
	now := metav1.Now()
	crt.Status.Conditions = append(crt.Status.Conditions, cmapi.CertificateCondition{
		Type: cmapi.CertificateConditionIssuing, Status: cmmeta.ConditionTrue, Reason: "ManuallyTriggered",
		Message: "renewal requested by the e2e test", LastTransitionTime: &now, ObservedGeneration: crt.Generation,
	})
	if err := c.Status().Update(ctx, crt); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(live)
	labtest.Eventually(t, issuanceTimeout, pc.Name+" at revision 2 in the status", func() error {
		u := &v1alpha1.UCDeployment{}
		if err := c.Get(ctx, key, u); err != nil {
			return err
		}
		for _, cs := range u.Status.Certificates {
			if cs.Name == pc.Name && cs.Revision != nil && *cs.Revision == 2 {
				return nil
			}
		}
		return fmt.Errorf("status certificates %+v", u.Status.Certificates)
	})
	labtest.Eventually(t, 30*time.Second, "one Renewed event", func() error {
		var list eventsv1.EventList
		if err := c.List(ctx, &list, client.InNamespace(live.Namespace)); err != nil {
			return err
		}
		var found []string
		for _, e := range list.Items {
			if e.Reason == v1alpha1.ReasonRenewed && e.Regarding.Name == live.Name {
				found = append(found, e.Note)
			}
		}
		want := fmt.Sprintf("certificate %s renewed (revision 2): run %s.ps1 -Revision 2", pc.Name, pc.Role)
		if len(found) != 1 || !strings.Contains(found[0], want) {
			return fmt.Errorf("Renewed events %q; want one with %q", found, want)
		}
		return nil
	})
}
