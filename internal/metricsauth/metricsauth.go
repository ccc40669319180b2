// Package metricsauth guards the manager's metrics endpoint: each scraper's bearer token is
// reviewed by the API server (TokenReview) and its permission to get the path is asked
// (SubjectAccessReview), as kube-rbac-proxy and controller-runtime's filter do. It uses client-go's
// typed clients only: controller-runtime's filter goes through k8s.io/apiserver's authenticators,
// which link CEL into the manager binary and cost every manager about 10 MB of resident memory
// (test/architecture TestManagerBinaryStaysLean).
package metricsauth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authnclient "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authzclient "k8s.io/client-go/kubernetes/typed/authorization/v1"
	"k8s.io/client-go/rest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// Decisions are kept this long, so that a scraper every few seconds costs two reviews a minute.
const (
	allowedTTL = time.Minute
	deniedTTL  = 10 * time.Second
	// maxCached bounds the cache; when it is full, it is emptied.
	maxCached = 1024
	// reviewTimeout bounds the two reviews of one request.
	reviewTimeout = 10 * time.Second
)

// Provider is a metricsserver.Options.FilterProvider: it returns the filter that lets through only
// requests whose token the API server authenticates and whose user may get the requested path.
func Provider(c *rest.Config, hc *http.Client) (metricsserver.Filter, error) {
	authn, err := authnclient.NewForConfigAndClient(c, hc)
	if err != nil {
		return nil, fmt.Errorf("metrics authentication client: %w", err)
	}
	authz, err := authzclient.NewForConfigAndClient(c, hc)
	if err != nil {
		return nil, fmt.Errorf("metrics authorization client: %w", err)
	}
	g := &guard{reviews: authn.TokenReviews(), access: authz.SubjectAccessReviews(), now: time.Now, cache: map[[32]byte]decision{}}
	return g.filter, nil
}

// guard decides and remembers who may read the metrics.
type guard struct {
	reviews authnclient.TokenReviewInterface
	access  authzclient.SubjectAccessReviewInterface
	now     func() time.Time

	mu    sync.Mutex
	cache map[[32]byte]decision
}

// decision is a remembered answer: the HTTP status to give (0 lets the request through).
type decision struct {
	status  int
	expires time.Time
}

// filter wraps the metrics handler.
func (g *guard) filter(log logr.Logger, next http.Handler) (http.Handler, error) {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			http.Error(w, "Unauthorized: a bearer token is required", http.StatusUnauthorized)
			return
		}
		status, err := g.decide(r.Context(), token, r.URL.Path, verb(r.Method))
		if err != nil {
			log.Error(err, "reviewing a metrics request")
			http.Error(w, "the request could not be reviewed", http.StatusInternalServerError)
			return
		}
		if status != 0 {
			http.Error(w, http.StatusText(status), status)
			return
		}
		next.ServeHTTP(w, r)
	}), nil
}

// verb is the Kubernetes verb of an HTTP method on a non-resource path.
func verb(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead:
		return "get"
	case http.MethodPost:
		return "post"
	case http.MethodPut:
		return "put"
	case http.MethodDelete:
		return "delete"
	}
	return strings.ToLower(method)
}

// decide returns 0 when the token's user may use verb on path, else 401 or 403; remembered.
func (g *guard) decide(ctx context.Context, token, path, verb string) (int, error) {
	key := sha256.Sum256([]byte(verb + " " + path + " " + token))
	now := g.now()
	g.mu.Lock()
	d, ok := g.cache[key]
	g.mu.Unlock()
	if ok && now.Before(d.expires) {
		return d.status, nil
	}
	ctx, cancel := context.WithTimeout(ctx, reviewTimeout)
	defer cancel()
	status, err := g.review(ctx, token, path, verb)
	if err != nil {
		return 0, err
	}
	ttl := allowedTTL
	if status != 0 {
		ttl = deniedTTL
	}
	g.mu.Lock()
	if len(g.cache) >= maxCached {
		clear(g.cache)
	}
	g.cache[key] = decision{status: status, expires: now.Add(ttl)}
	g.mu.Unlock()
	return status, nil
}

// review asks the API server who the token is and whether that user may use verb on path.
func (g *guard) review(ctx context.Context, token, path, verb string) (int, error) {
	tr, err := g.reviews.Create(ctx, &authnv1.TokenReview{Spec: authnv1.TokenReviewSpec{Token: token}}, metav1.CreateOptions{})
	if err != nil {
		return 0, fmt.Errorf("token review: %w", err)
	}
	if !tr.Status.Authenticated {
		return http.StatusUnauthorized, nil
	}
	u := tr.Status.User
	extra := make(map[string]authzv1.ExtraValue, len(u.Extra))
	for k, v := range u.Extra {
		extra[k] = authzv1.ExtraValue(v)
	}
	sar, err := g.access.Create(ctx, &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
		User: u.Username, UID: u.UID, Groups: u.Groups, Extra: extra,
		NonResourceAttributes: &authzv1.NonResourceAttributes{Path: path, Verb: verb},
	}}, metav1.CreateOptions{})
	if err != nil {
		return 0, fmt.Errorf("subject access review: %w", err)
	}
	if !sar.Status.Allowed {
		return http.StatusForbidden, nil
	}
	return 0, nil
}
