package lab

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
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Proxy is a plain-HTTP reverse proxy on a loopback port to the lab's API server. It holds the
// credentials of one lab user and sends every request through a transport wrapper, so that a
// client in another process (a ucdeploy manager, the benchmark's floor, ingress-shim) needs no
// credentials and its requests can still be counted or held in this process.
type Proxy struct {
	// Kubeconfig is the path of a kubeconfig that points at the proxy, with no credentials.
	Kubeconfig string

	server *http.Server
}

// StartProxy serves a proxy to cfg's API server that authenticates with cfg and sends requests
// through transport when it is not nil; it writes its kubeconfig to dir/name.kubeconfig and
// reports failed requests to errorLog.
func StartProxy(cfg *rest.Config, dir, name string, transport func(http.RoundTripper) http.RoundTripper, errorLog io.Writer) (*Proxy, error) {
	target, err := url.Parse(cfg.Host)
	if err != nil {
		return nil, fmt.Errorf("parsing the API server address %q: %w", cfg.Host, err)
	}
	rt, err := rest.TransportFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("the API server transport of %s: %w", name, err)
	}
	if transport != nil {
		rt = transport(rt)
	}
	rp := &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(target) },
		Transport:     rt,
		FlushInterval: -1, // watches stream
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() == nil { // not just the client going away
				_, _ = fmt.Fprintf(errorLog, "proxy %s: %s %s: %v\n", name, r.Method, r.URL.Path, err)
			}
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the proxy of %s: %w", name, err)
	}
	p := &Proxy{
		Kubeconfig: filepath.Join(dir, name+"-proxy.kubeconfig"),
		server: &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: log.New(errorLog, "proxy "+name+": ", log.LstdFlags)},
	}
	go func() { _ = p.server.Serve(ln) }()
	if err := writeKubeconfig(p.Kubeconfig, "http://"+ln.Addr().String()); err != nil {
		_ = p.server.Close()
		return nil, err
	}
	return p, nil
}

// Config returns a client configuration for the proxy with client-side rate limiting off, as
// controller-runtime's ctrl.GetConfig gives a manager (the API server's priority and fairness is
// the only limit).
func (p *Proxy) Config() (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", p.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p.Kubeconfig, err)
	}
	cfg.QPS = -1
	return cfg, nil
}

// Close stops the proxy and removes its kubeconfig.
func (p *Proxy) Close() error {
	err := p.server.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if rmErr := os.Remove(p.Kubeconfig); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
		err = errors.Join(err, rmErr)
	}
	return err
}

// writeKubeconfig writes a kubeconfig that points at server, with no credentials.
func writeKubeconfig(path, server string) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["lab"] = &clientcmdapi.Cluster{Server: server}
	kc.AuthInfos["lab"] = &clientcmdapi.AuthInfo{}
	kc.Contexts["lab"] = &clientcmdapi.Context{Cluster: "lab", AuthInfo: "lab"}
	kc.CurrentContext = "lab"
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
