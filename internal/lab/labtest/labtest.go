// Package labtest holds the helpers the lab-based test suites share: polling, namespaces,
// samples, readiness of UCDeployments, and standing in for cert-manager's readiness controller.
package labtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/lab"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

// Eventually polls f until it returns nil, failing the test with f's last error after timeout.
// It may run in a Cleanup function, where the test's own context is already cancelled, so only
// timeout bounds it.
func Eventually(t testing.TB, timeout time.Duration, what string, f func() error) {
	t.Helper()
	if err := Poll(context.Background(), timeout, f); err != nil {
		t.Fatalf("%s: not true after %s: %v", what, timeout, err)
	}
}

// Poll calls f every 100 ms until it returns nil; it returns f's last error when timeout passes
// or ctx ends first. Unlike Eventually it may run outside the test's goroutine.
func Poll(ctx context.Context, timeout time.Duration, f func() error) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		last = f()
		return last == nil, nil
	})
	if err != nil && last != nil {
		return last
	}
	return err
}

// Namespace creates a fresh namespace with the given name prefix.
func Namespace(t testing.TB, c client.Client, prefix string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix}}
	if err := c.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	return ns.Name
}

// Samples loads the sample deployments of the repository at root.
func Samples(t testing.TB, root string) []v1alpha1.UCDeployment {
	t.Helper()
	ds, err := lab.Samples(root)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// Sample returns the sample deployment named name.
func Sample(t testing.TB, root, name string) v1alpha1.UCDeployment {
	t.Helper()
	for _, s := range Samples(t, root) {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no sample named %s", name)
	return v1alpha1.UCDeployment{}
}

// Condition returns "Status/Reason" of a condition, "" when absent, or "stale" while the status
// does not describe the current generation.
func Condition(ucd *v1alpha1.UCDeployment, typ string) string {
	if ucd.Status.ObservedGeneration != ucd.Generation {
		return "stale"
	}
	c := meta.FindStatusCondition(ucd.Status.Conditions, typ)
	if c == nil {
		return ""
	}
	return string(c.Status) + "/" + c.Reason
}

// WaitCondition waits until a condition of the UCDeployment reads want ("Status/Reason").
func WaitCondition(t testing.TB, c client.Client, key client.ObjectKey, typ, want string, timeout time.Duration) *v1alpha1.UCDeployment {
	t.Helper()
	ucd := &v1alpha1.UCDeployment{}
	Eventually(t, timeout, fmt.Sprintf("%s %s=%s", key, typ, want), func() error {
		if err := c.Get(context.Background(), key, ucd); err != nil {
			return err
		}
		if got := Condition(ucd, typ); got != want {
			msg := ""
			if cond := meta.FindStatusCondition(ucd.Status.Conditions, typ); cond != nil {
				msg = cond.Message
			}
			return fmt.Errorf("%s is %q: %s", typ, got, msg)
		}
		return nil
	})
	return ucd
}

// MarkCertificatesReady sets Ready=True on every Certificate of ucd through the status
// subresource, as cert-manager's readiness controller would.
func MarkCertificatesReady(t testing.TB, c client.Client, ucd *v1alpha1.UCDeployment) {
	t.Helper()
	ctx := context.Background()
	var list cmapi.CertificateList
	if err := c.List(ctx, &list, client.InNamespace(ucd.Namespace), client.MatchingLabels{render.LabelDeployment: ucd.Name}); err != nil {
		t.Fatal(err)
	}
	for i := range list.Items {
		key := client.ObjectKeyFromObject(&list.Items[i])
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			cert := &cmapi.Certificate{}
			if err := c.Get(ctx, key, cert); err != nil {
				return err
			}
			lab.SetCertificateReady(cert)
			return c.Status().Update(ctx, cert)
		})
		if err != nil {
			t.Fatalf("marking %s ready: %v", key, err)
		}
	}
}

// StandInIssuers creates ClusterIssuers with the given names and marks them Ready through the
// status subresource, as cert-manager's issuer controller would, for suites that run without
// cert-manager.
func StandInIssuers(ctx context.Context, c client.Client, names ...string) error {
	for _, name := range names {
		iss := &cmapi.ClusterIssuer{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:       cmapi.IssuerSpec{IssuerConfig: cmapi.IssuerConfig{SelfSigned: &cmapi.SelfSignedIssuer{}}},
		}
		if err := c.Create(ctx, iss); err != nil {
			return fmt.Errorf("creating ClusterIssuer %s: %w", name, err)
		}
		now := metav1.Now()
		iss.Status.Conditions = []cmapi.IssuerCondition{{
			Type: cmapi.IssuerConditionReady, Status: cmmeta.ConditionTrue, Reason: "StandIn",
			Message: "marked Ready by the test suite", LastTransitionTime: &now, ObservedGeneration: iss.Generation,
		}}
		if err := c.Status().Update(ctx, iss); err != nil {
			return fmt.Errorf("marking ClusterIssuer %s Ready: %w", name, err)
		}
	}
	return nil
}
