package bench

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/bench/workload"
	"github.com/ucdeploy/ucdeploy/internal/childwriter"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/render"
)

// RequestCost is what one kind of request costs the API server, measured alone: n requests sent
// by the harness's creators with nothing else running.
type RequestCost struct {
	Request string  `json:"request"`
	Count   int     `json:"count"`
	Seconds float64 `json:"seconds"`
	// APIServerCPUSeconds and EtcdCPUSeconds are the CPU time kube-apiserver and etcd spent.
	APIServerCPUSeconds float64 `json:"apiServerCPUSeconds"`
	EtcdCPUSeconds      float64 `json:"etcdCPUSeconds"`
	// APIServerMillisPerRequest is APIServerCPUSeconds per request, in milliseconds.
	APIServerMillisPerRequest float64 `json:"apiServerMillisecondsPerRequest"`
}

// The requests whose ratio is issue 16's goal 2: a status write should cost the API server at
// most twice what creating a child ConfigMap costs.
const (
	costConfigMapCreate = "create ConfigMap (POST)"
	costStatusPatch     = "UCDeployment status (merge patch)"
)

// requestCosts measures, one after the other, every kind of write the manager, the floor and
// ingress-shim make, for the objects of n generated deployments. It explains the ratios: where
// the peer is cheaper, this says which of our writes cost what. The first status patch writes a
// status holding only observedGeneration: what any status write of a UCDeployment costs before
// its content counts.
func (e *env) requestCosts(ctx context.Context, n int) ([]RequestCost, error) {
	ds, cleanUp, err := e.deployments(ctx, "rc", n)
	if err != nil {
		return nil, err
	}
	defer cleanUp()
	postedCMs, postedCerts := splitChildren(childrenOf(ds))
	appliedCMs, appliedCerts := splitChildren(childrenOf(ds))
	for _, o := range append(appliedCMs, appliedCerts...) {
		o.SetName(o.GetName() + "-a")
	}
	ucds, _, _ := objectsOf(ds)
	var ingresses []client.Object
	for _, d := range ds {
		ing := ingressOf(d)
		ing.Name += "-ing"
		ingresses = append(ingresses, ing)
	}
	// Every write asks for the field validation ucdeploy's writes ask for, so that the rows
	// compare kinds of request, not validation modes. ucdeploy's own writer sends the children's
	// creates (POSTs, as the floor's), the applies (what its updates send) and the status patches.
	create := func(obj client.Object) error {
		return e.client.Create(ctx, obj, createValidation)
	}
	createChild := func(obj client.Object) error { return e.writer.Create(ctx, obj) }
	apply := func(obj client.Object) error { return e.writer.Apply(ctx, obj, nil) }
	patchStatus := func(full bool) func(client.Object) error {
		return func(obj client.Object) error {
			ucd := obj.(*v1alpha1.UCDeployment)
			before := ucd.DeepCopy()
			ucd.Status = v1alpha1.UCDeploymentStatus{ObservedGeneration: 1}
			if full {
				ucd.Status = floorStatus(ucd, plan.Compute(ucd.Name, &ucd.Spec))
			}
			patch, err := client.MergeFrom(before).Data(ucd)
			if err != nil {
				return err
			}
			return e.writer.PatchStatus(ctx, ucd, patch)
		}
	}
	// The PUT sends the object read beforehand (with its resourceVersion), as a controller
	// updating status from its cache would.
	var fresh []client.Object
	readAll := func() error {
		fresh = fresh[:0]
		for _, obj := range ucds {
			ucd := &v1alpha1.UCDeployment{}
			if err := e.client.Get(ctx, client.ObjectKeyFromObject(obj), ucd); err != nil {
				return err
			}
			fresh = append(fresh, ucd)
		}
		return nil
	}
	putStatus := func(obj client.Object) error {
		ucd := obj.(*v1alpha1.UCDeployment)
		ucd.Status.FindingsSummary += " (again)"
		return e.client.Status().Update(ctx, ucd, statusUpdateValidation)
	}
	get := func(obj client.Object) error {
		return e.client.Get(ctx, client.ObjectKeyFromObject(obj), &v1alpha1.UCDeployment{})
	}
	return e.measureRequests(ctx, []costStep{
		{"create UCDeployment (POST)", &ucds, nil, create},
		{"create Ingress (POST)", &ingresses, nil, create},
		{costConfigMapCreate, &postedCMs, nil, createChild},
		{"create Certificate (POST)", &postedCerts, nil, createChild},
		{"create ConfigMap (server-side apply)", &appliedCMs, nil, apply},
		{"create Certificate (server-side apply)", &appliedCerts, nil, apply},
		{"UCDeployment status, observedGeneration only (merge patch)", &ucds, nil, patchStatus(false)},
		{costStatusPatch, &ucds, nil, patchStatus(true)},
		{"UCDeployment status (PUT)", &fresh, readAll, putStatus},
		{"get UCDeployment", &ucds, nil, get},
	})
}

// statusOverConfigMap is the status patch's API server CPU per request over the ConfigMap
// create's (goal 2), or 0 when costs lacks either.
func statusOverConfigMap(costs []RequestCost) float64 {
	per := map[string]float64{}
	for _, c := range costs {
		per[c.Request] = c.APIServerMillisPerRequest
	}
	if per[costConfigMapCreate] == 0 {
		return 0
	}
	return per[costStatusPatch] / per[costConfigMapCreate]
}

// splitChildren separates the ConfigMaps from the Certificates.
func splitChildren(objs []client.Object) (configMaps, certificates []client.Object) {
	for _, o := range objs {
		if _, ok := o.(*corev1.ConfigMap); ok {
			configMaps = append(configMaps, o)
		} else {
			certificates = append(certificates, o)
		}
	}
	return configMaps, certificates
}

// costStep is one kind of request requestCosts measures: do, sent for each of objs.
type costStep struct {
	name    string
	objs    *[]client.Object
	prepare func() error // not measured
	do      func(client.Object) error
}

// measureRequests runs the steps one after the other and measures each.
func (e *env) measureRequests(ctx context.Context, steps []costStep) ([]RequestCost, error) {
	var costs []RequestCost
	for _, step := range steps {
		if step.prepare != nil {
			if err := step.prepare(); err != nil {
				return nil, fmt.Errorf("%s: %w", step.name, err)
			}
		}
		objs := *step.objs
		clock := e.clock(nil)
		cpu0 := clock.read()
		t0 := time.Now()
		if err := e.forEach(ctx, objs, step.do); err != nil {
			return nil, fmt.Errorf("%s: %w", step.name, err)
		}
		cpu := clock.read().Sub(cpu0)
		costs = append(costs, RequestCost{
			Request: step.name, Count: len(objs), Seconds: time.Since(t0).Seconds(),
			APIServerCPUSeconds: cpu.APIServer, EtcdCPUSeconds: cpu.Etcd,
			APIServerMillisPerRequest: 1000 * cpu.APIServer / float64(len(objs)),
		})
	}
	return costs, nil
}

// childrenOf renders the Certificates and ConfigMaps of ds without owner references (their
// owners are not created for this measurement).
func childrenOf(ds []workload.Deployment) []client.Object {
	var objs []client.Object
	for _, d := range ds {
		for _, c := range render.Certificates(d.Object, d.Plan) {
			c.OwnerReferences = nil
			objs = append(objs, c)
		}
		for _, cm := range append(render.ConfigMaps(d.Object, d.Plan), render.InstallConfigMap(d.Object, d.Plan)) {
			cm.OwnerReferences = nil
			objs = append(objs, cm)
		}
	}
	return objs
}

// The field validation ucdeploy's writes ask for (childwriter.FieldValidation), as an option of a
// create and of a status update: the floor and the request costs ask for it too.
var (
	createValidation       = client.FieldValidation(childwriter.FieldValidation)
	statusUpdateValidation = &client.SubResourceUpdateOptions{UpdateOptions: client.UpdateOptions{FieldValidation: childwriter.FieldValidation}}
)
