package controllers

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	cmacme "github.com/cert-manager/cert-manager/pkg/apis/acme/v1"
	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// +kubebuilder:rbac:groups=cert-manager.io,resources=issuers;clusterissuers,verbs=get;list;watch

// issuerProblems reads the issuers the plan's certificates need and describes each one that is
// missing or not Ready, so that the status says which issuer blocks issuance and why. The
// issuers are watched, so a problem clears by itself when the issuer appears or becomes Ready.
func (r *UCDeploymentReconciler) issuerProblems(ctx context.Context, ucd *v1alpha1.UCDeployment, p plan.Plan) ([]string, error) {
	needed := neededIssuers(ucd, p)
	var problems []string
	for _, key := range slices.Sorted(maps.Keys(needed)) {
		ref := needed[key]
		iss, err := r.getIssuer(ctx, ucd.Namespace, ref)
		switch {
		case apierrors.IsNotFound(err):
			where := "cluster-wide"
			if ref.KindOrDefault() == cmapi.IssuerKind {
				where = "in namespace " + ucd.Namespace
			}
			problems = append(problems, fmt.Sprintf("%s %s does not exist %s", ref.KindOrDefault(), ref.Name, where))
			continue
		case err != nil:
			return nil, fmt.Errorf("reading %s: %w", key, err)
		}
		ready := false
		msg := "it has no Ready condition yet"
		for _, c := range iss.GetStatus().Conditions {
			if c.Type == cmapi.IssuerConditionReady {
				ready = c.Status == cmmeta.ConditionTrue
				msg = fmt.Sprintf("%s: %s", c.Reason, c.Message)
			}
		}
		if !ready {
			problems = append(problems, fmt.Sprintf("%s %s is not Ready (%s)", ref.KindOrDefault(), ref.Name, msg))
		}
	}
	return problems, nil
}

// neededIssuers returns the issuers the plan's certificates name, by "kind/name".
func neededIssuers(ucd *v1alpha1.UCDeployment, p plan.Plan) map[string]*v1alpha1.IssuerRef {
	needed := map[string]*v1alpha1.IssuerRef{}
	for _, c := range p.Certificates {
		if ref := ucd.Spec.Certificates.IssuerFor(c.Issuer); ref != nil {
			needed[ref.KindOrDefault()+"/"+ref.Name] = ref
		}
	}
	return needed
}

// issuerRefusal says which ClusterIssuers named by the plan's certificates the allow-list does
// not contain, and which it does; "" when it refuses none or there is no allow-list. Issuers
// (namespaced) are not subject to it: a user can only name those of the UCDeployment's own
// namespace.
func (r *UCDeploymentReconciler) issuerRefusal(ucd *v1alpha1.UCDeployment, p plan.Plan) string {
	if len(r.AllowedClusterIssuers) == 0 {
		return ""
	}
	var refused []string
	for _, key := range slices.Sorted(maps.Keys(neededIssuers(ucd, p))) {
		name, isCluster := strings.CutPrefix(key, cmapi.ClusterIssuerKind+"/")
		if isCluster && !slices.Contains(r.AllowedClusterIssuers, name) {
			refused = append(refused, name)
		}
	}
	if len(refused) == 0 {
		return ""
	}
	return fmt.Sprintf("ClusterIssuer %s is not allowed here (--allowed-cluster-issuers: %s); nothing new is applied",
		strings.Join(refused, ", "), strings.Join(r.AllowedClusterIssuers, ", "))
}

// getIssuer reads the referenced Issuer (in ns) or ClusterIssuer.
func (r *UCDeploymentReconciler) getIssuer(ctx context.Context, ns string, ref *v1alpha1.IssuerRef) (cmapi.GenericIssuer, error) {
	if ref.KindOrDefault() == cmapi.IssuerKind {
		iss := &cmapi.Issuer{}
		if err := r.Get(ctx, client.ObjectKey{Namespace: ns, Name: ref.Name}, iss); err != nil {
			return nil, err
		}
		return iss, nil
	}
	iss := &cmapi.ClusterIssuer{}
	if err := r.Get(ctx, client.ObjectKey{Name: ref.Name}, iss); err != nil {
		return nil, err
	}
	return iss, nil
}

// publicIssuerOptions tells the planner what kind of CA the public issuer is: an ACME issuer
// brings the rules only ACME CAs impose (DOMAIN-CURRENT.md R-PKI-02, R-PKI-06, R-PKI-07), with
// the profile it requests, and, once cert-manager has registered its account, the account URI
// and whether it solves only DNS-01 for the CAA records (R-PKI-11). An issuer that cannot be read
// adds nothing; issuerProblems reports it.
func (r *UCDeploymentReconciler) publicIssuerOptions(ctx context.Context, ucd *v1alpha1.UCDeployment) []plan.Option {
	ref := ucd.Spec.Certificates.PublicIssuerRef
	if ref == nil {
		return nil
	}
	iss, err := r.getIssuer(ctx, ucd.Namespace, ref)
	if err != nil {
		return nil
	}
	return PublicIssuerOptions(iss)
}

// PublicIssuerOptions are the planner's options for a public issuer (publicIssuerOptions): none
// for a CA that is not ACME. Tests that plan what the controller plans use it too.
func PublicIssuerOptions(iss cmapi.GenericIssuer) []plan.Option {
	acme := iss.GetSpec().ACME
	if acme == nil {
		return nil
	}
	opts := []plan.Option{plan.PublicACME(acme.Profile), plan.ACMESolvers(dns01Only(acme.Solvers), followsCNAME(acme.Solvers))}
	if st := iss.GetStatus().ACME; st != nil && st.URI != "" {
		opts = append(opts, plan.ACMEAccount(st.URI))
	}
	return opts
}

// followsCNAME says whether an ACME issuer has DNS-01 solvers and each follows CNAMEs
// (cnameStrategy: Follow), as spec.dns.acmeChallengeDelegation needs (R-PKI-13).
func followsCNAME(solvers []cmacme.ACMEChallengeSolver) bool {
	var dns01 int
	for _, s := range solvers {
		if s.DNS01 == nil {
			continue
		}
		dns01++
		if s.DNS01.CNAMEStrategy != cmacme.FollowStrategy {
			return false
		}
	}
	return dns01 > 0
}

// dns01Only says whether every solver of an ACME issuer is DNS-01, so that the CA may be told to
// validate with nothing else (CAA validationmethods=dns-01, R-PKI-11).
func dns01Only(solvers []cmacme.ACMEChallengeSolver) bool {
	for _, s := range solvers {
		if s.DNS01 == nil {
			return false
		}
	}
	return len(solvers) > 0
}

// issuerIndex is the UCDeployment field index of the issuers a deployment names, as
// "Kind/name" (issuerKeys).
const issuerIndex = "spec.certificates.issuerRefs"

// issuerKeys is issuerIndex's value for a UCDeployment.
func issuerKeys(obj client.Object) []string {
	ucd, ok := obj.(*v1alpha1.UCDeployment)
	if !ok {
		return nil
	}
	var keys []string
	for _, ref := range []*v1alpha1.IssuerRef{ucd.Spec.Certificates.PublicIssuerRef, ucd.Spec.Certificates.InternalIssuerRef} {
		if ref != nil {
			keys = append(keys, ref.KindOrDefault()+"/"+ref.Name)
		}
	}
	return slices.Compact(slices.Sorted(slices.Values(keys)))
}

// deploymentsForIssuer maps an Issuer or ClusterIssuer event to the UCDeployments that reference
// it, found through issuerIndex (an Issuer only in its own namespace).
func (r *UCDeploymentReconciler) deploymentsForIssuer(ctx context.Context, obj client.Object) []reconcile.Request {
	kind := cmapi.ClusterIssuerKind
	var opts []client.ListOption
	if _, ok := obj.(*cmapi.Issuer); ok {
		kind = cmapi.IssuerKind
		opts = append(opts, client.InNamespace(obj.GetNamespace()))
	}
	var list v1alpha1.UCDeploymentList
	if err := r.List(ctx, &list, append(opts, client.MatchingFields{issuerIndex: kind + "/" + obj.GetName()})...); err != nil {
		logf.FromContext(ctx).Error(err, "listing the UCDeployments of an issuer", "issuer", kind+"/"+obj.GetName())
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return out
}

// allReady reports whether every observed Certificate is Ready for its current generation.
func allReady(certs map[string]*cmapi.Certificate) bool {
	for _, c := range certs {
		if !certificateReady(c) {
			return false
		}
	}
	return true
}
