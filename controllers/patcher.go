package controllers

import (
	"context"
	"fmt"
	"net/http"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// Patcher sends the controller's patches (server-side apply of children, merge patches of status)
// without decoding the object the API server answers with: the controller reads every object back
// through its cache, so decoding the answers is wasted CPU (docs/performance.md, "Round 2"). Errors
// are decoded as usual, so apierrors.IsConflict and the like work.
type Patcher struct {
	client rest.Interface
	mapper meta.RESTMapper
}

// NewPatcher returns a Patcher that talks to the API server of cfg through httpClient (the
// manager's, to share its connections) and finds resources with mapper.
func NewPatcher(cfg *rest.Config, httpClient *http.Client, mapper meta.RESTMapper) (*Patcher, error) {
	c := rest.CopyConfig(cfg)
	c.NegotiatedSerializer = clientgoscheme.Codecs.WithoutConversion() // decodes error Status bodies
	rc, err := rest.UnversionedRESTClientForConfigAndClient(c, httpClient)
	if err != nil {
		return nil, fmt.Errorf("building the patch client: %w", err)
	}
	return &Patcher{client: rc, mapper: mapper}, nil
}

// patchRequest is one patch: of type pt, with body data, to the object gvk namespace/name or its
// subresource, with the given query parameters.
type patchRequest struct {
	gvk             schema.GroupVersionKind
	namespace, name string
	subresource     string
	pt              types.PatchType
	data            []byte
	params          map[string]string
}

// patch sends p and discards the answer's body unless it is an error.
func (pc *Patcher) patch(ctx context.Context, p patchRequest) error {
	m, err := pc.mapper.RESTMapping(p.gvk.GroupKind(), p.gvk.Version)
	if err != nil {
		return fmt.Errorf("finding the resource of %s: %w", p.gvk, err)
	}
	path := []string{"/apis", p.gvk.Group, p.gvk.Version}
	if p.gvk.Group == "" {
		path = []string{"/api", p.gvk.Version}
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		path = append(path, "namespaces", p.namespace)
	}
	path = append(path, m.Resource.Resource, p.name)
	if p.subresource != "" {
		path = append(path, p.subresource)
	}
	req := pc.client.Patch(p.pt).AbsPath(path...).Body(p.data)
	for k, v := range p.params {
		req = req.Param(k, v)
	}
	return req.Do(ctx).Error()
}
