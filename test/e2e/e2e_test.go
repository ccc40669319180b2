// Package e2e proves ucdeploy end to end: real cert-manager controllers issue every planned
// certificate from the lab CAs, and the x509 certificates carry exactly the planned names.
package e2e

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/cli"
	"github.com/ucdeploy/ucdeploy/internal/lab"
	"github.com/ucdeploy/ucdeploy/internal/lab/labtest"
	"github.com/ucdeploy/ucdeploy/internal/manager"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

func TestRealIssuance(t *testing.T) {
	ctx := context.Background()
	l, err := lab.Start(ctx, lab.Options{
		GarbageCollector: true,
		CertManager:      true,
		Manager: &lab.ManagerOptions{InProcess: true, AsUser: true,
			Options: manager.Options{MetricsAddr: "0", ProbeAddr: "0", MaxConcurrentReconciles: 4, SyncPeriod: time.Hour}},
		Log: func(f string, a ...any) { fmt.Printf("lab: "+f+"\n", a...) },
	})
	if err != nil {
		t.Fatalf("starting the lab: %v", err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = l.Stop()
		}
	})
	kubeconfig := filepath.Join(l.Dir, "e2e-admin.kubeconfig")
	if err := l.WriteAdminKubeconfig(kubeconfig); err != nil {
		t.Fatal(err)
	}
	pools := map[string]*x509.CertPool{}
	for class, issuer := range map[string]string{plan.IssuerPublic: lab.PublicIssuer, plan.IssuerInternal: lab.InternalIssuer} {
		if pools[class], err = l.CAPool(issuer); err != nil {
			t.Fatal(err)
		}
	}

	for _, s := range labtest.Samples(t, l.Root) {
		t.Run(s.Name, func(t *testing.T) {
			ns := labtest.Namespace(t, l.Client, "e2e-")
			ucd := s.DeepCopy()
			ucd.Namespace = ns
			if err := l.Client.Create(ctx, ucd); err != nil {
				t.Fatal(err)
			}
			live := waitReady(t, l.Client, client.ObjectKeyFromObject(ucd))
			p := plan.Compute(s.Name, &s.Spec)
			if len(live.Status.Certificates) != len(p.Certificates) {
				t.Fatalf("status lists %d certificates, plan %d", len(live.Status.Certificates), len(p.Certificates))
			}
			for i, cs := range live.Status.Certificates {
				pc := p.Certificates[i]
				if cs.Name != pc.Name || int(cs.DNSNameCount) != len(pc.DNSNames) || cs.CommonName != pc.CommonName || !slices.Equal(cs.Services, pc.Services) {
					t.Errorf("status certificate %+v differs from plan %+v", cs, pc)
				}
				if !cs.Ready || cs.NotAfter == nil {
					t.Errorf("%s: ready %v notAfter %v", cs.Name, cs.Ready, cs.NotAfter)
				}
				leaf := issued(t, l.Client, ns, cs.SecretName)
				checkLeaf(t, leaf, pc, pools)
			}
			checkStatusCommand(t, kubeconfig, live, p)
		})
	}

	t.Run("spec change re-issues with the new name", func(t *testing.T) {
		ns := labtest.Namespace(t, l.Client, "e2e-")
		s := labtest.Sample(t, l.Root, "contoso-ee")
		ucd := s.DeepCopy()
		ucd.Namespace = ns
		if err := l.Client.Create(ctx, ucd); err != nil {
			t.Fatal(err)
		}
		key := client.ObjectKeyFromObject(ucd)
		waitReady(t, l.Client, key)
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			u := &v1alpha1.UCDeployment{}
			if err := l.Client.Get(ctx, key, u); err != nil {
				return err
			}
			u.Spec.SIPDomains = append(u.Spec.SIPDomains, "northwind.com")
			return l.Client.Update(ctx, u)
		})
		if err != nil {
			t.Fatal(err)
		}
		live := waitReady(t, l.Client, key)
		p := plan.Compute(live.Name, &live.Spec)
		for _, pc := range p.Certificates {
			if !slices.Contains(pc.DNSNames, "sip.northwind.com") {
				continue
			}
			labtest.Eventually(t, 60*time.Second, pc.Name+" re-issued with sip.northwind.com", func() error {
				leaf, err := readLeaf(l.Client, ns, pc.SecretName)
				if err != nil {
					return err
				}
				if !slices.Equal(leaf.DNSNames, pc.DNSNames) {
					return fmt.Errorf("SANs %v", leaf.DNSNames)
				}
				return nil
			})
			leaf := issued(t, l.Client, ns, pc.SecretName)
			checkLeaf(t, leaf, pc, pools)
		}

		// Deleting the UCDeployment removes every child (the garbage collector follows the owner references).
		if err := l.Client.Delete(ctx, live); err != nil {
			t.Fatal(err)
		}
		labtest.Eventually(t, 60*time.Second, "children garbage-collected", func() error {
			var certs cmapi.CertificateList
			var cms corev1.ConfigMapList
			sel := client.MatchingLabels{"uc.ucdeploy.io/deployment": live.Name}
			if err := l.Client.List(ctx, &certs, client.InNamespace(ns), sel); err != nil {
				return err
			}
			if err := l.Client.List(ctx, &cms, client.InNamespace(ns), sel); err != nil {
				return err
			}
			if n := len(certs.Items) + len(cms.Items); n > 0 {
				return fmt.Errorf("%d Certificates and %d ConfigMaps left", len(certs.Items), len(cms.Items))
			}
			return nil
		})
	})

	t.Run("pkcs12 keystores, install scripts, export and renewal", func(t *testing.T) { testPKCS12(t, l, kubeconfig, pools) })

	// Nothing the lab started outlives it.
	if err := l.Stop(); err != nil {
		t.Errorf("stopping the lab: %v", err)
	}
	stopped = true
	labtest.Eventually(t, 20*time.Second, "no child processes left", func() error {
		out, _ := exec.Command("pgrep", "-P", strconv.Itoa(os.Getpid())).Output()
		if pids := strings.Fields(string(out)); len(pids) > 0 {
			return fmt.Errorf("child processes still running: %v", pids)
		}
		return nil
	})
}

// checkStatusCommand runs `ucdeploy status` (the kubectl plugin's `kubectl ucd status`) on the
// live object and expects every certificate, every record and every finding in its output.
func checkStatusCommand(t *testing.T, kubeconfig string, live *v1alpha1.UCDeployment, p plan.Plan) {
	t.Helper()
	var out, errOut strings.Builder
	if code := cli.Status([]string{"--kubeconfig", kubeconfig, "-n", live.Namespace, live.Name}, &out, &errOut); code != cli.ExitOK {
		t.Fatalf("ucdeploy status exit %d: %s", code, errOut.String())
	}
	text := out.String()
	want := []string{"Ready=True"}
	for _, c := range p.Certificates {
		// The SANs come from the Certificate objects: the status carries only their number.
		want = append(want, c.Name, strings.Join(c.DNSNames, ", "))
	}
	for _, r := range p.DNSRecords {
		want = append(want, r.Data)
	}
	for _, f := range p.Findings {
		want = append(want, f.Code)
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("ucdeploy status output lacks %q:\n%s", w, text)
		}
	}
}

// checkLeaf compares an issued certificate with the plan and verifies its chain against the one
// CA of its class, and that the other lab CA does not verify it.
func checkLeaf(t *testing.T, leaf *x509.Certificate, pc plan.Certificate, pools map[string]*x509.CertPool) {
	t.Helper()
	if !slices.Equal(leaf.DNSNames, pc.DNSNames) {
		t.Errorf("%s: x509 SANs %v; planned %v", pc.Name, leaf.DNSNames, pc.DNSNames)
	}
	if leaf.Subject.CommonName != pc.CommonName {
		t.Errorf("%s: subject CN %q; planned %q", pc.Name, leaf.Subject.CommonName, pc.CommonName)
	}
	other := plan.IssuerPublic
	if pc.Issuer == plan.IssuerPublic {
		other = plan.IssuerInternal
	}
	for _, name := range pc.DNSNames {
		opts := x509.VerifyOptions{DNSName: name, Roots: pools[pc.Issuer], KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		if _, err := leaf.Verify(opts); err != nil {
			t.Errorf("%s: does not verify for %s against the %s CA: %v", pc.Name, name, pc.Issuer, err)
		}
		opts.Roots = pools[other]
		if _, err := leaf.Verify(opts); err == nil {
			t.Errorf("%s: verifies for %s against the %s CA too; it must chain only to the %s CA", pc.Name, name, other, pc.Issuer)
		}
	}
}

func issued(t *testing.T, c client.Client, ns, secret string) *x509.Certificate {
	t.Helper()
	leaf, err := readLeaf(c, ns, secret)
	if err != nil {
		t.Fatal(err)
	}
	return leaf
}

// readLeaf parses the first certificate of a Secret's tls.crt.
func readLeaf(c client.Client, ns, name string) (*x509.Certificate, error) {
	s := &corev1.Secret{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, s); err != nil {
		return nil, fmt.Errorf("reading Secret %s: %w", name, err)
	}
	block, _ := pem.Decode(s.Data[corev1.TLSCertKey])
	if block == nil {
		return nil, fmt.Errorf("Secret %s: no PEM in tls.crt", name)
	}
	return x509.ParseCertificate(block.Bytes)
}

func waitReady(t *testing.T, c client.Client, key client.ObjectKey) *v1alpha1.UCDeployment {
	t.Helper()
	return labtest.WaitCondition(t, c, key, "Ready", "True/Succeeded", 90*time.Second)
}
