package bench

import (
	"net/http"
	"strings"
	"sync"
)

// Write categories of a writeCounter.
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

// writeCounter counts the write requests of one system under test (the ucdeploy manager, the
// floor's bare client, ingress-shim) by kind. Each talks to the API server through a lab.Proxy
// whose transport wrapper is the counter's wrap: the same hop for all of them, and an exact count
// of their writes, with the manager in a process of its own.
type writeCounter struct {
	mu     sync.Mutex
	writes Writes
	// trace, when set, receives one line per write ("PATCH /apis/...").
	trace func(string)
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

// RoundTrip calls f.
func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// wrap returns next, counting the writes that pass through it.
func (p *writeCounter) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		p.count(r)
		return next.RoundTrip(r)
	})
}

// count counts r if it is a write.
func (p *writeCounter) count(r *http.Request) {
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
func (p *writeCounter) Writes() Writes {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.writes
}

// setTrace sets or clears the per-write trace.
func (p *writeCounter) setTrace(f func(string)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.trace = f
}
