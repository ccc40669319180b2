package decode

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// validationNamespace stands in for the namespace kubectl adds from its context when a
// namespaced object has none: the API server only ever validates objects with a namespace.
const validationNamespace = "default"

// decodeDocument decodes, defaults and validates one YAML document the way the API server
// handles a create with strict field validation, and converts it to a UCDeployment. It
// returns nil, nil for an empty document (only comments or whitespace). The returned
// DocumentError has every problem of the document; its File and Document are left to the
// caller.
func (s *crdSchema) decodeDocument(doc []byte) (obj *v1alpha1.UCDeployment, docErr *DocumentError) {
	docErr = &DocumentError{}
	defer func() {
		// Last line of defence, per document so that the other documents still get checked.
		if !recoverPanics {
			return
		}
		if r := recover(); r != nil {
			obj = nil
			docErr.Errs = append(docErr.Errs, documentProblem("internal error while decoding: %v", r))
		}
	}()

	content, errs, empty := parseDocument(doc)
	if empty {
		return nil, nil
	}
	docErr.Errs = errs
	if content == nil {
		return nil, docErr
	}
	u := &unstructured.Unstructured{Object: content}
	docErr.APIVersion, docErr.Kind, docErr.Name = stringField(content, "apiVersion"), stringField(content, "kind"), nestedString(content, "metadata", "name")
	if typeErrs := validateTypeMeta(content); len(typeErrs) > 0 {
		// Another kind's schema does not apply: stop here, as the server's validator does.
		docErr.Errs = append(docErr.Errs, typeErrs...)
		return nil, docErr
	}

	docErr.Errs = append(docErr.Errs, s.coerce(u)...)
	s.prepareForCreate(u)
	// The API server's errors, with its type errors said for people (explainTypes).
	docErr.Errs = append(docErr.Errs, explainTypes(s.validate(context.Background(), u), u.Object)...)
	if len(docErr.Errs) > 0 {
		return nil, docErr
	}

	obj = &v1alpha1.UCDeployment{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, obj); err != nil {
		docErr.Errs = append(docErr.Errs, documentProblem("converting to a UCDeployment: %v", err))
		return nil, docErr
	}
	return obj, nil
}

// parseDocument converts one YAML (or JSON) document to a JSON object with the number
// handling of the API server (integers as int64, other numbers as float64). Duplicate keys are
// reported like the server's strict decoding reports them, and the document is decoded as if
// the last occurrence won. It reports empty documents, and returns a nil object when the
// document cannot be decoded at all.
func parseDocument(doc []byte) (content map[string]any, errs field.ErrorList, empty bool) {
	if err := checkEncoding(doc); err != nil {
		return nil, field.ErrorList{err}, false
	}
	if err := checkJSON(doc); err != nil {
		return nil, field.ErrorList{err}, false
	}
	jsonDoc, strictErr := yaml.YAMLToJSONStrict(doc)
	if strictErr != nil {
		var err error
		if jsonDoc, err = yaml.YAMLToJSON(doc); err != nil {
			return nil, field.ErrorList{documentProblem("invalid YAML: %s", oneLine(err.Error()))}, false
		}
		// Only strict decoding failed: duplicate keys.
		errs = append(errs, documentProblem("%s", oneLine(strictErr.Error())))
	}
	if len(jsonDoc) > MaxInputBytes {
		return nil, append(errs, documentProblem("the document is %d bytes as JSON, more than the %d bytes (3 MiB) the API server accepts",
			len(jsonDoc), MaxInputBytes)), false
	}
	trimmed := bytes.TrimSpace(jsonDoc)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		// kubectl skips documents that hold nothing, e.g. only comments.
		return nil, errs, len(errs) == 0
	}
	if what := nonObjectKind(trimmed[0]); what != "" {
		return nil, append(errs, documentProblem(
			"the document is %s, not a Kubernetes object (a mapping with apiVersion, kind, metadata and spec)", what)), false
	}
	strictErrs, err := kjson.UnmarshalStrict(jsonDoc, &content)
	if err != nil || content == nil {
		return nil, append(errs, documentProblem("the document is not a Kubernetes object: %v", err)), false
	}
	for _, strictErr := range strictErrs {
		errs = append(errs, documentProblem("%s", oneLine(strictErr.Error())))
	}
	return content, errs, false
}

// checkEncoding names the first byte of doc that is not UTF-8, or a NUL byte, by its offset in
// the document: the YAML parser's own message says neither where nor what.
func checkEncoding(doc []byte) *field.Error {
	for i := 0; i < len(doc); {
		r, size := utf8.DecodeRune(doc[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return documentProblem("invalid UTF-8 at byte %d of the document (byte 0x%02x): save the file as UTF-8", i, doc[i])
		case r == 0:
			return documentProblem("a NUL byte at byte %d of the document: the file is binary or not UTF-8 (UTF-16 needs its byte-order mark)", i)
		}
		i += size
	}
	return nil
}

// checkJSON reads a document that starts with "{" as JSON, as kubectl does (its YAML-or-JSON
// decoder sniffs the first character): YAML would accept what JSON refuses, such as a trailing
// comma. It returns nil for valid JSON and for any other document.
func checkJSON(doc []byte) *field.Error {
	trimmed := bytes.TrimLeft(doc, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil
	}
	var v json.RawMessage
	err := json.Unmarshal(trimmed, &v)
	var syntax *json.SyntaxError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &syntax):
		offset := int(syntax.Offset) + len(doc) - len(trimmed)
		return documentProblem("invalid JSON at byte %d of the document: %v (a document starting with { is read as JSON, as kubectl reads it)", offset, err)
	}
	return documentProblem("invalid JSON: %v (a document starting with { is read as JSON, as kubectl reads it)", err)
}

// nonObjectKind names the kind of the JSON value that starts with first, or returns "" for an
// object.
func nonObjectKind(first byte) string {
	switch first {
	case '{':
		return ""
	case '[':
		return "a list"
	case '"':
		return "a string"
	default:
		return "a scalar"
	}
}

// oneLine joins a multi-line message (YAML errors list one problem per line) into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// validateTypeMeta checks apiVersion and kind, like the custom resource validator of the API
// server does before anything else.
func validateTypeMeta(content map[string]any) field.ErrorList {
	var errs field.ErrorList
	for _, want := range []struct{ key, value string }{
		{"apiVersion", kind.GroupVersion().String()},
		{"kind", kind.Kind},
	} {
		fldPath := field.NewPath(want.key)
		got := content[want.key]
		switch value, isString := got.(string); {
		case got != nil && !isString:
			errs = append(errs, field.Invalid(fldPath, got, "must be the string "+want.value))
		case value == "":
			errs = append(errs, field.Required(fldPath, "must be "+want.value))
		case value != want.value:
			errs = append(errs, field.Invalid(fldPath, value, "must be "+want.value))
		}
	}
	return errs
}

// coerce does what the API server's schema-coercing decoder does after JSON decoding, with
// strict field validation: it decodes the ObjectMeta, prunes every field the structural schema
// does not know, drops nulls that are neither nullable nor defaulted, and checks the embedded
// ObjectMeta and TypeMeta. Unlike the server, which stops at the first malformed metadata or
// reports unknown fields alone, it returns all of these problems and carries on, so that the
// rest of the document is still validated.
func (s *crdSchema) coerce(u *unstructured.Unstructured) field.ErrorList {
	var errs field.ErrorList
	apiVersion, kindName := u.GetAPIVersion(), u.GetKind()

	metaOpts := schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true}
	objectMeta, foundMeta, unknown, err := schemaobjectmeta.GetObjectMetaWithOptions(u.Object, metaOpts)
	if err != nil {
		errs = append(errs, &field.Error{
			Type:     field.ErrorTypeTypeInvalid,
			Field:    "metadata",
			BadValue: field.OmitValueType{},
			Detail:   oneLine(err.Error()),
		})
		// Keep what can be read, as the server does for objects read from storage.
		metaOpts.DropMalformedFields = true
		objectMeta, foundMeta, unknown, err = schemaobjectmeta.GetObjectMetaWithOptions(u.Object, metaOpts)
		if err != nil { // metadata is not even an object
			objectMeta, foundMeta = nil, false
		}
	}

	pruneOpts := structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}
	unknown = append(unknown, structuralpruning.PruneWithOptions(u.Object, s.structural, true, pruneOpts)...)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(u.Object, s.structural)
	coerceErr, unknownEmbedded := schemaobjectmeta.CoerceWithOptions(nil, u.Object, s.structural, false,
		schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	unknown = append(unknown, unknownEmbedded...)
	for _, p := range unknown {
		errs = append(errs, &field.Error{
			Type:   field.ErrorTypeForbidden,
			Field:  p,
			Detail: unknownFieldDetail(s.structural, p),
			Origin: originUnknownField,
		})
	}
	if coerceErr != nil {
		errs = append(errs, coerceErr)
	}

	// Restore the type and object meta, starting clean.
	u.SetAPIVersion(apiVersion)
	u.SetKind(kindName)
	if !foundMeta {
		objectMeta = nil
	}
	if err := schemaobjectmeta.SetObjectMeta(u.Object, objectMeta); err != nil {
		errs = append(errs, field.InternalError(field.NewPath("metadata"), err))
	}
	return errs
}

// prepareForCreate applies what the API server applies to a decoded custom resource before it
// validates a create: the CRD's structural defaults (the decoder's defaulting step), and the
// removal of status when the status subresource is enabled (the strategy's PrepareForCreate).
func (s *crdSchema) prepareForCreate(u *unstructured.Unstructured) {
	structuraldefaulting.Default(u.Object, s.structural)
	if s.statusSubresource {
		delete(u.Object, "status")
	}
}

// validate runs the API server's create validation of a decoded and defaulted custom resource,
// in the server's order (customresource strategy Validate, then rest.BeforeCreate's path
// segment check of the name):
//
//  1. ObjectMeta: name a DNS-1123 subdomain, labels, annotations, ...;
//  2. the OpenAPI v3 schema: types, required fields, enums, bounds, lengths, patterns, formats;
//  3. embedded ObjectMeta and TypeMeta (x-kubernetes-embedded-resource);
//  4. x-kubernetes-list-type set and map uniqueness;
//  5. the x-kubernetes-validations CEL rules within the server's runtime cost budget, unless
//     the errors so far make that pointless (wrong types, missing or unsupported values, values
//     too long or too many), which the server reports with one error instead.
//
// A namespaced object without a namespace is validated in namespace "default", the namespace
// kubectl would send it with unless told otherwise; the namespace is left empty afterwards.
func (s *crdSchema) validate(ctx context.Context, u *unstructured.Unstructured) field.ErrorList {
	metaPath := field.NewPath("metadata")
	if s.namespaced && u.GetNamespace() == "" {
		u.SetNamespace(validationNamespace)
		defer u.SetNamespace("")
	}

	var errs field.ErrorList
	errs = append(errs, apivalidation.ValidateObjectMetaAccessor(u, s.namespaced, apivalidation.NameIsDNSSubdomain, metaPath)...)
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, u.Object, s.openAPI)...)
	errs = append(errs, schemaobjectmeta.Validate(nil, u.Object, s.structural, false)...)
	errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, s.structural, u.Object)...)
	if s.cel != nil {
		if blocksCEL(errs) {
			errs = append(errs, documentProblem(
				"some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"))
		} else {
			celErrs, _ := s.cel.Validate(ctx, nil, s.structural, u.Object, nil, celconfig.RuntimeCELCostBudget)
			errs = append(errs, celErrs...)
		}
	}
	if len(errs) == 0 {
		errs = apivalidation.ValidateObjectMetaAccessor(u, s.namespaced, pathSegmentName, metaPath)
	}
	return errs
}

// blocksCEL reports whether errs has an error after which the API server does not evaluate
// CEL rules: the rules may assume the schema's types, required fields, enums and size limits.
func blocksCEL(errs field.ErrorList) bool {
	for _, e := range errs {
		switch e.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong,
			field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}

// stringField returns content[key] if it is a string, else "".
func stringField(content map[string]any, key string) string {
	s, _ := content[key].(string)
	return s
}

// nestedString returns the string at the path of keys in content, or "" if there is none.
func nestedString(content map[string]any, keys ...string) string {
	s, _, err := unstructured.NestedString(content, keys...)
	if err != nil {
		return ""
	}
	return s
}

// pathSegmentName is the name rule the API server applies to custom resources: the name (or,
// for generateName, the prefix) must be usable as one segment of a URL path.
func pathSegmentName(name string, prefix bool) []string {
	if prefix {
		return content.IsPathSegmentPrefix(name)
	}
	return content.IsPathSegmentName(name)
}
