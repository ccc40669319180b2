// Package decode reads UCDeployment objects from the YAML that `kubectl apply -f` takes and
// checks them the way the Kubernetes API server checks a create: strict field validation
// (unknown and duplicate fields are errors), the CRD's structural defaulting, then the CRD's
// OpenAPI v3 schema, x-kubernetes-list-type set/map uniqueness, the x-kubernetes-validations
// CEL rules within the server's cost budget, and the ObjectMeta rules (name a DNS-1123
// subdomain). It uses the API server's own code (k8s.io/apiextensions-apiserver) with the
// embedded CRD, so `ucdeploy plan` and the API server accept and reject the same objects.
package decode

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/text"
)

// MaxInputBytes is the largest input Decode accepts, and the largest a single document may
// grow to once converted to JSON: the API server rejects request bodies above 3 MiB.
const MaxInputBytes = 3 << 20

// maxInvalidDocuments is how many invalid documents Decode reports before it stops reading.
const maxInvalidDocuments = 100

// maxMessageBytes caps how much of one field error DocumentError.Error prints, so that a
// multi-megabyte bad value does not flood a terminal. The ErrorList itself is untouched.
const maxMessageBytes = 512

// DocumentError reports every problem found in one YAML document of a file.
type DocumentError struct {
	// File is the file name given to Decode.
	File string
	// Document is the position of the document in the file, from 1; documents are separated
	// by "---" lines.
	Document int
	// Item is the position, from 1, of the object in the document's kind: List; 0 when the
	// document is the object itself.
	Item int
	// APIVersion, Kind and Name are the document's apiVersion, kind and metadata.name, when it
	// has them.
	APIVersion, Kind, Name string
	// Errs lists the problems: first those found while decoding (YAML syntax, duplicate keys,
	// size, malformed metadata, and unknown fields, which have Type Forbidden and Detail
	// "unknown field"), then the validation errors in the order the API server finds them. An
	// error whose Field is "" or "<nil>" is about the whole document or object.
	Errs field.ErrorList
}

// Error formats the problems on one line, like `kubectl apply` output:
// `<file> document 2 (UCDeployment contoso): spec.sipDomains[1]: Duplicate value: "contoso.com"; ...`.
func (e *DocumentError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s document %d", e.File, e.Document)
	if e.Item > 0 {
		fmt.Fprintf(&b, " item %d", e.Item)
	}
	if label := strings.TrimSpace(e.Kind + " " + e.Name); label != "" {
		fmt.Fprintf(&b, " (%s)", label)
	}
	b.WriteString(": ")
	for i, fe := range e.Errs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(truncate(formatFieldError(fe), maxMessageBytes))
	}
	return b.String()
}

// originUnknownField marks the field errors of fields that the schema does not know.
const originUnknownField = "unknownField"

// formatFieldError renders one field error as field.Error does, except that errors about the
// whole document print only their detail and unknown fields print "<path>: unknown field".
func formatFieldError(fe *field.Error) string {
	switch {
	case fe == nil:
		return "<nil>"
	case fe.Field == "" || fe.Field == "<nil>":
		if fe.Detail != "" {
			return fe.Detail
		}
		return fe.ErrorBody()
	case fe.Origin == originUnknownField:
		return fe.Field + ": " + fe.Detail
	default:
		return fe.Error()
	}
}

// truncate shortens s to at most limit bytes (plus an ellipsis), on a rune boundary.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d more bytes)", s[:cut], len(s)-cut)
}

// documentProblem is a field error about a whole document rather than one of its fields.
func documentProblem(format string, args ...any) *field.Error {
	return &field.Error{
		Type:     field.ErrorTypeInvalid,
		BadValue: field.OmitValueType{},
		Detail:   fmt.Sprintf(format, args...),
	}
}

// Decode reads every UCDeployment in data, a YAML stream of one or more documents separated by
// "---" lines as `kubectl apply -f` takes it; filename only names the input in errors. Empty
// documents are skipped. Each document must be an apiVersion uc.ucdeploy.io/v1alpha1
// UCDeployment; it is decoded, defaulted and validated like the API server does on create
// (see the package documentation) and returned with its defaults applied and without status,
// which a create drops. The namespace stays empty when the document has none.
//
// If any document is invalid Decode returns no objects and an error joining (errors.Join) one
// *DocumentError per invalid document, each listing all of that document's problems; it stops
// after 100 invalid documents. Inputs
// larger than MaxInputBytes, and inputs without any document, are errors too. Decode is safe
// for concurrent use; the first call builds the validators from the embedded CRD.
func Decode(filename string, data []byte) (objs []v1alpha1.UCDeployment, err error) {
	objs, _, err = decodeStream(filename, data, false)
	return objs, err
}

// Skipped is a document of another API group that DecodeMixed passed over.
type Skipped struct {
	// Document is the position of the document in the file, from 1.
	Document int
	// APIVersion, Kind and Name say what the document is.
	APIVersion, Kind, Name string
}

// String names the skipped document the way kubectl names objects: Kind/name (apiVersion).
func (s Skipped) String() string {
	return fmt.Sprintf("document %d (%s/%s, %s)", s.Document, s.Kind, s.Name, s.APIVersion)
}

// DecodeMixed is Decode for a stream that mixes kinds, as `kubectl apply -f` takes it (a
// UCDeployment next to the Secret its keystore password lives in, say): a document that is an
// object of another API group is skipped and returned in skipped instead of being an error. A
// document of ucdeploy's group that is not a valid UCDeployment (a misspelt kind) is still an
// error, and so is a stream with no UCDeployment at all.
func DecodeMixed(filename string, data []byte) (objs []v1alpha1.UCDeployment, skipped []Skipped, err error) {
	return decodeStream(filename, data, true)
}

// otherGroup reports whether the document of docErr is an object of another API group than
// UCDeployment's: one that DecodeMixed skips.
func otherGroup(docErr *DocumentError) bool {
	if docErr.Kind == "" || docErr.APIVersion == "" {
		return false
	}
	group, _, found := strings.Cut(docErr.APIVersion, "/")
	if !found {
		group = "" // the core group: "v1"
	}
	return group != kind.Group
}

// decodeStream is Decode, and with skipOthers DecodeMixed.
func decodeStream(filename string, data []byte, skipOthers bool) (objs []v1alpha1.UCDeployment, skipped []Skipped, err error) {
	defer func() {
		// Last line of defence: the decoding below is written not to panic whatever the input.
		if !recoverPanics {
			return
		}
		if r := recover(); r != nil {
			objs, skipped, err = nil, nil, fmt.Errorf("%s: internal error while decoding: %v", filename, r)
		}
	}()

	if len(data) > MaxInputBytes {
		return nil, nil, fmt.Errorf("%s: input is %d bytes, more than the %d bytes (3 MiB) the API server accepts",
			filename, len(data), MaxInputBytes)
	}
	s, err := loadSchema()
	if err != nil {
		return nil, nil, fmt.Errorf("loading the UCDeployment CustomResourceDefinition: %w", err)
	}

	data, err = fromUTF16(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", filename, err)
	}
	docs, err := splitDocuments(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", filename, err)
	}
	var docErrs []error
	seen := map[[2]string]int{} // namespace and name -> the document that has them
	units := expandLists(docs)
	for i, u := range units {
		obj, docErr := s.decodeDocument(u.data)
		if docErr != nil && skipOthers && otherGroup(docErr) {
			skipped = append(skipped, Skipped{Document: u.document, APIVersion: docErr.APIVersion, Kind: docErr.Kind, Name: docErr.Name})
			continue
		}
		if docErr == nil && obj != nil {
			docErr = duplicate(seen, obj, u.document)
		}
		if docErr != nil {
			docErr.File, docErr.Document, docErr.Item = filename, u.document, u.item
			docErrs = append(docErrs, docErr)
			if len(docErrs) == maxInvalidDocuments && i+1 < len(docs) {
				docErrs = append(docErrs, fmt.Errorf("%s: stopped after %d invalid documents; %d documents were not checked",
					filename, maxInvalidDocuments, len(units)-i-1))
				break
			}
			continue
		}
		if obj != nil {
			objs = append(objs, *obj)
		}
	}
	if len(docErrs) > 0 {
		return nil, nil, errors.Join(docErrs...)
	}
	if len(objs) == 0 && len(skipped) > 0 {
		return nil, skipped, fmt.Errorf("%s: no UCDeployment found: the input holds only other kinds (%s)", filename, skippedList(skipped))
	}
	if len(objs) == 0 {
		return nil, nil, fmt.Errorf("%s: no UCDeployment found: the input has no YAML document", filename)
	}
	return objs, skipped, nil
}

// skippedList names the skipped documents, the first few of them.
func skippedList(skipped []Skipped) string {
	const shown = 3
	names := make([]string, 0, shown)
	for _, s := range skipped[:min(shown, len(skipped))] {
		names = append(names, s.Kind+"/"+s.Name)
	}
	if len(skipped) > shown {
		names = append(names, fmt.Sprintf("and %d more", len(skipped)-shown))
	}
	return strings.Join(names, ", ")
}

// duplicate returns an error when an earlier document of the stream (in seen) has obj's namespace
// and name, and records obj's otherwise: `kubectl apply` would apply the second over the first,
// so only the last would survive.
func duplicate(seen map[[2]string]int, obj *v1alpha1.UCDeployment, document int) *DocumentError {
	key := [2]string{obj.Namespace, obj.Name}
	first, dup := seen[key]
	if !dup {
		seen[key] = document
		return nil
	}
	name := obj.Name
	if obj.Namespace != "" {
		name = obj.Namespace + "/" + obj.Name
	}
	return &DocumentError{Kind: kind.Kind, Name: obj.Name, Errs: field.ErrorList{field.Duplicate(field.NewPath("metadata", "name"),
		fmt.Sprintf("%s (document %d has the same namespace and name; kubectl apply would keep only the last)", name, first))}}
}

// unit is one object to decode: a document of the stream, or an item of a document that is a
// kind: List.
type unit struct {
	data           []byte
	document, item int // from 1; item 0 for a document that is not a List
}

// expandLists returns the documents, each kind: List (apiVersion v1, as `kubectl get -o yaml`
// writes several objects) replaced by its items, as kubectl apply reads it.
func expandLists(docs [][]byte) []unit {
	var out []unit
	for i, doc := range docs {
		items, ok := listItems(doc)
		if !ok {
			out = append(out, unit{data: doc, document: i + 1})
			continue
		}
		for j, item := range items {
			out = append(out, unit{data: item, document: i + 1, item: j + 1})
		}
	}
	return out
}

// listItems returns the items of a document that is a v1 List, each as JSON; false for any
// other document, which is decoded as an object (and any problem reported there).
func listItems(doc []byte) ([][]byte, bool) {
	var list struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Items      []json.RawMessage `json:"items"`
	}
	if err := yaml.Unmarshal(doc, &list); err != nil || list.APIVersion != "v1" || list.Kind != "List" {
		return nil, false
	}
	items := make([][]byte, len(list.Items))
	for i, item := range list.Items {
		items[i] = item
	}
	return items, true
}

// fromUTF16 converts input that starts with a UTF-16 byte-order mark (what Windows PowerShell
// 5.1 writes with ">") to UTF-8, as kubectl does; other input is returned as it is.
func fromUTF16(data []byte) ([]byte, error) {
	if !bytes.HasPrefix(data, []byte{0xFE, 0xFF}) && !bytes.HasPrefix(data, []byte{0xFF, 0xFE}) {
		return data, nil
	}
	out, err := text.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("reading UTF-16 input (it starts with a byte-order mark): %w", err)
	}
	return out, nil
}

// recoverPanics is true unless FuzzDecode wants panics to surface with their stack.
var recoverPanics = true

// splitDocuments splits a YAML stream at its "---" separator lines, the way kubectl does.
func splitDocuments(data []byte) ([][]byte, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("splitting YAML documents: %w", err)
		}
		docs = append(docs, doc)
	}
}
