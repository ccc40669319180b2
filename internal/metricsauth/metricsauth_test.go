package metricsauth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	authnclient "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authzclient "k8s.io/client-go/kubernetes/typed/authorization/v1"
	"k8s.io/client-go/rest"
)

// apiServer answers TokenReviews (the token "reader" and "nobody" are users, anything else is not)
// and SubjectAccessReviews (only "reader" may get /metrics), over real HTTP, and counts reviews.
type apiServer struct{ reviews atomic.Int32 }

func (a *apiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.reviews.Add(1)
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/apis/authentication.k8s.io/v1/tokenreviews":
		var tr authnv1.TokenReview
		if err := json.NewDecoder(r.Body).Decode(&tr); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if tr.Spec.Token == "reader" || tr.Spec.Token == "nobody" {
			tr.Status = authnv1.TokenReviewStatus{Authenticated: true, User: authnv1.UserInfo{Username: tr.Spec.Token, Groups: []string{"g"}}}
		}
		_ = json.NewEncoder(w).Encode(tr)
	case "/apis/authorization.k8s.io/v1/subjectaccessreviews":
		var sar authzv1.SubjectAccessReview
		if err := json.NewDecoder(r.Body).Decode(&sar); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		na := sar.Spec.NonResourceAttributes
		sar.Status.Allowed = sar.Spec.User == "reader" && na != nil && na.Path == "/metrics" && na.Verb == "get"
		_ = json.NewEncoder(w).Encode(sar)
	default:
		http.NotFound(w, r)
	}
}

// TestFilter (issue 29 item 10): the metrics answer a token the API server authenticates and
// authorises to get /metrics; no token is 401, an unknown token 401, a user without the right 403;
// a decision is remembered, so repeated scrapes cost no further review.
func TestFilter(t *testing.T) {
	api := &apiServer{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	cfg := &rest.Config{Host: srv.URL, ContentConfig: rest.ContentConfig{ContentType: "application/json"}} // the stand-in speaks JSON
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	filter, err := Provider(cfg, hc)
	if err != nil {
		t.Fatal(err)
	}
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ucdeploy_findings 1\n")) })
	h, err := filter(logr.Discard(), metrics)
	if err != nil {
		t.Fatal(err)
	}
	scrape := func(token, path string) int {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	for _, tc := range []struct {
		token, path string
		want        int
	}{
		{"", "/metrics", http.StatusUnauthorized},
		{"forged", "/metrics", http.StatusUnauthorized},
		{"nobody", "/metrics", http.StatusForbidden},
		{"reader", "/metrics", http.StatusOK},
		{"reader", "/debug", http.StatusForbidden},
	} {
		if got := scrape(tc.token, tc.path); got != tc.want {
			t.Errorf("token %q %s: %d, want %d", tc.token, tc.path, got, tc.want)
		}
	}
	before := api.reviews.Load()
	for range 5 {
		if got := scrape("reader", "/metrics"); got != http.StatusOK {
			t.Fatalf("repeat: %d", got)
		}
	}
	if after := api.reviews.Load(); after != before {
		t.Errorf("%d reviews for five repeated scrapes, want 0 (decisions are kept %s)", after-before, allowedTTL)
	}
}

// TestDecisionsExpire: a kept decision is asked again once its time is over, and a denial is kept
// for less time than a grant.
func TestDecisionsExpire(t *testing.T) {
	api := &apiServer{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	cfg := &rest.Config{Host: srv.URL, ContentConfig: rest.ContentConfig{ContentType: "application/json"}} // the stand-in speaks JSON
	hc, _ := rest.HTTPClientFor(cfg)
	now := time.Unix(0, 0)
	g := &guard{cache: map[[32]byte]decision{}, now: func() time.Time { return now }}
	g.reviews, g.access = reviewClients(t, cfg, hc)
	ctx := t.Context()
	if s, err := g.decide(ctx, "nobody", "/metrics", "get"); err != nil || s != http.StatusForbidden {
		t.Fatalf("%d %v", s, err)
	}
	n := api.reviews.Load()
	now = now.Add(deniedTTL + time.Second)
	if _, err := g.decide(ctx, "nobody", "/metrics", "get"); err != nil || api.reviews.Load() == n {
		t.Errorf("a denial older than %s was not asked again (%v)", deniedTTL, err)
	}
}

// reviewClients are the two review clients of cfg.
func reviewClients(t *testing.T, cfg *rest.Config, hc *http.Client) (authnclient.TokenReviewInterface, authzclient.SubjectAccessReviewInterface) {
	t.Helper()
	authn, err := authnclient.NewForConfigAndClient(cfg, hc)
	if err != nil {
		t.Fatal(err)
	}
	authz, err := authzclient.NewForConfigAndClient(cfg, hc)
	if err != nil {
		t.Fatal(err)
	}
	return authn.TokenReviews(), authz.SubjectAccessReviews()
}
