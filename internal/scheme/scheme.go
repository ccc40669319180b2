// Package scheme builds the runtime.Scheme every ucdeploy client uses: the Kubernetes built-in
// types, cert-manager's API and the UCDeployment API. The manager, the CLI's live commands, the
// lab and the benchmark share it, so that none of them needs to import another.
package scheme

import (
	"fmt"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// New returns a new scheme holding the built-in types, cert-manager's and ucdeploy's.
func New() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, cmapi.AddToScheme, v1alpha1.AddToScheme} {
		if err := add(s); err != nil {
			return nil, fmt.Errorf("building scheme: %w", err)
		}
	}
	return s, nil
}
