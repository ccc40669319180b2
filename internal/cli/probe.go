package cli

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/handshake"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/served"
)

// Exit status of `ucdeploy probe` besides ExitOK (every listener probed serves a good
// certificate) and ExitInvalidArgs.
const (
	// ExitFindings: a listener is unreachable or serves a certificate with a finding.
	ExitFindings = 1
)

// probeConcurrency bounds the handshakes in flight.
const probeConcurrency = 8

var probeFormats = []string{"table", "json"}

// endpoint is one --endpoint ROLE[:PORT]=IP:PORT: the address that replaces the planned
// listeners of a certificate role, or only its listeners on the planned port PORT.
type endpoint struct {
	flag    string // as given
	role    string
	planned int32 // the planned port it replaces; 0 for every listener of the role
	address netip.AddrPort
}

// parseEndpoint reads one --endpoint value. The address must be an IP and a port from 1 to
// 65535: a host name would make the probe depend on a resolver the plan does not name.
func parseEndpoint(v string) (endpoint, error) {
	key, addr, ok := strings.Cut(v, "=")
	if !ok || key == "" {
		return endpoint{}, fmt.Errorf("--endpoint %q: want ROLE=IP:PORT or ROLE:PORT=IP:PORT", v)
	}
	e := endpoint{flag: v, role: key}
	if role, port, ok := strings.Cut(key, ":"); ok {
		p, err := parsePort(port)
		if err != nil {
			return endpoint{}, fmt.Errorf("--endpoint %q: planned port: %w", v, err)
		}
		e.role, e.planned = role, int32(p)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return endpoint{}, fmt.Errorf("--endpoint %q: want IP:PORT after '=': %w", v, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return endpoint{}, fmt.Errorf("--endpoint %q: %q is not an IP address (give the address, not a host name)", v, host)
	}
	p, err := parsePort(port)
	if err != nil {
		return endpoint{}, fmt.Errorf("--endpoint %q: %w", v, err)
	}
	e.address = netip.AddrPortFrom(ip, p)
	return e, nil
}

// parsePort reads a TCP port from 1 to 65535.
func parsePort(s string) (uint16, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %q is not from 1 to 65535", s)
	}
	return uint16(n), nil
}

// target is one listener to probe, as planned or replaced by an --endpoint.
type target struct {
	deployment string
	cert       plan.Certificate
	listener   plan.Listener
}

// probeResult is one listener's line of the report.
type probeResult struct {
	Deployment  string `json:"deployment"`
	Certificate string `json:"certificate"`
	Role        string `json:"role"`
	plan.Listener
	// Skipped says why the listener was not probed.
	Skipped string `json:"skipped,omitempty"`
	// Error is why nothing was read (State Unreachable).
	Error string `json:"error,omitempty"`
	*served.Report
}

// Probe runs `ucdeploy probe` with args (the words after "probe"): it connects to the planned
// listeners of each UCDeployment (or to --endpoint addresses), reads the chain each presents and
// judges it against the plan.
func Probe(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCommand("probe", "-f FILE|DIR [-f ...] [--endpoint ROLE[:PORT]=IP:PORT ...] [-o table|json] [flags]",
		"Connect to the listeners of the planned certificates and judge what each serves: state (Current, Foreign,\n"+
			"Expired, IncompleteChain, Unreachable), chain, names, days left, lifetime (R-PKI-01), key and usages.\n"+
			"A listener without an address in the spec or an --endpoint is skipped.\n"+
			"Exit status: 0 every listener probed is good, 1 findings, 2 bad input or flags.")
	files := c.StringArrayP("filename", "f", nil, "a UCDeployment YAML or JSON file, a directory of them, or - for stdin; repeatable")
	endpoints := c.StringArray("endpoint", nil, "ROLE=IP:PORT replaces the planned listeners of a certificate role, ROLE:PORT=IP:PORT only those on planned port PORT (NAT, load balancers, a lab); repeatable")
	timeout := c.Duration("timeout", 5*time.Second, "how long each listener may take to connect and hand over its chain")
	caFile := c.String("ca-file", "", "PEM file of trust anchors besides the system's (the enterprise CA's root) that chains may end under")
	output := c.StringP("output", "o", "table", "output format: "+strings.Join(probeFormats, "|"))
	if code, stop := c.parse(args, stdout, stderr); stop {
		return code
	}
	switch {
	case c.NArg() > 0:
		return c.fail(stderr, "unexpected argument %q: give files with -f", c.Arg(0))
	case len(*files) == 0:
		return c.fail(stderr, "-f is required: the UCDeployment file whose listeners to probe")
	case !slices.Contains(probeFormats, *output):
		return c.fail(stderr, "unknown output format %q (want one of %s)", *output, strings.Join(probeFormats, ", "))
	case *timeout <= 0:
		return c.fail(stderr, "--timeout must be positive")
	}
	eps := make([]endpoint, len(*endpoints))
	for i, v := range *endpoints {
		e, err := parseEndpoint(v)
		if err != nil {
			return c.fail(stderr, "%v", err)
		}
		eps[i] = e
	}
	anchors, err := trustAnchors(*caFile)
	if err != nil {
		return c.fail(stderr, "%v", err)
	}
	deployments, err := readDeployments(c.Name(), *files, stdin, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", c.Name(), err)
		return ExitInvalidArgs
	}
	targets, err := probeTargets(deployments, eps)
	if err != nil {
		return c.fail(stderr, "%v", err)
	}
	results := probeAll(context.Background(), targets, anchors, *timeout, time.Now())
	if err := writeProbe(stdout, *output, results); err != nil {
		fmt.Fprintf(stderr, "%s: writing output: %v\n", c.Name(), err)
		return ExitInvalidArgs
	}
	for _, r := range results {
		if r.Skipped == "" && !r.Good() {
			return ExitFindings
		}
	}
	return ExitOK
}

// trustAnchors is the system's roots plus the certificates of caFile.
func trustAnchors(caFile string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if caFile == "" {
		return pool, nil
	}
	data, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("--ca-file: %w", err)
	}
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("--ca-file %s: no PEM certificate in it", caFile)
	}
	return pool, nil
}

// probeTargets plans each deployment and lists its listeners, with the endpoints in place of the
// planned listeners they replace. An endpoint whose role no plan has, or whose planned port the
// role does not listen on, is an error.
func probeTargets(deployments []v1alpha1.UCDeployment, eps []endpoint) ([]target, error) {
	used := make([]bool, len(eps))
	var roles []string
	var out []target
	for i := range deployments {
		d := &deployments[i]
		p := plan.Compute(d.Name, &d.Spec, plan.IssuedOn(time.Now()))
		for _, cert := range p.Certificates {
			roles = append(roles, cert.Role)
			for _, l := range replaceListeners(cert, eps, used) {
				out = append(out, target{deployment: d.Name, cert: cert, listener: l})
			}
		}
	}
	slices.Sort(roles)
	for i, e := range eps {
		if used[i] {
			continue
		}
		if !slices.Contains(roles, e.role) {
			return nil, fmt.Errorf("--endpoint %q: unknown role %q (the plan has %s)", e.flag, e.role, strings.Join(slices.Compact(roles), ", "))
		}
		return nil, fmt.Errorf("--endpoint %q: role %s has no planned listener on port %d", e.flag, e.role, e.planned)
	}
	return out, nil
}

// replaceListeners returns cert's listeners with the endpoints of its role in place: an endpoint
// with a planned port takes the address of the listeners on that port and keeps their protocol
// and server name; one without replaces every listener of the role by a TLS listener asking for
// the certificate's common name, in no view (the endpoint says nothing of one). used marks the endpoints that matched.
func replaceListeners(cert plan.Certificate, eps []endpoint, used []bool) []plan.Listener {
	var whole []plan.Listener
	out := slices.Clone(cert.Listeners)
	for i, e := range eps {
		if e.role != cert.Role {
			continue
		}
		if e.planned == 0 {
			used[i] = true
			whole = append(whole, plan.Listener{Address: e.address.Addr().String(), Port: int32(e.address.Port()),
				Protocol: plan.ProtocolTLS, ServerName: cert.CommonName, Rule: "--endpoint"})
			continue
		}
		for j, l := range out {
			if l.Port == e.planned && l.Rule != "--endpoint" {
				used[i] = true
				out[j].Address, out[j].Port, out[j].Rule = e.address.Addr().String(), int32(e.address.Port()), "--endpoint"
			}
		}
	}
	if len(whole) > 0 {
		return whole
	}
	return out
}

// probeAll probes the targets, probeConcurrency at a time, and returns their results in order.
func probeAll(ctx context.Context, targets []target, anchors *x509.CertPool, timeout time.Duration, now time.Time) []probeResult {
	results := make([]probeResult, len(targets))
	sem := make(chan struct{}, probeConcurrency)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = probeOne(ctx, t, anchors, timeout, now)
		}()
	}
	wg.Wait()
	return results
}

// probeOne reads one listener's chain and judges it.
func probeOne(ctx context.Context, t target, anchors *x509.CertPool, timeout time.Duration, now time.Time) probeResult {
	r := probeResult{Deployment: t.deployment, Certificate: t.cert.Name, Role: t.cert.Role, Listener: t.listener}
	if t.listener.Address == "" {
		r.Skipped = "no address in the spec; give --endpoint " + t.cert.Role + "=IP:PORT"
		return r
	}
	addr := net.JoinHostPort(t.listener.Address, strconv.Itoa(int(t.listener.Port)))
	chain, err := handshake.Chain(ctx, t.listener.Protocol, addr, t.listener.ServerName, timeout)
	if err != nil {
		r.Error = err.Error()
	}
	exp := served.Expected{ServerName: t.listener.ServerName, Anchors: anchors}
	report := served.Inspect(t.cert, exp, chain, now)
	r.Report = &report
	return r
}

// Good reports a probed listener with nothing to fix.
func (r probeResult) Good() bool { return r.Report != nil && r.Report.Good() }
