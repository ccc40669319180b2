// Package manager builds and runs the ucdeploy controller manager: the scheme, the label-scoped
// cache, the UCDeployment controller, metrics, health probes and leader election. main.go and the
// test and lab harnesses all build the manager here, so they run the same thing.
package manager

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/ucdeploy/ucdeploy/controllers"
	"github.com/ucdeploy/ucdeploy/internal/childwriter"
	"github.com/ucdeploy/ucdeploy/internal/metricsauth"
	"github.com/ucdeploy/ucdeploy/internal/render"
	ucdscheme "github.com/ucdeploy/ucdeploy/internal/scheme"
)

// Leader election takes a Lease and reports through events.
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;create;update

// Options configure the manager. Their flag names are registered by BindFlags.
type Options struct {
	// MetricsAddr serves Prometheus metrics ("0" disables).
	MetricsAddr string
	// MetricsSecure serves the metrics over HTTPS behind controller-runtime's authentication and
	// authorization filter: a scraper needs a token that may get the /metrics URL
	// (--metrics-secure, on by default; the zero Options, as labs use them, serve plain HTTP).
	MetricsSecure bool
	// ProbeAddr serves /healthz and /readyz ("0" disables).
	ProbeAddr string
	// PprofAddr serves Go's net/http/pprof profiles ("0", the default, disables).
	PprofAddr string
	// LeaderElect makes only one replica reconcile at a time.
	LeaderElect bool
	// LeaderElectionNamespace holds the lease when running outside a cluster.
	LeaderElectionNamespace string
	// MaxConcurrentReconciles is how many UCDeployments are reconciled in parallel.
	MaxConcurrentReconciles int
	// AllowedClusterIssuers, when not empty, are the only ClusterIssuers UCDeployments may name.
	AllowedClusterIssuers []string
	// WatchNamespace restricts the manager to one namespace ("" watches all).
	WatchNamespace string
	// SyncPeriod is how often every UCDeployment is reconciled again even without events.
	SyncPeriod time.Duration
	// DNSEndpointRecheck is how long "external-dns's DNSEndpoint CRD is not installed" is trusted
	// before discovery is asked again (zero: controllers.DefaultDNSEndpointRecheck).
	DNSEndpointRecheck time.Duration
	// DecodingWrites sends the controller's writes through controller-runtime's client, which
	// decodes every answer, instead of the raw requests of internal/childwriter.
	DecodingWrites bool
	// DNSVerifyNameservers are the networks whose addresses UCDeployments may make the manager
	// query for spec.dns.verify; empty disables verification.
	DNSVerifyNameservers []netip.Prefix
	// DNSVerifyPorts are the ports those nameservers may listen on; nil means
	// controllers.DefaultDNSVerifyPorts (53).
	DNSVerifyPorts []controllers.PortRange
	// DNSVerifyMinSpacing is the least time between two verification passes of one deployment,
	// however often its spec changes; zero (the zero Options, as labs use them) does not limit.
	DNSVerifyMinSpacing time.Duration
	// VerifyServedNetworks are the networks whose addresses UCDeployments may make the manager
	// connect to for spec.certificates.verifyServed; empty disables the check.
	VerifyServedNetworks []netip.Prefix
	// VerifyServedMaxInterval caps spec.certificates.verifyServed.interval (zero: no cap), for
	// labs and tests that must see a server's change within seconds.
	VerifyServedMaxInterval time.Duration
}

// BindFlags registers the manager's flags on fs with their defaults.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", ":8080", "address of the Prometheus metrics endpoint (0 disables)")
	fs.BoolVar(&o.MetricsSecure, "metrics-secure", true, "serve the metrics over HTTPS, only to clients whose token may get /metrics "+
		"(TokenReview and SubjectAccessReview); false serves plain HTTP to anyone who reaches the port")
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", ":8081", "address of the /healthz and /readyz endpoints (0 disables)")
	fs.StringVar(&o.PprofAddr, "pprof-bind-address", "0", "address of Go's /debug/pprof profiles, for performance work (0 disables)")
	fs.BoolVar(&o.LeaderElect, "leader-elect", false, "elect a leader so that only one replica reconciles")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", "", "namespace of the leader lease (default: the pod's namespace)")
	fs.IntVar(&o.MaxConcurrentReconciles, "max-concurrent-reconciles", 8, "UCDeployments reconciled in parallel")
	fs.Var(nameList{&o.AllowedClusterIssuers}, "allowed-cluster-issuers", "comma-separated ClusterIssuers UCDeployments may name (default: any); "+
		"a UCDeployment naming another is stalled with reason IssuerNotAllowed")
	fs.StringVar(&o.WatchNamespace, "watch-namespace", "", "watch only this namespace (default: all namespaces)")
	fs.DurationVar(&o.SyncPeriod, "sync-period", 10*time.Hour, "how often every UCDeployment is reconciled without an event")
	fs.DurationVar(&o.DNSEndpointRecheck, "dnsendpoint-crd-recheck", controllers.DefaultDNSEndpointRecheck,
		"how often to look again for external-dns's DNSEndpoint CRD while it is not installed")
	fs.BoolVar(&o.DecodingWrites, "decoding-writes", false, "send writes through controller-runtime's client, decoding every answer "+
		"(slower; for diagnosing the raw write path)")
	fs.Var(prefixList{&o.DNSVerifyNameservers}, "dns-verify-nameservers", "comma-separated networks (CIDRs) whose addresses spec.dns.verify may "+
		"name as nameservers, such as 10.0.0.0/8,192.0.2.53/32 (default: none, verification off: DNSRecordsVerified says VerificationDisabled)")
	fs.DurationVar(&o.DNSVerifyMinSpacing, "dns-verify-min-spacing", 30*time.Second, "the least time between two verification passes of one "+
		"UCDeployment, however often its spec changes (0: no limit)")
	fs.Var(prefixList{&o.VerifyServedNetworks}, "verify-served-networks", "comma-separated networks (CIDRs) whose addresses spec.certificates.verifyServed "+
		"may make the manager connect to for a TLS handshake, such as 10.0.0.0/8 (default: none, the check is off: CertificatesServed says VerificationDisabled)")
	fs.DurationVar(&o.VerifyServedMaxInterval, "verify-served-max-interval", 0, "caps every spec.certificates.verifyServed.interval, "+
		"for labs that must see a server's change within seconds (default 0: no cap)")
	fs.Var(portList{&o.DNSVerifyPorts}, "dns-verify-ports", "comma-separated ports and ranges those nameservers may listen on, such as 53,5353 or 5300-5399 (default: 53)")
}

// portList is a flag holding a comma-separated list of ports and port ranges.
type portList struct{ ranges *[]controllers.PortRange }

// String returns the ranges joined by commas.
func (l portList) String() string {
	if l.ranges == nil || *l.ranges == nil {
		return "53"
	}
	s := make([]string, len(*l.ranges))
	for i, r := range *l.ranges {
		s[i] = r.String()
	}
	return strings.Join(s, ",")
}

// Set replaces the ranges by those in v: ports (53) and ranges (5300-5399) from 1 to 65535.
func (l portList) Set(v string) error {
	var out []controllers.PortRange
	for s := range strings.SplitSeq(v, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		first, last, isRange := strings.Cut(s, "-")
		if !isRange {
			last = first
		}
		a, errA := strconv.ParseUint(first, 10, 16)
		b, errB := strconv.ParseUint(last, 10, 16)
		if errA != nil || errB != nil || a == 0 || b < a {
			return fmt.Errorf("%q is not a port or a range of ports from 1 to 65535 (53, 5300-5399)", s)
		}
		out = append(out, controllers.PortRange{First: uint16(a), Last: uint16(b)})
	}
	if len(out) == 0 {
		return fmt.Errorf("no port in %q", v)
	}
	*l.ranges = out
	return nil
}

// prefixList is a flag holding a comma-separated list of networks in CIDR notation.
type prefixList struct{ prefixes *[]netip.Prefix }

// String returns the networks joined by commas.
func (l prefixList) String() string {
	if l.prefixes == nil {
		return ""
	}
	s := make([]string, len(*l.prefixes))
	for i, p := range *l.prefixes {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// Set replaces the networks by those in v, ignoring spaces and empty entries; a network with
// host bits set (10.0.0.1/8) is an error, as it is likely a typo.
func (l prefixList) Set(v string) error {
	var out []netip.Prefix
	for s := range strings.SplitSeq(v, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return fmt.Errorf("%q is not a network in CIDR notation (10.0.0.0/8, fd00::/8): %w", s, err)
		}
		if p != p.Masked() {
			return fmt.Errorf("%q has host bits set; did you mean %s?", s, p.Masked())
		}
		out = append(out, p)
	}
	*l.prefixes = out
	return nil
}

// nameList is a flag holding a comma-separated list of names.
type nameList struct{ names *[]string }

// String returns the names joined by commas.
func (l nameList) String() string {
	if l.names == nil {
		return ""
	}
	return strings.Join(*l.names, ",")
}

// Set replaces the names by those in v, ignoring spaces and empty entries.
func (l nameList) Set(v string) error {
	*l.names = nil
	for name := range strings.SplitSeq(v, ",") {
		if name = strings.TrimSpace(name); name != "" {
			*l.names = append(*l.names, name)
		}
	}
	return nil
}

// New builds a manager with the UCDeployment controller registered.
func New(cfg *rest.Config, o Options) (ctrl.Manager, error) {
	scheme, err := ucdscheme.New()
	if err != nil {
		return nil, err
	}
	// Cache only the children ucdeploy manages: a cluster full of other Certificates and
	// ConfigMaps costs no memory here.
	managed := labels.SelectorFromSet(labels.Set{render.LabelManagedBy: render.ManagedBy})
	cacheOpts := cache.Options{
		SyncPeriod:       &o.SyncPeriod,
		DefaultTransform: childwriter.CacheTransform,
		ByObject: map[client.Object]cache.ByObject{
			&cmapi.Certificate{}: {Label: managed},
			&corev1.ConfigMap{}:  {Label: managed},
		},
	}
	if o.WatchNamespace != "" {
		cacheOpts.DefaultNamespaces = map[string]cache.Config{o.WatchNamespace: {}}
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme,
		Cache:                   cacheOpts,
		Metrics:                 metricsOptions(o),
		HealthProbeBindAddress:  o.ProbeAddr,
		PprofBindAddress:        o.PprofAddr,
		LeaderElection:          o.LeaderElect,
		LeaderElectionID:        "ucdeploy.uc.ucdeploy.io",
		LeaderElectionNamespace: o.LeaderElectionNamespace,
		// The process exits right after the manager stops, so handing the lease over at once is
		// safe and lets a standby replica take over without waiting for the lease to expire.
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return nil, fmt.Errorf("creating manager: %w", err)
	}
	writer, err := childwriter.New(mgr.GetConfig(), mgr.GetHTTPClient(), mgr.GetRESTMapper(), mgr.GetClient(), childwriter.Options{Decoding: o.DecodingWrites})
	if err != nil {
		return nil, err
	}
	r := &controllers.UCDeploymentReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Writer:    writer,
		// The allow-list is sorted so that messages list it in a stable order.
		AllowedClusterIssuers: slices.Sorted(slices.Values(o.AllowedClusterIssuers)),
		Recorder:              mgr.GetEventRecorder("ucdeploy"),
		DNSVerifier:           &controllers.DNSVerifier{Allowed: o.DNSVerifyNameservers, Ports: o.DNSVerifyPorts, MinSpacing: o.DNSVerifyMinSpacing},
		ServedVerifier:        newServedVerifier(o, mgr.GetAPIReader()),
		DNSEndpoints: &controllers.DNSEndpointWatch{
			Mapper:  mgr.GetRESTMapper(),
			Recheck: o.DNSEndpointRecheck,
			// external-dns's DNSEndpoint CRD is optional, so its kind cannot be in the manager's
			// cache (which resolves every kind when it is built): the controller builds this
			// cache, scoped like the others, once it finds the CRD.
			NewCache: func() (cache.Cache, error) {
				opts := cache.Options{
					HTTPClient:           mgr.GetHTTPClient(),
					Scheme:               scheme,
					Mapper:               mgr.GetRESTMapper(),
					SyncPeriod:           &o.SyncPeriod,
					DefaultLabelSelector: managed,
				}
				if o.WatchNamespace != "" {
					opts.DefaultNamespaces = map[string]cache.Config{o.WatchNamespace: {}}
				}
				return cache.New(mgr.GetConfig(), opts)
			},
		},
	}
	if err := r.SetupWithManager(mgr, controllers.Options{MaxConcurrentReconciles: o.MaxConcurrentReconciles}); err != nil {
		return nil, fmt.Errorf("setting up the UCDeployment controller: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding ready check: %w", err)
	}
	return mgr, nil
}

// defaultGCPercent is the manager's garbage-collection target when GOGC is not set: the heap may
// grow 50 % over the live data between collections instead of Go's 100 %. The live heap is mostly
// the informer caches, so the default doubles it; the trade of memory for CPU is measured in
// docs/performance.md ("Round 2"). GOGC, and GOMEMLIMIT (which the manifests set from the
// container's memory limit), still apply.
const defaultGCPercent = 50

// Run parses the manager's flags from args and runs it until a termination signal.
func Run(args []string) error {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
	fs := flag.NewFlagSet("ucdeploy", flag.ContinueOnError)
	var o Options
	o.BindFlags(fs)
	zo := zap.Options{}
	zo.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: the manager takes flags only; plan, verify, status and export are commands of the ucdeploy CLI (make build, or the kubectl plugin)", fs.Arg(0))
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zo)))
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	mgr, err := New(cfg, o)
	if err != nil {
		return err
	}
	ctrl.Log.WithName("ucdeploy").Info("starting manager", "watchNamespace", o.WatchNamespace, "leaderElect", o.LeaderElect)
	return mgr.Start(ctrl.SetupSignalHandler())
}

// +kubebuilder:rbac:groups=authentication.k8s.io,resources=tokenreviews,verbs=create
// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create

// metricsOptions returns the metrics server's options: with MetricsSecure, HTTPS (a self-signed
// certificate of controller-runtime's) behind internal/metricsauth's filter, which asks the API
// server to review each scraper's token and its permission to get /metrics (the ClusterRole's
// tokenreviews and subjectaccessreviews, below), as controller-runtime's filter does without
// linking k8s.io/apiserver's authenticators.
func metricsOptions(o Options) metricsserver.Options {
	opts := metricsserver.Options{BindAddress: o.MetricsAddr}
	if o.MetricsSecure {
		opts.SecureServing = true
		opts.FilterProvider = metricsauth.Provider
	}
	return opts
}

// newServedVerifier is the verifier of spec.certificates.verifyServed that o configures.
func newServedVerifier(o Options, reader client.Reader) *controllers.ServedVerifier {
	v := controllers.NewServedVerifier(o.VerifyServedNetworks, reader)
	v.MaxInterval = o.VerifyServedMaxInterval
	return v
}
