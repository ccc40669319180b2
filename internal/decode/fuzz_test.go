package decode

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/kube-openapi/pkg/validation/validate"
)

// FuzzDecode checks that Decode never panics (panics are not recovered while fuzzing, so that
// they surface with their stack) and that it returns either objects or an error.
//
//	go test -run XXX -fuzz FuzzDecode -fuzztime 30s ./internal/decode/
func FuzzDecode(f *testing.F) {
	f.Add([]byte(validYAML))
	f.Add([]byte(exchangeOnlyYAML))
	f.Add([]byte(docs(validYAML, exchangeOnlyYAML)))
	for _, c := range invalidCases(f) {
		if len(c.input) <= 64<<10 {
			f.Add([]byte(c.input))
		}
	}
	samples, _ := filepath.Glob("../../config/samples/*.yaml")
	for _, sample := range samples {
		if data, err := os.ReadFile(sample); err == nil {
			f.Add(data)
		}
	}

	recoverPanics = false
	f.Cleanup(func() { recoverPanics = true })
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := Decode("fuzz.yaml", data)
		if err != nil {
			if objs != nil {
				t.Errorf("Decode returned %d objects and the error %v", len(objs), err)
			}
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Errorf("the error does not name the file: %v", err)
			}
			return
		}
		if len(objs) == 0 {
			t.Fatal("Decode returned neither objects nor an error")
		}
		for _, obj := range objs {
			if obj.Kind != kind.Kind || obj.APIVersion != kind.GroupVersion().String() || obj.Name == "" {
				t.Errorf("Decode returned %s %s %q", obj.APIVersion, obj.Kind, obj.Name)
			}
		}
	})
}

// panickingValidator is an OpenAPI schema validator that panics.
type panickingValidator struct{}

func (panickingValidator) Validate(any, ...apiservervalidation.ValidationOption) *validate.Result {
	panic("boom")
}

func (panickingValidator) ValidateUpdate(any, any, ...apiservervalidation.ValidationOption) *validate.Result {
	panic("boom")
}

// TestDecodeDocumentRecoversFromPanics checks the last line of defence: a panic while checking
// one document becomes an error about that document.
func TestDecodeDocumentRecoversFromPanics(t *testing.T) {
	s, err := loadSchema()
	if err != nil {
		t.Fatal(err)
	}
	broken := *s
	broken.openAPI = panickingValidator{}
	obj, docErr := broken.decodeDocument([]byte(validYAML))
	if obj != nil || docErr == nil {
		t.Fatalf("decodeDocument = %v, %v; want an error", obj, docErr)
	}
	if msg := docErr.Error(); !strings.Contains(msg, "internal error while decoding: boom") {
		t.Errorf("the error does not report the panic: %s", msg)
	}
}
