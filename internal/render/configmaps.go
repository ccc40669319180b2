package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/install"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/zone"
)

// Keys of a DNS ConfigMap besides one ZoneKey per zone.
const (
	// RecordsKey holds the view's records as indented JSON.
	RecordsKey = "records.json"
	// PowerShellKey holds the view's PowerShell script.
	PowerShellKey = "Add-DnsRecords.ps1"
)

// ZoneKey is the ConfigMap key of a zone's zone file: "<zone>.zone".
func ZoneKey(zoneName string) string {
	return zoneName + ".zone"
}

// ConfigMapName is the name of the ConfigMap holding a view's DNS records:
// "<deployment>-dns-<view>".
func ConfigMapName(deployment string, view plan.View) string {
	return deployment + "-dns-" + string(view)
}

// ConfigMaps returns the two DNS ConfigMaps of ucd, internal view first, both even when a view
// has no record. Each holds a ZoneKey per zone of its view (zone.File headed by Header), RecordsKey
// and PowerShellKey.
func ConfigMaps(ucd *v1alpha1.UCDeployment, p plan.Plan) []*corev1.ConfigMap {
	out := make([]*corev1.ConfigMap, len(plan.Views))
	for i, view := range plan.Views {
		out[i] = configMap(ucd, p, view)
	}
	return out
}

// DataSizes returns the plan.ConfigMapSizer of ucd: the bytes of data (keys and values, as the
// API server counts them against its 1 MiB limit) of each DNS ConfigMap that ConfigMaps renders.
func DataSizes(ucd *v1alpha1.UCDeployment) plan.ConfigMapSizer {
	return func(p plan.Plan) map[plan.View]int {
		sizes := make(map[plan.View]int, len(plan.Views))
		for _, view := range plan.Views {
			for k, v := range configMap(ucd, p, view).Data {
				sizes[view] += len(k) + len(v)
			}
		}
		return sizes
	}
}

// configMap returns the ConfigMap of one view.
func configMap(ucd *v1alpha1.UCDeployment, p plan.Plan, view plan.View) *corev1.ConfigMap {
	records := p.RecordsFor(view)
	data := map[string]string{
		RecordsKey:    recordsJSON(records),
		PowerShellKey: PowerShell(p, view),
	}
	header := Header(ucd)
	for _, z := range zone.Zones(records) {
		data[ZoneKey(z)] = zone.File(z, records, header)
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: corev1.SchemeGroupVersion.String(), Kind: "ConfigMap"},
		ObjectMeta: objectMeta(ucd, ConfigMapName(ucd.Name, view), LabelView, string(view)),
		Data:       data,
	}
}

// recordsJSON returns records as indented JSON with a trailing newline, "[]" when there are none.
func recordsJSON(records []plan.Record) string {
	if records == nil {
		records = []plan.Record{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(records); err != nil {
		// Unreachable: a Record holds only strings and an int32.
		panic(fmt.Errorf("render: encode DNS records as JSON: %w", err))
	}
	return b.String()
}

// LabelContent holds what the install ConfigMap carries ("install"); the DNS ConfigMaps carry
// LabelView instead.
const LabelContent = "uc.ucdeploy.io/content"

// InstallConfigMapName is the name of the ConfigMap holding the install scripts:
// "<deployment>-install".
func InstallConfigMapName(deployment string) string {
	return deployment + "-install"
}

// Digests returns the SHA-256 digest, in hex, of every data value of cm, by key
// (status.installDigests).
func Digests(cm *corev1.ConfigMap) map[string]string {
	out := make(map[string]string, len(cm.Data))
	for k, v := range cm.Data {
		out[k] = Digest(v)
	}
	return out
}

// Digest is the SHA-256 digest of v in hex.
func Digest(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

// InstallConfigMap returns the ConfigMap of ucd's install scripts: one import-and-bind script per
// certificate (install.ScriptName of its role) and install.json, which says which servers receive
// which certificate. It holds no secret (R-K8S-03).
func InstallConfigMap(ucd *v1alpha1.UCDeployment, p plan.Plan) *corev1.ConfigMap {
	ip := install.Plan(ucd.Name, &ucd.Spec, p)
	data := map[string]string{install.JSONKey: ip.JSON()}
	for _, c := range ip.Certificates {
		data[c.Script] = install.Script(c)
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: corev1.SchemeGroupVersion.String(), Kind: "ConfigMap"},
		ObjectMeta: objectMeta(ucd, InstallConfigMapName(ucd.Name), LabelContent, "install"),
		Data:       data,
	}
}
