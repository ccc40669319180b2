package decode

import (
	"fmt"
	"sync"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/install"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	celconfig "k8s.io/apiserver/pkg/apis/cel"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/config/crd"
)

// kind is the only kind Decode accepts.
var kind = v1alpha1.GroupVersion.WithKind("UCDeployment")

// crdSchema is everything the API server derives from the CustomResourceDefinition to decode,
// default and validate one version of a custom resource. It is built once and never modified,
// so it is safe for concurrent use.
type crdSchema struct {
	// crd is the CustomResourceDefinition in the API server's internal version.
	crd *apiextensions.CustomResourceDefinition
	// namespaced is true for a namespace-scoped resource.
	namespaced bool
	// statusSubresource is true when the version has a status subresource: a create then
	// drops whatever status the object carries.
	statusSubresource bool
	// structural is the structural schema with its defaults pruned, as the server keeps it:
	// it drives pruning, defaulting, list-type, embedded ObjectMeta and CEL validation.
	structural *structuralschema.Structural
	// openAPI validates the OpenAPI v3 value validations (types, enums, bounds, patterns, ...).
	openAPI apiservervalidation.SchemaValidator
	// cel holds the compiled x-kubernetes-validations rules; nil when the schema has none.
	cel *cel.Validator
}

// loadSchema builds the crdSchema of the embedded UCDeployment CRD on first use. The work
// (parsing the CRD, building the structural schema, compiling every CEL rule) is done once.
var loadSchema = sync.OnceValues(func() (*crdSchema, error) {
	return newCRDSchema(crd.UCDeployments, kind)
})

// newCRDSchema parses a CustomResourceDefinition given as YAML or JSON and builds the
// validators of the version of gvk, the way the API server's custom resource handler does.
func newCRDSchema(crdYAML []byte, gvk schema.GroupVersionKind) (*crdSchema, error) {
	internal, err := parseCRD(crdYAML)
	if err != nil {
		return nil, err
	}
	if internal.Spec.Group != gvk.Group || internal.Spec.Names.Kind != gvk.Kind {
		return nil, fmt.Errorf("CustomResourceDefinition %s defines kind %s in group %s, want %s in group %s",
			internal.Name, internal.Spec.Names.Kind, internal.Spec.Group, gvk.Kind, gvk.Group)
	}
	if !apiextensions.HasServedCRDVersion(internal, gvk.Version) {
		return nil, fmt.Errorf("CustomResourceDefinition %s does not serve version %s", internal.Name, gvk.Version)
	}

	validation, err := apiextensions.GetSchemaForVersion(internal, gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("reading the schema of CustomResourceDefinition %s: %w", internal.Name, err)
	}
	if validation == nil || validation.OpenAPIV3Schema == nil {
		return nil, fmt.Errorf("CustomResourceDefinition %s has no schema for version %s", internal.Name, gvk.Version)
	}
	subresources, err := apiextensions.GetSubresourcesForVersion(internal, gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("reading the subresources of CustomResourceDefinition %s: %w", internal.Name, err)
	}

	structural, err := structuralschema.NewStructural(validation.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("building the structural schema of CustomResourceDefinition %s version %s: %w",
			internal.Name, gvk.Version, err)
	}
	// The server deep-copies the structural schema before pruning its defaults, because
	// NewStructural shares the default values with the JSONSchemaProps.
	structural = structural.DeepCopy()
	if err := structuraldefaulting.PruneDefaults(structural); err != nil {
		return nil, fmt.Errorf("pruning the defaults of CustomResourceDefinition %s version %s: %w",
			internal.Name, gvk.Version, err)
	}

	openAPI, _, err := apiservervalidation.NewSchemaValidator(validation.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("building the OpenAPI validator of CustomResourceDefinition %s version %s: %w",
			internal.Name, gvk.Version, err)
	}

	return &crdSchema{
		crd:               internal,
		namespaced:        internal.Spec.Scope == apiextensions.NamespaceScoped,
		statusSubresource: subresources != nil && subresources.Status != nil,
		structural:        structural,
		openAPI:           openAPI,
		// Compiles every rule now; compilation errors are reported with each validation.
		cel: cel.NewValidator(structural, true, celconfig.PerCallLimit),
	}, nil
}

// parseCRD decodes a CustomResourceDefinition strictly (unknown or duplicate fields are
// errors), applies the apiextensions.k8s.io defaults and converts it to the internal version
// the API server works with.
func parseCRD(data []byte) (*apiextensions.CustomResourceDefinition, error) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	codecs := serializer.NewCodecFactory(scheme, serializer.EnableStrict)
	obj, gvk, err := codecs.UniversalDecoder().Decode(data, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("decoding the CustomResourceDefinition: %w", err)
	}
	internal, ok := obj.(*apiextensions.CustomResourceDefinition)
	if !ok {
		return nil, fmt.Errorf("decoding the CustomResourceDefinition: got %v (%T), want a CustomResourceDefinition", gvk, obj)
	}
	return internal, nil
}
