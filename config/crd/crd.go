// Package crd embeds the CustomResourceDefinitions that controller-gen generates into bases/
// (`make manifests`), so that programs can validate objects with exactly the schema the API
// server is given.
package crd

import _ "embed" // for go:embed

// UCDeployments is the CustomResourceDefinition of the UCDeployment kind
// (ucdeployments.uc.ucdeploy.io), as YAML, exactly as generated into
// bases/uc.ucdeploy.io_ucdeployments.yaml.
//
//go:embed bases/uc.ucdeploy.io_ucdeployments.yaml
var UCDeployments []byte
