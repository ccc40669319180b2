package controllers_test

import (
	"context"
	"log"
	"net/http"
	"net/netip"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/controllers"
	"github.com/ucdeploy/ucdeploy/internal/lab"
	"github.com/ucdeploy/ucdeploy/internal/lab/labtest"
	"github.com/ucdeploy/ucdeploy/internal/manager"
)

var (
	testLab *lab.Lab
	k8s     client.Client
	// metricsURL is the manager's Prometheus endpoint.
	metricsURL string
	// managerWrites counts the manager's write requests (POST, PUT, PATCH, DELETE).
	managerWrites atomic.Int64
)

// countingTransport counts the write requests that pass through it.
type countingTransport struct{ next http.RoundTripper }

func (c countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	switch req.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		managerWrites.Add(1)
		if os.Getenv("DEBUG_WRITES") != "" {
			log.Printf("write %s %s", req.Method, req.URL.Path)
		}
	}
	return c.next.RoundTrip(req)
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))
	opts := manager.Options{ProbeAddr: "0", MaxConcurrentReconciles: 4, SyncPeriod: 2 * time.Second,
		DNSEndpointRecheck: time.Second,
		// The ClusterIssuers the tests name; TestRefusedClusterIssuer names another.
		AllowedClusterIssuers: []string{"corp-ca", "late-ca", "public-ca"},
		// The tests' named serves on loopback (internal/lab/named).
		DNSVerifyNameservers: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")},
		DNSVerifyPorts:       controllers.AnyPort,
		// The TLS servers of served_test.go listen on loopback; a pass every two seconds lets
		// the tests see a server's change without waiting for the CRD's shortest interval.
		VerifyServedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, VerifyServedMaxInterval: 2 * time.Second}
	var err error
	testLab, err = lab.Start(context.Background(), lab.Options{
		Manager: &lab.ManagerOptions{Options: opts, InProcess: true, ServeMetrics: true,
			AsUser:    true, // bound only to config/rbac's ClusterRole
			Transport: func(rt http.RoundTripper) http.RoundTripper { return countingTransport{rt} }},
		Log: log.Printf,
	})
	if err != nil {
		log.Printf("starting the lab: %v", err)
		return 1
	}
	defer func() {
		if err := testLab.Stop(); err != nil {
			log.Printf("stopping the lab: %v", err)
		}
	}()
	k8s, metricsURL = testLab.Client, testLab.Manager.MetricsURL()
	if err := labtest.StandInIssuers(context.Background(), k8s, lab.PublicIssuer, lab.InternalIssuer); err != nil {
		log.Print(err)
		return 1
	}
	return m.Run()
}

// namespace creates a fresh namespace for one test.
func namespace(t *testing.T) string { return labtest.Namespace(t, k8s, "t-") }

// samples decodes every file of config/samples through the CLI's decoder.
func samples(t *testing.T) []v1alpha1.UCDeployment { return labtest.Samples(t, testLab.Root) }

// sample returns the sample named name.
func sample(t *testing.T, name string) v1alpha1.UCDeployment {
	return labtest.Sample(t, testLab.Root, name)
}

// create creates a copy of ucd in ns and returns it.
func create(t *testing.T, ucd v1alpha1.UCDeployment, ns string) *v1alpha1.UCDeployment {
	t.Helper()
	obj := ucd.DeepCopy()
	obj.Namespace = ns
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %s: %v", obj.Name, err)
	}
	return obj
}

// eventually polls f until it returns nil or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	labtest.Eventually(t, timeout, what, f)
}

// get reads the live UCDeployment.
func get(t *testing.T, key client.ObjectKey) *v1alpha1.UCDeployment {
	t.Helper()
	ucd := &v1alpha1.UCDeployment{}
	if err := k8s.Get(context.Background(), key, ucd); err != nil {
		t.Fatalf("reading %s: %v", key, err)
	}
	return ucd
}

// condition returns "Status/Reason" of a condition of the UCDeployment (see labtest.Condition).
func condition(ucd *v1alpha1.UCDeployment, typ string) string { return labtest.Condition(ucd, typ) }

func waitCondition(t *testing.T, key client.ObjectKey, typ, want string) *v1alpha1.UCDeployment {
	t.Helper()
	return labtest.WaitCondition(t, k8s, key, typ, want, 30*time.Second)
}

// markCertificatesReady stands in for cert-manager's readiness controller.
func markCertificatesReady(t *testing.T, ucd *v1alpha1.UCDeployment) {
	t.Helper()
	labtest.MarkCertificatesReady(t, k8s, ucd)
}

// certificates lists the Certificates labelled for ucd, by name.
func certificates(t *testing.T, ucd *v1alpha1.UCDeployment) map[string]*cmapi.Certificate {
	t.Helper()
	var list cmapi.CertificateList
	if err := k8s.List(context.Background(), &list, client.InNamespace(ucd.Namespace), client.MatchingLabels{"uc.ucdeploy.io/deployment": ucd.Name}); err != nil {
		t.Fatal(err)
	}
	out := map[string]*cmapi.Certificate{}
	for i := range list.Items {
		out[list.Items[i].Name] = &list.Items[i]
	}
	return out
}

func names[V any](m map[string]V) string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}
