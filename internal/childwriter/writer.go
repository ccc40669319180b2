// Package childwriter is how ucdeploy writes the objects it owns (creates and server-side applies
// of its children, merge patches of a UCDeployment's status) and how its cache stores them. The two
// belong together: the cache keeps DNS ConfigMaps in a digested form (cache.go) that only
// DataUpToDate can compare, and the writer skips decoding the API server's answers because the
// controller reads every object back through that cache. docs/performance.md ("Round 2") has the
// measurements behind each choice.
package childwriter

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/csaupgrade"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldOwner is the server-side apply field manager of every object ucdeploy writes.
const FieldOwner = "ucdeploy"

// FieldValidation is the field validation every write asks for: Ignore. The API server's default
// (Warn) decodes each body a second time, strictly, to report unknown and duplicate fields, and
// for a server-side apply that second pass parses YAML; ucdeploy's bodies are encoded from Go
// types by this program, so the pass can find nothing and only costs the API server CPU
// (docs/performance.md, round 3). Values the schema does not know are still pruned.
const FieldValidation = metav1.FieldValidationIgnore

// Options choose how the Writer talks to the API server.
type Options struct {
	// Decoding sends every create, apply and status patch through controller-runtime's client,
	// which decodes the object the API server answers with; its applies cannot ask for
	// FieldValidation. The default sends raw requests and reads only errors. Apply's adoption of
	// a created object's fields (a read and a JSON patch, once per object) is raw either way.
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
	// Bodies are JSON whatever cfg prefers: Create posts JSON and adopt decodes JSON.
	rc.ContentType, rc.AcceptContentTypes = runtime.ContentTypeJSON, runtime.ContentTypeJSON
	raw, err := rest.UnversionedRESTClientForConfigAndClient(rc, httpClient)
	if err != nil {
		return nil, fmt.Errorf("building the write client: %w", err)
	}
	return &Writer{raw: raw, mapper: mapper, client: c, decoder: opts.Decoding}, nil
}

// Create sends obj as a POST owned by FieldOwner: the cheapest write that makes an object (a
// server-side apply costs the API server more, docs/performance.md, round 3). It fails with an
// AlreadyExists error, and writes nothing, when the name is taken. The fields it sets are owned by
// FieldOwner's Update entry, which Apply adopts before it applies over them. Status and
// creationTimestamp are never sent.
func (w *Writer) Create(ctx context.Context, obj client.Object) error {
	u, err := content(obj)
	if err != nil {
		return err
	}
	if w.decoder {
		err = w.client.Create(ctx, u, client.FieldOwner(FieldOwner), client.FieldValidation(FieldValidation))
	} else {
		var data []byte
		if data, err = u.MarshalJSON(); err == nil {
			err = w.send(ctx, w.raw.Post().Param("fieldManager", FieldOwner), u.GroupVersionKind(), u.GetNamespace(), "", "", data)
		}
	}
	if err != nil {
		return fmt.Errorf("creating %s %s: %w", u.GetKind(), u.GetName(), err)
	}
	return nil
}

// Apply sends obj as a server-side apply owned by FieldOwner, taking over fields other managers
// set (drift is repaired, not negotiated). live is the object as last read, from the cache or the
// API server (nil when there is none): when it shows that Create made the object, Apply first
// adopts the fields the create claimed, so that a field the plan no longer sends is removed.
// Status and creationTimestamp are never sent.
func (w *Writer) Apply(ctx context.Context, obj, live client.Object) error {
	u, err := content(obj)
	if err != nil {
		return err
	}
	if live != nil && created(live.GetManagedFields()) {
		err = w.adopt(ctx, u.GroupVersionKind(), u.GetNamespace(), u.GetName())
	}
	if err == nil {
		if w.decoder {
			err = w.client.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldOwner), client.ForceOwnership)
		} else {
			err = w.applyRaw(ctx, u)
		}
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
	req := w.raw.Patch(types.ApplyPatchType).Param("fieldManager", FieldOwner).Param("force", "true")
	return w.send(ctx, req, u.GroupVersionKind(), u.GetNamespace(), u.GetName(), "", data)
}

// created reports whether managed fields hold FieldOwner's Update entry: the fields Create set.
func created(mf []metav1.ManagedFieldsEntry) bool {
	return slices.ContainsFunc(mf, isCreateEntry)
}

// isCreateEntry reports whether f is FieldOwner's Update entry, which Create makes and Apply
// adopts; the cache keeps it (CacheTransform) so that Apply can tell.
func isCreateEntry(f metav1.ManagedFieldsEntry) bool {
	return f.Manager == FieldOwner && f.Operation == metav1.ManagedFieldsOperationUpdate
}

// adopt moves the fields FieldOwner's Update entry holds into its Apply entry. Server-side apply
// tells an Apply entry from an Update entry of the same manager, and removes a field the applier
// stops sending only when no other entry owns it: without this, every field Create set would
// stay for good. It reads the object's managed fields from the API server (the cache keeps only
// ucdeploy's) and replaces them with client-go's CSA-to-SSA upgrade, guarded by the
// resourceVersion it read; the write happens once per object, before its first apply.
func (w *Writer) adopt(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) error {
	req, err := w.request(w.raw.Get(), gvk, namespace, name, "")
	if err != nil {
		return err
	}
	data, err := req.Do(ctx).Raw()
	if err != nil {
		return fmt.Errorf("reading managed fields: %w", err)
	}
	live := &unstructured.Unstructured{}
	if err := live.UnmarshalJSON(data); err != nil {
		return fmt.Errorf("decoding managed fields: %w", err)
	}
	patch, err := csaupgrade.UpgradeManagedFieldsPatch(live, sets.New(FieldOwner), FieldOwner)
	if err != nil || patch == nil {
		return err
	}
	if err := w.send(ctx, w.raw.Patch(types.JSONPatchType), gvk, namespace, name, "", patch); err != nil {
		return fmt.Errorf("adopting the created fields: %w", err)
	}
	return nil
}

// RemoveDataKeys removes keys from the data of the ConfigMap cm, whoever set them, with a JSON
// merge patch guarded by cm's resourceVersion (a ConfigMap changed since it was read is left to
// the next reconcile).
func (w *Writer) RemoveDataKeys(ctx context.Context, cm *corev1.ConfigMap, keys []string) error {
	data := make(map[string]any, len(keys))
	for _, k := range keys {
		data[k] = nil
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"resourceVersion": cm.ResourceVersion}, "data": data})
	if err != nil {
		return fmt.Errorf("encoding: %w", err)
	}
	if w.decoder {
		err = w.client.Patch(ctx, cm.DeepCopy(), client.RawPatch(types.MergePatchType, patch), client.FieldOwner(FieldOwner))
	} else {
		err = w.send(ctx, w.raw.Patch(types.MergePatchType).Param("fieldManager", FieldOwner), corev1.SchemeGroupVersion.WithKind("ConfigMap"), cm.Namespace, cm.Name, "", patch)
	}
	if err != nil {
		return fmt.Errorf("removing keys %v from ConfigMap %s: %w", keys, cm.Name, err)
	}
	return nil
}

// PatchStatus sends a JSON merge patch of obj's status subresource.
func (w *Writer) PatchStatus(ctx context.Context, obj client.Object, patch []byte) error {
	var err error
	if w.decoder {
		err = w.client.Status().Patch(ctx, obj, client.RawPatch(types.MergePatchType, patch), client.FieldValidation(FieldValidation))
	} else {
		var gvk schema.GroupVersionKind
		if gvk, err = w.client.GroupVersionKindFor(obj); err == nil {
			err = w.send(ctx, w.raw.Patch(types.MergePatchType), gvk, obj.GetNamespace(), obj.GetName(), "status", patch)
		}
	}
	if err != nil {
		return fmt.Errorf("patching the status of %s: %w", obj.GetName(), err)
	}
	return nil
}

// request points req at the object gvk namespace/name (or its subresource; a collection when
// name is empty): the one place that knows the API server's paths. An unknown kind is an error.
func (w *Writer) request(req *rest.Request, gvk schema.GroupVersionKind, namespace, name, subresource string) (*rest.Request, error) {
	m, err := w.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("finding the resource of %s: %w", gvk, err)
	}
	req = req.Prefix(apiPrefix(gvk)...)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		req = req.Namespace(namespace)
	}
	req = req.Resource(m.Resource.Resource)
	if name != "" {
		req = req.Name(name)
	}
	if subresource != "" {
		req = req.SubResource(subresource)
	}
	return req, nil
}

// send sends a write, req, to the object gvk namespace/name (or its subresource; the collection
// when name is empty) with body, asking for FieldValidation.
func (w *Writer) send(ctx context.Context, req *rest.Request, gvk schema.GroupVersionKind, namespace, name, subresource string, body []byte) error {
	req, err := w.request(req, gvk, namespace, name, subresource)
	if err != nil {
		return err
	}
	return req.Param("fieldValidation", FieldValidation).Body(body).Do(ctx).Error()
}

func apiPrefix(gvk schema.GroupVersionKind) []string {
	if gvk.Group == "" {
		return []string{"/api", gvk.Version}
	}
	return []string{"/apis", gvk.Group, gvk.Version}
}

// content returns what ucdeploy sends to server-side apply for obj: a copy of it without status
// and creationTimestamp, which an applier must not claim.
func content(obj client.Object) (*unstructured.Unstructured, error) {
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
