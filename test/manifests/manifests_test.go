// Package manifests checks the install manifests: config/default builds with kustomize, the
// manager runs locked down, and the generated ClusterRole is least privilege.
package manifests

import (
	"os/exec"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

func TestDefaultBuildsAndIsLockedDown(t *testing.T) {
	out, err := exec.Command("kubectl", "kustomize", "../../config/default").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kustomize config/default: %v\n%s", err, out)
	}
	kinds := map[string]int{}
	var deploy *appsv1.Deployment
	var role *rbacv1.ClusterRole
	for _, doc := range strings.Split(string(out), "\n---\n") {
		var meta struct{ Kind string }
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatal(err)
		}
		kinds[meta.Kind]++
		switch meta.Kind {
		case "Deployment":
			deploy = &appsv1.Deployment{}
			if err := yaml.UnmarshalStrict([]byte(doc), deploy); err != nil {
				t.Fatal(err)
			}
		case "ClusterRole":
			r := &rbacv1.ClusterRole{}
			if err := yaml.UnmarshalStrict([]byte(doc), r); err != nil {
				t.Fatal(err)
			}
			if r.Name == metricsReader {
				checkMetricsReader(t, r)
				kinds[meta.Kind]--
				continue
			}
			role = r
		}
	}
	for _, k := range []string{"CustomResourceDefinition", "Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Deployment"} {
		if kinds[k] != 1 {
			t.Errorf("want one %s, have %d", k, kinds[k])
		}
	}
	if deploy == nil || role == nil {
		t.Fatal("no Deployment or ClusterRole")
	}
	pod := deploy.Spec.Template.Spec
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot ||
		pod.SecurityContext.SeccompProfile == nil || pod.SecurityContext.SeccompProfile.Type != "RuntimeDefault" {
		t.Errorf("pod security context %+v: want runAsNonRoot and seccomp RuntimeDefault", pod.SecurityContext)
	}
	for _, c := range pod.Containers {
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil ||
			*sc.AllowPrivilegeEscalation || sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
			t.Errorf("container %s security context %+v", c.Name, sc)
		}
		if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() || c.Resources.Limits.Cpu().IsZero() {
			t.Errorf("container %s needs requests and limits: %+v", c.Name, c.Resources)
		}
	}
	for _, r := range role.Rules {
		for _, v := range r.Verbs {
			if v == "*" {
				t.Errorf("wildcard verb in %+v", r)
			}
		}
		for _, res := range r.Resources {
			if res == "*" || res == "secrets" {
				t.Errorf("rule %+v grants %s", r, res)
			}
		}
		for _, g := range r.APIGroups {
			if g == "*" {
				t.Errorf("wildcard API group in %+v", r)
			}
		}
	}
}

// metricsReader is the ClusterRole a scraper's ServiceAccount is bound to (bound by the user, so
// config/default binds it to no one).
const metricsReader = "ucdeploy-manager-metrics-reader"

// checkMetricsReader: the metrics reader grants get on /metrics and nothing else.
func checkMetricsReader(t *testing.T, r *rbacv1.ClusterRole) {
	t.Helper()
	if len(r.Rules) != 1 || len(r.Rules[0].NonResourceURLs) != 1 || r.Rules[0].NonResourceURLs[0] != "/metrics" ||
		len(r.Rules[0].Verbs) != 1 || r.Rules[0].Verbs[0] != "get" || len(r.Rules[0].Resources) != 0 {
		t.Errorf("%s grants more than get on /metrics: %+v", r.Name, r.Rules)
	}
}
