// Package manifest writes an imported UCDeployment as the YAML an administrator keeps in Git and
// `ucdeploy plan` reads: apiVersion, kind, metadata (name and namespace) and spec, with the empty
// sections and the status left out.
package manifest

import (
	"encoding/json"
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// YAML renders d. Empty objects (the defaulted certificates and dns sections) are left out.
func YAML(d *v1alpha1.UCDeployment) ([]byte, error) {
	raw, err := json.Marshal(d.Spec)
	if err != nil {
		return nil, fmt.Errorf("rendering the spec: %w", err)
	}
	var spec map[string]any
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("rendering the spec: %w", err)
	}
	prune(spec)
	meta := map[string]any{"name": d.Name}
	if d.Namespace != "" {
		meta["namespace"] = d.Namespace
	}
	out, err := yaml.Marshal(map[string]any{
		"apiVersion": v1alpha1.GroupVersion.String(),
		"kind":       "UCDeployment",
		"metadata":   meta,
		"spec":       spec,
	})
	if err != nil {
		return nil, fmt.Errorf("rendering YAML: %w", err)
	}
	return out, nil
}

// prune deletes the empty objects of m, depth first.
func prune(m map[string]any) {
	for k, v := range m {
		if child, ok := v.(map[string]any); ok {
			prune(child)
			if len(child) == 0 {
				delete(m, k)
			}
		}
	}
}

// SetIssuers names the cert-manager ClusterIssuers of the public and internal certificates,
// which no imported document holds, and returns a warning for each left unnamed.
func SetIssuers(spec *v1alpha1.UCDeploymentSpec, public, internal string) []string {
	var warnings []string
	if public != "" {
		spec.Certificates.PublicIssuerRef = &v1alpha1.IssuerRef{Name: public, Kind: "ClusterIssuer"}
	} else {
		warnings = append(warnings, "no --public-issuer: set certificates.publicIssuerRef to the cert-manager issuer of the public CA before applying (ucdeploy plan reports IssuerNotConfigured)")
	}
	if internal != "" {
		spec.Certificates.InternalIssuerRef = &v1alpha1.IssuerRef{Name: internal, Kind: "ClusterIssuer"}
	} else {
		warnings = append(warnings, "no --internal-issuer: set certificates.internalIssuerRef to the cert-manager issuer of the enterprise CA before applying (ucdeploy plan reports IssuerNotConfigured)")
	}
	return warnings
}
