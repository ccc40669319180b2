package main

import (
	"testing"
)

// TestLoadAppliesEveryDocument: `make demo DEMO=file` (issue 13) takes the UCDeployments of the
// file through the validating decoder and keeps its other documents, such as the keystore
// password Secret, to be applied next to them.
func TestLoadAppliesEveryDocument(t *testing.T) {
	deployments, others, err := load("../..", "../../config/demo/pkcs12.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(deployments) != 1 || deployments[0].Spec.Certificates.PKCS12 == nil {
		t.Fatalf("want one UCDeployment with spec.certificates.pkcs12, got %d: %+v", len(deployments), deployments)
	}
	if len(others) != 1 || others[0].GetKind() != "Secret" || others[0].GetName() != deployments[0].Spec.Certificates.PKCS12.PasswordSecretRef.Name {
		t.Fatalf("want the password Secret the UCDeployment names beside it, got %d others", len(others))
	}
	// The CRD's defaults were applied, as the API server would.
	if deployments[0].Spec.Certificates.Strategy == "" {
		t.Error("the UCDeployment was not defaulted by the decoder")
	}
	// Without a file, the samples.
	samples, others, err := load("../..", "")
	if err != nil || len(samples) < 5 || len(others) != 0 {
		t.Errorf("samples: %d deployments, %d others, %v", len(samples), len(others), err)
	}
}
