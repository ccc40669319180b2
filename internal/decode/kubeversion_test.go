package decode

import (
	"os"
	"regexp"
	"testing"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel/model"
	"k8s.io/apimachinery/pkg/util/version"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/cel/environment"
)

// compileRules compiles every x-kubernetes-validations rule of the CRD the way an API server
// whose CEL compatibility version is compat compiles the rules of a CRD being created (the
// NewExpressions environment), and returns how many rules there are and how many fail.
func compileRules(t *testing.T, compat *version.Version) (rules, failed int) {
	t.Helper()
	s, err := loadSchema()
	if err != nil {
		t.Fatal(err)
	}
	envSet := environment.MustBaseEnvSet(compat)
	var walk func(node *structuralschema.Structural, root bool)
	walk = func(node *structuralschema.Structural, root bool) {
		if node == nil {
			return
		}
		if len(node.XValidations) > 0 {
			results, err := cel.Compile(node, model.SchemaDeclType(node, root), celconfig.PerCallLimit, envSet, cel.NewExpressionsEnvLoader())
			if err != nil {
				t.Fatalf("compiling: %v", err)
			}
			rules += len(results)
			for _, r := range results {
				if r.Error != nil {
					failed++
				}
			}
		}
		for name := range node.Properties {
			p := node.Properties[name]
			walk(&p, false)
		}
		walk(node.Items, false)
		if node.AdditionalProperties != nil {
			walk(node.AdditionalProperties.Structural, false)
		}
	}
	walk(s.structural, true)
	return rules, failed
}

// TestCRDRulesOnTheKubernetesFloor (issue 30 item 6): the chart's kubeVersion floor is true. An
// API server admits a new CRD's CEL rules in the environment of its compatibility version, one
// minor release behind its own (k8s.io/apiserver pkg/cel/environment). Every rule compiles at
// 1.30, the environment of Kubernetes 1.31, the floor; at 1.29 (Kubernetes 1.30) the rules that
// use CEL's IP library (isIP, ip().family(), introduced in 1.30) do not, so 1.30 is not enough.
func TestCRDRulesOnTheKubernetesFloor(t *testing.T) {
	rules, failed := compileRules(t, version.MajorMinor(1, 30))
	if rules < 50 || failed != 0 {
		t.Errorf("at the floor: %d of %d rules fail to compile", failed, rules)
	}
	_, below := compileRules(t, version.MajorMinor(1, 29))
	t.Logf("%d rules compile at 1.30; %d of them fail at 1.29", rules, below)
	if below == 0 {
		t.Error("every rule compiles one release below the floor: lower kubeVersion in charts/ucdeploy/Chart.yaml")
	}
	chart, err := os.ReadFile("../../charts/ucdeploy/Chart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^kubeVersion: ">=1\.31\.0-0"$`).Match(chart) {
		t.Error(`charts/ucdeploy/Chart.yaml: want kubeVersion ">=1.31.0-0", the floor this test checks`)
	}
}
