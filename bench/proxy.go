package bench

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Write categories of a counting proxy.
const (
	writeCertificate = "certificates"
	writeConfigMap   = "configmaps"
	writeStatus      = "status"
	writeEvent       = "events"
	writeOther       = "other"
)

// Writes counts write requests (POST, PUT, PATCH, DELETE) by what they write.
type Writes struct {
	Total        int64 `json:"total"`
	Certificates int64 `json:"certificates"`
	ConfigMaps   int64 `json:"configMaps"`
	Status       int64 `json:"status"`
	Events       int64 `json:"events"`
	Other        int64 `json:"other"`
}

// Sub returns w minus before.
func (w Writes) Sub(before Writes) Writes {
	return Writes{
		Total:        w.Total - before.Total,
		Certificates: w.Certificates - before.Certificates,
		ConfigMaps:   w.ConfigMaps - before.ConfigMaps,
		Status:       w.Status - before.Status,
		Events:       w.Events - before.Events,
		Other:        w.Other - before.Other,
	}
}

// Objects is the writes to objects: everything but events.
func (w Writes) Objects() int64 { return w.Total - w.Events }

// countingProxy is a plain-HTTP reverse proxy to the lab's API server that authenticates as one
// lab user and counts the write requests passing through it. Each system under test (the ucdeploy
// manager, the floor's bare client, ingress-shim) talks to the API server through its own proxy:
// the same hop for all of them, and an exact count of their writes by kind, with the manager in
// a separate process.
type countingProxy struct {
	server     *http.Server
	kubeconfig string // a kubeconfig pointing at the proxy

	mu     sync.Mutex
	writes Writes
	// trace, when set, receives one line per write ("PATCH /apis/...").
	trace func(string)
}

// startProxy starts a proxy to cfg's API server with cfg's credentials and writes a kubeconfig
// for it to dir/name.kubeconfig.
func startProxy(cfg *rest.Config, dir, name string, errorLog io.Writer) (*countingProxy, error) {
	target, err := url.Parse(cfg.Host)
	if err != nil {
		return nil, fmt.Errorf("API server address %q: %w", cfg.Host, err)
	}
	rt, err := rest.TransportFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("transport for %s: %w", name, err)
	}
	p := &countingProxy{}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = target.Host
		},
		Transport:     rt,
		FlushInterval: -1, // watches stream
		ErrorLog:      log.New(errorLog, "proxy "+name+": ", log.LstdFlags),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p.server = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.count(r)
			rp.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(errorLog, "proxy "+name+": ", log.LstdFlags),
	}
	go func() { _ = p.server.Serve(ln) }()

	kc := clientcmdapi.NewConfig()
	kc.Clusters[name] = &clientcmdapi.Cluster{Server: "http://" + ln.Addr().String()}
	kc.AuthInfos[name] = &clientcmdapi.AuthInfo{}
	kc.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	kc.CurrentContext = name
	p.kubeconfig = filepath.Join(dir, name+"-proxy.kubeconfig")
	if err := clientcmd.WriteToFile(*kc, p.kubeconfig); err != nil {
		_ = p.server.Close()
		return nil, fmt.Errorf("writing the proxy kubeconfig: %w", err)
	}
	return p, nil
}

// config returns a client configuration for the proxy with client-side rate limiting off, as
// controller-runtime's ctrl.GetConfig gives the manager (the API server's priority and fairness
// is the only limit).
func (p *countingProxy) config() (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", p.kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS = -1
	return cfg, nil
}

func (p *countingProxy) count(r *http.Request) {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return
	}
	path := r.URL.Path
	var kind string
	switch {
	case strings.HasSuffix(path, "/status"):
		kind = writeStatus
	case strings.Contains(path, "/events"):
		kind = writeEvent
	case strings.Contains(path, "/certificates"):
		kind = writeCertificate
	case strings.Contains(path, "/configmaps"):
		kind = writeConfigMap
	default:
		kind = writeOther
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writes.Total++
	switch kind {
	case writeStatus:
		p.writes.Status++
	case writeEvent:
		p.writes.Events++
	case writeCertificate:
		p.writes.Certificates++
	case writeConfigMap:
		p.writes.ConfigMaps++
	default:
		p.writes.Other++
	}
	if p.trace != nil {
		p.trace(r.Method + " " + path)
	}
}

// Writes returns the counts so far.
func (p *countingProxy) Writes() Writes {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.writes
}

// setTrace sets or clears the per-write trace.
func (p *countingProxy) setTrace(f func(string)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.trace = f
}

func (p *countingProxy) Close() error {
	err := p.server.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, os.Remove(p.kubeconfig))
}
