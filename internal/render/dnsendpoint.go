package render

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// external-dns's DNSEndpoint API. ucdeploy does not import external-dns: its objects are built as
// unstructured content from the small mirror below. The group-version lives only here, so the
// announced move to v1beta1 changes one line.
var (
	// DNSEndpointGVK is the kind of external-dns's DNSEndpoint objects.
	DNSEndpointGVK = schema.GroupVersionKind{Group: "externaldns.k8s.io", Version: "v1alpha1", Kind: "DNSEndpoint"}
	// DNSEndpointListGVK is the kind of a list of DNSEndpoints.
	DNSEndpointListGVK = DNSEndpointGVK.GroupVersion().WithKind("DNSEndpointList")
)

// Endpoint mirrors the fields of external-dns's endpoint.Endpoint that ucdeploy sets: one DNS
// name and record type with all of its targets.
type Endpoint struct {
	// DNSName is the owner name, without a trailing dot.
	DNSName string `json:"dnsName"`
	// Targets are in external-dns's format for RecordType (see Target).
	Targets []string `json:"targets"`
	// RecordType is A, CNAME, SRV or MX.
	RecordType string `json:"recordType"`
	// RecordTTL in seconds; 0 is omitted and means the provider's default to external-dns.
	RecordTTL int64 `json:"recordTTL,omitempty"`
}

// DNSEndpointName is the name of the DNSEndpoint of a view: "<deployment>-dns-<view>", the
// name of the view's ConfigMap (the kinds differ).
func DNSEndpointName(deployment string, view plan.View) string {
	return ConfigMapName(deployment, view)
}

// DNSEndpointViews returns the views ucd publishes as DNSEndpoints, internal first, or nil when
// spec.dns.dnsEndpoint is not enabled. Views not set means external, the API's default.
func DNSEndpointViews(ucd *v1alpha1.UCDeployment) []plan.View {
	de := ucd.Spec.DNS.DNSEndpoint
	if de == nil || !de.Enabled {
		return nil
	}
	if len(de.Views) == 0 {
		return []plan.View{plan.ViewExternal}
	}
	var out []plan.View
	for _, view := range plan.Views {
		if slices.Contains(de.Views, view) {
			out = append(out, view)
		}
	}
	return out
}

// DNSEndpoints returns one external-dns DNSEndpoint per view DNSEndpointViews selects, in that
// order, in ucd's namespace and owned by ucd; nil when the feature is off. Each holds Endpoints of
// the view's records, even when that is none.
func DNSEndpoints(ucd *v1alpha1.UCDeployment, p plan.Plan) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, view := range DNSEndpointViews(ucd) {
		out = append(out, dnsEndpoint(ucd, view, Endpoints(p.RecordsFor(view))))
	}
	return out
}

// dnsEndpoint builds the DNSEndpoint of one view.
func dnsEndpoint(ucd *v1alpha1.UCDeployment, view plan.View, endpoints []Endpoint) *unstructured.Unstructured {
	meta := objectMeta(ucd, DNSEndpointName(ucd.Name, view), LabelView, string(view))
	metadata, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&meta)
	if err != nil {
		// Unreachable: ObjectMeta always converts.
		panic(fmt.Errorf("render: convert the metadata of DNSEndpoint %s: %w", meta.Name, err))
	}
	// ObjectMeta's creationTimestamp has no omitempty: drop the null it converts to.
	delete(metadata, "creationTimestamp")
	u := &unstructured.Unstructured{Object: map[string]any{
		"metadata": metadata,
		"spec":     map[string]any{"endpoints": EndpointsContent(endpoints)},
	}}
	u.SetGroupVersionKind(DNSEndpointGVK)
	return u
}

// EndpointsContent is endpoints as unstructured content, as in spec.endpoints.
func EndpointsContent(endpoints []Endpoint) []any {
	out := make([]any, len(endpoints))
	for i, e := range endpoints {
		targets := make([]any, len(e.Targets))
		for j, t := range e.Targets {
			targets[j] = t
		}
		m := map[string]any{"dnsName": e.DNSName, "recordType": e.RecordType, "targets": targets}
		if e.RecordTTL != 0 {
			m["recordTTL"] = e.RecordTTL
		}
		out[i] = m
	}
	return out
}

// Endpoints groups records into external-dns endpoints: one per (name, type) holding every target
// of that name and type, sorted by name and type; the targets sorted and without duplicates. The
// TTL is the lowest of the grouped records' (the planner gives every record the same).
func Endpoints(records []plan.Record) []Endpoint {
	type key struct{ name, typ string }
	index := map[key]int{}
	out := []Endpoint{}
	for _, r := range records {
		k := key{r.Name, r.Type}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, Endpoint{DNSName: r.Name, RecordType: r.Type, RecordTTL: int64(r.TTL)})
		}
		e := &out[i]
		e.Targets = append(e.Targets, target(r))
		e.RecordTTL = min(e.RecordTTL, int64(r.TTL))
	}
	for i := range out {
		slices.Sort(out[i].Targets)
		out[i].Targets = slices.Compact(out[i].Targets)
	}
	slices.SortFunc(out, func(a, b Endpoint) int {
		if c := strings.Compare(a.DNSName, b.DNSName); c != 0 {
			return c
		}
		return strings.Compare(a.RecordType, b.RecordType)
	})
	return out
}

// target converts a record's zone-file RDATA into the target format external-dns validates
// (endpoint.CheckEndpoint; its CRD source drops endpoints whose A or CNAME target ends in a dot):
//
//   - A: the address;
//   - CNAME: the host without its trailing dot;
//   - SRV: "<priority> <weight> <port> <target>." — the target keeps its trailing dot, which
//     external-dns's NewSRVRecord requires;
//   - MX: "<preference> <host>" — two fields (NewMXRecord) with the host written without a
//     trailing dot, as in external-dns's documentation; providers add the dot themselves.
//
// Any other type is passed through with its fields separated by single spaces.
func target(r plan.Record) string {
	fields := strings.Fields(r.Data)
	switch r.Type {
	case "CNAME":
		return strings.TrimSuffix(r.Data, ".")
	case "MX":
		if len(fields) == 2 {
			return fields[0] + " " + strings.TrimSuffix(fields[1], ".")
		}
	case "SRV":
		if len(fields) == 4 && !strings.HasSuffix(fields[3], ".") {
			fields[3] += "."
		}
	}
	return strings.Join(fields, " ")
}
