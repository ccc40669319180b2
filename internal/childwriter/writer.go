// Package childwriter is how ucdeploy writes the objects it owns (server-side apply of its
// children, merge patches of a UCDeployment's status) and how its cache stores them. The two
// belong together: the cache keeps DNS ConfigMaps in a digested form (cache.go) that only
// DataUpToDate can compare, and the writer skips decoding the API server's answers because the
// controller reads every object back through that cache. docs/performance.md ("Round 2") has the
// measurements behind each choice.
package childwriter

import (
	"context"
	"fmt"
	"net/http"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldOwner is the server-side apply field manager of every object ucdeploy writes.
const FieldOwner = "ucdeploy"

// createOnlyResourceVersion is the precondition of a create-only apply. An apply that creates an
// object ignores resourceVersion; one that updates must match it, and no namespaced object can be
// at version 1 (the cluster's first write precedes every namespace), so the apply creates the
// object or fails with a conflict and writes nothing. TestCreateOnly checks both halves against a
// real API server.
const createOnlyResourceVersion = "1"

// Mode says what an apply may do.
type Mode int

const (
	// CreateOrUpdate creates the object or takes over the fields ucdeploy sets on it.
	CreateOrUpdate Mode = iota
	// CreateOnly creates the object, or fails with a Conflict error when one of that name exists.
	CreateOnly
)

// FieldValidation is the field validation every write asks for: Ignore. The API server's default
// (Warn) decodes each body a second time, strictly, to report unknown and duplicate fields, and
// for a server-side apply that second pass parses YAML; ucdeploy's bodies are encoded from Go
// types by this program, so the pass can find nothing and only costs the API server CPU
// (docs/performance.md, round 3). Values the schema does not know are still pruned.
const FieldValidation = metav1.FieldValidationIgnore

// Options choose how the Writer talks to the API server.
type Options struct {
	// Decoding sends every write through controller-runtime's client, which decodes the object
	// the API server answers with; its applies cannot ask for FieldValidation. The default sends
	// raw requests and reads only errors.
	Decoding bool
}

// Writer sends ucdeploy's writes.
type Writer struct {
	raw     rest.Interface
	mapper  meta.RESTMapper
	client  client.Client
	decoder bool
}

// New returns a Writer for the API server of cfg that shares httpClient's connections and finds
// resources with mapper; c is used when opts.Decoding is set.
func New(cfg *rest.Config, httpClient *http.Client, mapper meta.RESTMapper, c client.Client, opts Options) (*Writer, error) {
	rc := rest.CopyConfig(cfg)
	rc.NegotiatedSerializer = clientgoscheme.Codecs.WithoutConversion() // decodes error Status bodies
	raw, err := rest.UnversionedRESTClientForConfigAndClient(rc, httpClient)
	if err != nil {
		return nil, fmt.Errorf("building the write client: %w", err)
	}
	return &Writer{raw: raw, mapper: mapper, client: c, decoder: opts.Decoding}, nil
}

// Apply sends obj as a server-side apply owned by FieldOwner, taking over fields other managers
// set (drift is repaired, not negotiated). Status and creationTimestamp are never sent.
func (w *Writer) Apply(ctx context.Context, obj client.Object, mode Mode) error {
	u, err := Content(obj)
	if err != nil {
		return err
	}
	if mode == CreateOnly {
		u.SetResourceVersion(createOnlyResourceVersion)
	}
	if w.decoder {
		err = w.client.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldOwner), client.ForceOwnership)
	} else {
		err = w.applyRaw(ctx, u)
	}
	if err != nil {
		return fmt.Errorf("applying %s %s: %w", u.GetKind(), u.GetName(), err)
	}
	return nil
}

func (w *Writer) applyRaw(ctx context.Context, u *unstructured.Unstructured) error {
	data, err := u.MarshalJSON()
	if err != nil {
		return fmt.Errorf("encoding: %w", err)
	}
	req, err := w.request(types.ApplyPatchType, u.GroupVersionKind(), u.GetNamespace(), u.GetName(), "")
	if err != nil {
		return err
	}
	return req.Param("fieldManager", FieldOwner).Param("force", "true").Body(data).Do(ctx).Error()
}

// PatchStatus sends a JSON merge patch of obj's status subresource.
func (w *Writer) PatchStatus(ctx context.Context, obj client.Object, patch []byte) error {
	var err error
	if w.decoder {
		err = w.client.Status().Patch(ctx, obj, client.RawPatch(types.MergePatchType, patch), client.FieldValidation(FieldValidation))
	} else {
		var gvk schema.GroupVersionKind
		if gvk, err = w.client.GroupVersionKindFor(obj); err == nil {
			var req *rest.Request
			if req, err = w.request(types.MergePatchType, gvk, obj.GetNamespace(), obj.GetName(), "status"); err == nil {
				err = req.Body(patch).Do(ctx).Error()
			}
		}
	}
	if err != nil {
		return fmt.Errorf("patching the status of %s: %w", obj.GetName(), err)
	}
	return nil
}

// request builds a PATCH of the object gvk namespace/name (or its subresource) asking for
// FieldValidation: the one place that knows the API server's paths.
func (w *Writer) request(pt types.PatchType, gvk schema.GroupVersionKind, namespace, name, subresource string) (*rest.Request, error) {
	m, err := w.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("finding the resource of %s: %w", gvk, err)
	}
	req := w.raw.Patch(pt).Prefix(apiPrefix(gvk)...)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		req = req.Namespace(namespace)
	}
	req = req.Resource(m.Resource.Resource).Name(name).Param("fieldValidation", FieldValidation)
	if subresource != "" {
		req = req.SubResource(subresource)
	}
	return req, nil
}

func apiPrefix(gvk schema.GroupVersionKind) []string {
	if gvk.Group == "" {
		return []string{"/api", gvk.Version}
	}
	return []string{"/apis", gvk.Group, gvk.Version}
}

// Content returns what ucdeploy sends to server-side apply for obj: a copy of it without status
// and creationTimestamp, which an applier must not claim.
func Content(obj client.Object) (*unstructured.Unstructured, error) {
	var content map[string]any
	if u, ok := obj.(*unstructured.Unstructured); ok {
		content = u.DeepCopy().Object // ToUnstructured would return u's own map
	} else {
		var err error
		if content, err = runtime.DefaultUnstructuredConverter.ToUnstructured(obj); err != nil {
			return nil, fmt.Errorf("converting %s: %w", obj.GetName(), err)
		}
	}
	delete(content, "status")
	unstructured.RemoveNestedField(content, "metadata", "creationTimestamp")
	return &unstructured.Unstructured{Object: content}, nil
}
