package render_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/render"
	"github.com/ucdeploy/ucdeploy/internal/zone/zonetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ (read the diff before committing)")

// golden compares got with testdata/<name>, or rewrites that file with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatalf("update golden file: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s; got:\n%s", name, path, got)
	}
}

// yamlDocuments marshals objects as one YAML stream.
func yamlDocuments[T any](t *testing.T, objects []T) string {
	t.Helper()
	docs := make([]string, len(objects))
	for i, o := range objects {
		b, err := yaml.Marshal(o)
		if err != nil {
			t.Fatalf("marshal object %d: %v", i, err)
		}
		docs[i] = string(b)
	}
	return "---\n" + strings.Join(docs, "---\n")
}

func TestGolden(t *testing.T) {
	ucd, p := contosoUCD(), contosoPlan()
	for _, tc := range []struct {
		file string
		got  func() string
	}{
		{"table.golden", func() string { return render.Table(p) }},
		{"internal.ps1.golden", func() string { return render.PowerShell(p, plan.ViewInternal) }},
		{"external.ps1.golden", func() string { return render.PowerShell(p, plan.ViewExternal) }},
		{"certificate-requests.ps1.golden", func() string { return render.CertificateRequests(p) }},
		{"certificates.yaml.golden", func() string { return yamlDocuments(t, render.Certificates(ucd, p)) }},
		{"configmaps.yaml.golden", func() string { return yamlDocuments(t, render.ConfigMaps(ucd, p)) }},
		{"install-configmap.yaml.golden", func() string {
			return yamlDocuments(t, []*corev1.ConfigMap{render.InstallConfigMap(ucd, p)})
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got := tc.got()
			if again := tc.got(); again != got {
				t.Fatalf("two renderings differ:\n%s\n---\n%s", got, again)
			}
			golden(t, tc.file, got)
		})
	}
}

// TestConfigMapZonesLoadInBIND loads every zone file of the ConfigMaps with named-checkzone.
func TestConfigMapZonesLoadInBIND(t *testing.T) {
	for _, cm := range render.ConfigMaps(contosoUCD(), contosoPlan()) {
		for key, text := range cm.Data {
			z, ok := strings.CutSuffix(key, ".zone")
			if !ok {
				continue
			}
			t.Run(cm.Name+"/"+key, func(t *testing.T) { zonetest.CheckZone(t, z, text) })
		}
	}
}
