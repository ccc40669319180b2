package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/bench/workload"
	"github.com/ucdeploy/ucdeploy/internal/lab"
)

// shimResult is what the ingress-shim phase measured.
type shimResult struct {
	seconds      float64
	certificates int
	writes       Writes
	cpu          CPU
}

// ingressShim runs cert-manager's ingress-shim with Concurrency workers (through its own counting
// proxy), creates one Ingress per planned deployment with one TLS entry per planned certificate
// (its DNS names as hosts, its secret name), and waits until every Certificate ingress-shim makes
// from them exists.
func (e *env) ingressShim(ctx context.Context, prefix string, n int) (*shimResult, error) {
	ds, cleanUp, err := e.deployments(ctx, prefix, n)
	if err != nil {
		return nil, err
	}
	defer cleanUp()
	shim, err := startCertManager(ctx, e.shimProxy.Kubeconfig, ingressShimControllers, e.cfg.Concurrency,
		filepath.Join(e.dir, fmt.Sprintf("ingress-shim-%s.log", prefix)))
	if err != nil {
		return nil, err
	}
	defer func() {
		if shim != nil {
			_ = shim.Stop()
		}
	}()
	var keys []types.NamespacedName
	objs := make([]client.Object, 0, n)
	for _, d := range ds {
		for _, c := range d.Plan.Certificates {
			keys = append(keys, types.NamespacedName{Namespace: d.Object.Namespace, Name: c.SecretName})
		}
		objs = append(objs, ingressOf(d))
	}
	w0 := e.shimWrites.Writes()
	seconds, cpu, err := e.untilCertificatesExist(ctx, objs, keys, nil, "ingress-shim Certificates exist")
	if err != nil {
		return nil, err
	}
	if err := e.quiet(ctx, &e.shimWrites, 2*time.Second, 30*time.Second); err != nil {
		return nil, err
	}
	res := &shimResult{seconds: seconds, certificates: len(keys), writes: e.shimWrites.Writes().Sub(w0), cpu: cpu}
	err = shim.Stop()
	shim = nil
	return res, err
}

// ingressOf is the Ingress that asks ingress-shim for the Certificates of d: one TLS entry per
// planned Certificate, its DNS names as hosts, its secret name.
func ingressOf(d workload.Deployment) *networkingv1.Ingress {
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: d.Object.Name, Namespace: d.Object.Namespace,
			Annotations: map[string]string{cmapi.IngressClusterIssuerNameAnnotationKey: lab.PublicIssuer}},
		Spec: networkingv1.IngressSpec{DefaultBackend: &networkingv1.IngressBackend{
			Service: &networkingv1.IngressServiceBackend{Name: d.Object.Name, Port: networkingv1.ServiceBackendPort{Number: 443}},
		}},
	}
	for _, c := range d.Plan.Certificates {
		ing.Spec.TLS = append(ing.Spec.TLS, networkingv1.IngressTLS{Hosts: c.DNSNames, SecretName: c.SecretName})
	}
	return ing
}

// fill fills ingress-shim's columns of row; the ratio reads ucdeploy's peer columns.
func (s *shimResult) fill(row *Row) {
	row.IngressShimSeconds = s.seconds
	row.IngressShimWrites = s.writes
	row.IngressShimCPU = s.cpu
	row.IngressShimSecondsPerCertificate = s.seconds / float64(s.certificates)
	row.OursOverIngressShim = row.OursSecondsPerCertificate / row.IngressShimSecondsPerCertificate
}
