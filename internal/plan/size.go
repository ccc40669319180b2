package plan

// MaxConfigMapData is the most data (keys and values together) the API server accepts in one
// ConfigMap: 1 MiB.
const MaxConfigMapData = 1 << 20

// ruleConfigMapSize is the rule DNSConfigMapTooLarge cites: the API server's limit on a
// ConfigMap's data (Kubernetes documentation, "ConfigMaps").
const ruleConfigMapSize = "K8S-CONFIGMAP-1MIB"

// ConfigMapSizer returns the bytes of data (keys and values) of each view's DNS ConfigMap, as
// the controller would write it for plan p. The planner does not render; internal/render
// provides one (render.DataSizes).
type ConfigMapSizer func(p Plan) map[View]int

// MeasuredBy makes Compute measure the plan's DNS ConfigMaps with size and report an Error
// finding DNSConfigMapTooLarge for a view whose ConfigMap would exceed MaxConfigMapData: the API
// server would refuse it and the controller would retry for ever. The finding comes with the
// plan, before anything is written. The controller and `ucdeploy plan` pass it.
func MeasuredBy(size ConfigMapSizer) Option {
	return func(in *input) { in.sizer = size }
}

// checkConfigMapSizes: each view's DNS ConfigMap fits in MaxConfigMapData.
func checkConfigMapSizes(in *input, p Plan) []Finding {
	if in.sizer == nil {
		return nil
	}
	sizes := in.sizer(p)
	var out []Finding
	for _, view := range Views {
		size := sizes[view]
		if size <= MaxConfigMapData {
			continue
		}
		out = append(out, finding(SeverityError, CodeDNSConfigMapTooLarge, "spec", ruleConfigMapSize,
			"the DNS ConfigMap of the %s view would hold %d bytes of data (%d records), over the API server's limit of %d bytes (1 MiB): nothing would be applied",
			view, size, len(p.RecordsFor(view)), MaxConfigMapData))
	}
	return out
}
