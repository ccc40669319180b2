// Package chart checks the Helm chart in charts/ucdeploy against the kustomize install
// (config/default): rendered with its default values, the chart must produce the same objects,
// the same CRD, the same ClusterRole rules and the same manager pod. The chart is rendered by
// the real helm command, built from its Go module by hack/helm/build.sh (cached in
// ~/.cache/ucdeploy/helm-<version>; set UCDEPLOY_HELM to use another helm binary).
package chart

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

const (
	root      = "../.."
	chartDir  = root + "/charts/ucdeploy"
	release   = "ucdeploy"
	namespace = "ucdeploy-system" // the namespace of config/default
)

var (
	helmOnce sync.Once
	helmPath string
	helmErr  error
)

// helm returns the helm binary, building it on first use.
func helm(t *testing.T) string {
	t.Helper()
	helmOnce.Do(func() {
		if p := os.Getenv("UCDEPLOY_HELM"); p != "" {
			helmPath = p
			return
		}
		var stderr bytes.Buffer
		cmd := exec.Command("bash", filepath.Join(root, "hack/helm/build.sh"))
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			helmErr = fmt.Errorf("hack/helm/build.sh: %v\n%s", err, stderr.String())
			return
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		helmPath = lines[len(lines)-1]
	})
	if helmErr != nil {
		t.Fatal(helmErr)
	}
	return helmPath
}

// object is one rendered manifest.
type object struct {
	u   *unstructured.Unstructured
	raw []byte // the document as JSON
}

func (o object) key() string {
	return o.u.GetKind() + " " + o.u.GetNamespace() + "/" + o.u.GetName()
}

// parse splits a multi-document YAML stream into objects, skipping empty documents.
func parse(t *testing.T, data []byte) map[string]object {
	t.Helper()
	objs := map[string]object{}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
		if string(j) == "null" {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(j); err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
		o := object{u: u, raw: j}
		if _, dup := objs[o.key()]; dup {
			t.Fatalf("rendered twice: %s", o.key())
		}
		objs[o.key()] = o
	}
	return objs
}

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// render runs helm template with the CRDs included and the given extra flags.
func render(t *testing.T, flags ...string) map[string]object {
	t.Helper()
	args := append([]string{"template", release, chartDir, "--namespace", namespace, "--include-crds"}, flags...)
	return parse(t, run(t, helm(t), args...))
}

func kustomize(t *testing.T) map[string]object {
	t.Helper()
	return parse(t, run(t, "kubectl", "kustomize", root+"/config/default"))
}

func into(t *testing.T, o object, v any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(o.raw, v); err != nil {
		t.Fatalf("%s: %v", o.key(), err)
	}
}

func sortedKeys(m map[string]object) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestDefaultValuesMatchKustomize is the chart's contract: with default values it installs what
// `kubectl apply -k config/default` installs.
func TestDefaultValuesMatchKustomize(t *testing.T) {
	chart, kust := render(t), kustomize(t)

	// The same objects, by kind, namespace and name. The Namespace is the one intended
	// difference: Helm creates it (--create-namespace) unless namespace.create is set.
	want := map[string]object{}
	for k, o := range kust {
		if o.u.GetKind() != "Namespace" {
			want[k] = o
		}
	}
	if got, w := sortedKeys(chart), sortedKeys(want); !slices.Equal(got, w) {
		t.Fatalf("objects differ:\nchart:     %v\nkustomize: %v", got, w)
	}

	for key, k := range want {
		c := chart[key]
		switch k.u.GetKind() {
		case "CustomResourceDefinition":
			// Byte-for-byte the same object: the chart's crds/ is a copy of config/crd/bases.
			if !reflect.DeepEqual(c.u.Object, k.u.Object) {
				t.Errorf("%s differs from config/crd/bases: run make chart", key)
			}
		case "ClusterRole":
			var cr, kr rbacv1.ClusterRole
			into(t, c, &cr)
			into(t, k, &kr)
			if !equality.Semantic.DeepEqual(cr.Rules, kr.Rules) {
				t.Errorf("ClusterRole rules differ from config/rbac/role.yaml: run make chart\nchart:     %+v\nkustomize: %+v", cr.Rules, kr.Rules)
			}
		case "ClusterRoleBinding":
			var cb, kb rbacv1.ClusterRoleBinding
			into(t, c, &cb)
			into(t, k, &kb)
			if cb.RoleRef != kb.RoleRef || !equality.Semantic.DeepEqual(cb.Subjects, kb.Subjects) {
				t.Errorf("ClusterRoleBinding differs:\nchart:     %+v %+v\nkustomize: %+v %+v", cb.RoleRef, cb.Subjects, kb.RoleRef, kb.Subjects)
			}
		case "ServiceAccount":
			var cs, ks corev1.ServiceAccount
			into(t, c, &cs)
			into(t, k, &ks)
			if !reflect.DeepEqual(cs.AutomountServiceAccountToken, ks.AutomountServiceAccountToken) {
				t.Errorf("ServiceAccount automount differs")
			}
		case "Deployment":
			compareDeployments(t, c, k)
		default:
			t.Errorf("%s: no comparison for this kind; add one", key)
		}
	}
}

func compareDeployments(t *testing.T, c, k object) {
	t.Helper()
	var cd, kd appsv1.Deployment
	into(t, c, &cd)
	into(t, k, &kd)
	if !equality.Semantic.DeepEqual(cd.Spec.Replicas, kd.Spec.Replicas) {
		t.Errorf("replicas: chart %v, kustomize %v", *cd.Spec.Replicas, *kd.Spec.Replicas)
	}
	// The chart adds app.kubernetes.io/instance so that two releases do not select each
	// other's pods; everything kustomize selects on must be there too.
	for l, v := range kd.Spec.Selector.MatchLabels {
		if cd.Spec.Selector.MatchLabels[l] != v {
			t.Errorf("selector label %s=%s missing from the chart's %v", l, v, cd.Spec.Selector.MatchLabels)
		}
	}
	for l, v := range cd.Spec.Selector.MatchLabels {
		if cd.Spec.Template.Labels[l] != v {
			t.Errorf("chart selector %s=%s does not match its pod template labels", l, v)
		}
	}
	// The pod spec must be the same, field for field (quantities compared semantically).
	cp, kp := cd.Spec.Template.Spec, kd.Spec.Template.Spec
	if !equality.Semantic.DeepEqual(cp, kp) {
		cj, _ := yaml.Marshal(cp)
		kj, _ := yaml.Marshal(kp)
		t.Errorf("pod spec differs from config/manager/manager.yaml:\n--- chart\n%s\n--- kustomize\n%s", cj, kj)
	}
	// The same, spelled out for the fields the brief of the chart names, so that a failure says
	// which one differs.
	if len(cp.Containers) != 1 || len(kp.Containers) != 1 {
		t.Fatalf("want one container each, have %d and %d", len(cp.Containers), len(kp.Containers))
	}
	cc, kc := cp.Containers[0], kp.Containers[0]
	if !slices.Equal(cc.Args, kc.Args) {
		t.Errorf("args: chart %q, kustomize %q", cc.Args, kc.Args)
	}
	if cc.Image != kc.Image {
		t.Errorf("image: chart %q, kustomize %q", cc.Image, kc.Image)
	}
	if !equality.Semantic.DeepEqual(cc.SecurityContext, kc.SecurityContext) {
		t.Errorf("container securityContext differs")
	}
	if !equality.Semantic.DeepEqual(cp.SecurityContext, kp.SecurityContext) {
		t.Errorf("pod securityContext differs")
	}
	if !equality.Semantic.DeepEqual(cc.Resources, kc.Resources) {
		t.Errorf("resources: chart %v, kustomize %v", cc.Resources, kc.Resources)
	}
}

// TestNamespaceOptional: namespace.create renders the Namespace of config/default with its Pod
// Security label.
func TestNamespaceOptional(t *testing.T) {
	chart, kust := render(t, "--set", "namespace.create=true"), kustomize(t)
	key := "Namespace /" + namespace
	c, ok := chart[key]
	if !ok {
		t.Fatalf("no %s in %v", key, sortedKeys(chart))
	}
	k := kust[key]
	for l, v := range k.u.GetLabels() {
		if c.u.GetLabels()[l] != v {
			t.Errorf("Namespace label %s=%s missing: %v", l, v, c.u.GetLabels())
		}
	}
}

// TestValues: the values that change the manager's arguments and pod do what they say.
func TestValues(t *testing.T) {
	objs := render(t,
		"--set", "watchNamespace=uc-lab",
		"--set", "leaderElection.enabled=false",
		"--set", "replicaCount=2",
		"--set", "maxConcurrentReconciles=8",
		"--set", "allowedClusterIssuers={public-ca,corp-ca}",
		"--set", "dnsVerifyNameservers={10.0.0.0/24,fd00::/8}",
		"--set", "dnsVerifyPorts={53,5300-5399}",
		"--set", "verifyServedNetworks={10.0.1.0/24}",
		"--set", "image.repository=registry.example.com/ucdeploy,image.tag=v1.2.3,image.pullPolicy=IfNotPresent",
		"--set", "resources.limits.memory=512Mi",
		"--set", "extraArgs={--sync-period=1h}",
	)
	var d appsv1.Deployment
	into(t, objs["Deployment "+namespace+"/ucdeploy-manager"], &d)
	c := d.Spec.Template.Spec.Containers[0]
	want := []string{
		"--metrics-bind-address=:8080",
		"--metrics-secure=true",
		"--health-probe-bind-address=:8081",
		"--watch-namespace=uc-lab",
		"--allowed-cluster-issuers=public-ca,corp-ca",
		"--dns-verify-nameservers=10.0.0.0/24,fd00::/8",
		"--dns-verify-ports=53,5300-5399",
		"--verify-served-networks=10.0.1.0/24",
		"--max-concurrent-reconciles=8",
		"--sync-period=1h",
	}
	if !slices.Equal(c.Args, want) {
		t.Errorf("args %q, want %q", c.Args, want)
	}
	if *d.Spec.Replicas != 2 || c.Image != "registry.example.com/ucdeploy:v1.2.3" || c.ImagePullPolicy != corev1.PullIfNotPresent {
		t.Errorf("replicas %d image %q policy %q", *d.Spec.Replicas, c.Image, c.ImagePullPolicy)
	}
	if got := c.Resources.Limits.Memory().String(); got != "512Mi" {
		t.Errorf("memory limit %s", got)
	}

	// A release named differently gets its own cluster-scoped names.
	other := parse(t, run(t, helm(t), "template", "lab", chartDir, "--namespace", "uc-lab"))
	for _, key := range []string{"ClusterRole /lab-ucdeploy-manager", "ClusterRoleBinding /lab-ucdeploy-manager",
		"Deployment uc-lab/lab-ucdeploy-manager", "ServiceAccount uc-lab/lab-ucdeploy-manager"} {
		if _, ok := other[key]; !ok {
			t.Errorf("release lab: no %s in %v", key, sortedKeys(other))
		}
	}
}

// TestLint: helm lint accepts the chart.
func TestLint(t *testing.T) {
	out := run(t, helm(t), "lint", "--strict", chartDir)
	if !bytes.Contains(out, []byte("0 chart(s) failed")) {
		t.Errorf("helm lint:\n%s", out)
	}
}

// TestCopiesAreFresh: the chart's copies of generated manifests are byte-identical to their
// sources (make chart refreshes them); make verify-docs checks the same.
func TestCopiesAreFresh(t *testing.T) {
	pairs := map[string]string{
		"config/crd/bases/uc.ucdeploy.io_ucdeployments.yaml": "charts/ucdeploy/crds/uc.ucdeploy.io_ucdeployments.yaml",
		"config/rbac/role.yaml":                              "charts/ucdeploy/files/clusterrole.yaml",
	}
	for src, dst := range pairs {
		a, err := os.ReadFile(filepath.Join(root, src))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(root, dst))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s is stale: run make chart (it copies %s)", dst, src)
		}
	}
	crds, err := filepath.Glob(filepath.Join(root, "charts/ucdeploy/crds/*"))
	if err != nil {
		t.Fatal(err)
	}
	bases, err := filepath.Glob(filepath.Join(root, "config/crd/bases/*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(crds) != len(bases) {
		t.Errorf("charts/ucdeploy/crds has %d files, config/crd/bases %d: run make chart", len(crds), len(bases))
	}
}

// TestValuesDocumented: every top-level value appears in the chart's README table.
func TestValuesDocumented(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(data, &values); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for key := range values {
		if !bytes.Contains(readme, []byte("`"+key+"`")) {
			t.Errorf("value %s is not documented in charts/ucdeploy/README.md", key)
		}
	}
}
