package decode

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	"k8s.io/apiextensions-apiserver/pkg/registry/customresource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/ucdeploy/ucdeploy/config/crd"
)

// TestCRDIsAcceptedByTheAPIServer validates the embedded CRD the way the API server validates
// a CRD create: structural schema, defaults valid against the schema, CEL rules that compile
// and stay within the per-rule and per-CRD estimated cost limits.
func TestCRDIsAcceptedByTheAPIServer(t *testing.T) {
	internal, err := parseCRD(crd.UCDeployments)
	if err != nil {
		t.Fatal(err)
	}
	if errs := apiextensionsvalidation.ValidateCustomResourceDefinition(context.Background(), internal); len(errs) > 0 {
		for _, e := range errs {
			t.Errorf("the API server would reject the CRD: %v", e)
		}
	}
}

// TestValidationMatchesTheAPIServer checks that the validation step of Decode reports exactly
// what the API server's custom resource strategy reports for a create, for every document of
// the test inputs that gets that far.
func TestValidationMatchesTheAPIServer(t *testing.T) {
	s, err := loadSchema()
	if err != nil {
		t.Fatal(err)
	}
	var status *apiextensions.CustomResourceSubresourceStatus
	var scale *apiextensions.CustomResourceSubresourceScale
	if sub, err := apiextensions.GetSubresourcesForVersion(s.crd, kind.Version); err != nil {
		t.Fatal(err)
	} else if sub != nil {
		status, scale = sub.Status, sub.Scale
	}
	strategy := customresource.NewStrategy(nil, s.namespaced, kind, s.openAPI, nil, s.structural, status, scale, nil)

	inputs := map[string]string{"valid": validYAML, "exchange only": exchangeOnlyYAML}
	for _, c := range invalidCases(t) {
		inputs[c.name] = c.input
	}
	compared := 0
	for name, input := range inputs {
		if len(input) > MaxInputBytes {
			continue
		}
		documents, err := splitDocuments([]byte(input))
		if err != nil {
			continue
		}
		for i, doc := range documents {
			content, _, _ := parseDocument(doc)
			if content == nil || len(validateTypeMeta(content)) > 0 {
				continue
			}
			u := &unstructured.Unstructured{Object: content}
			s.coerce(u)
			s.prepareForCreate(u)

			got := s.validate(context.Background(), u.DeepCopy())

			server := u.DeepCopy()
			if server.GetNamespace() == "" {
				server.SetNamespace(validationNamespace)
			}
			strategy.PrepareForCreate(context.Background(), server)
			want := strategy.Validate(context.Background(), server)

			if g, w := comparable(got), comparable(want); !slices.Equal(g, w) {
				t.Errorf("%s, document %d:\ndecode:     %s\nAPI server: %s", name, i+1,
					strings.Join(g, "\n            "), strings.Join(w, "\n            "))
			}
			compared++
		}
	}
	if compared < 40 {
		t.Errorf("compared %d documents, want at least 40", compared)
	}
}

// comparable renders errs in a sorted, order-independent form that ignores how an error
// about the whole object names its (empty) path.
func comparable(errs field.ErrorList) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		path := e.Field
		if path == "<nil>" {
			path = ""
		}
		value := fmt.Sprint(e.BadValue)
		if path == "" {
			value = ""
		}
		out = append(out, fmt.Sprintf("%s|%s|%s|%s", path, e.Type, value, e.Detail))
	}
	slices.Sort(out)
	return out
}
