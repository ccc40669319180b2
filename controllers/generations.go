package controllers

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// appliedGenerations remembers, per UCDeployment, the last generation whose children this process
// applied without error. It decides how a child missing from the cache is created (ensureChild):
// the process's own memory of its writes, not the object's status, which another writer or an
// older process may have written.
type appliedGenerations struct {
	m sync.Map // types.NamespacedName → generationOf
}

// generationOf names one generation of one UCDeployment object (a deleted and re-created
// deployment of the same name starts again at generation 1, with another UID).
type generationOf struct {
	uid        types.UID
	generation int64
}

func (g *appliedGenerations) applied(ucd *v1alpha1.UCDeployment) bool {
	v, ok := g.m.Load(types.NamespacedName{Namespace: ucd.Namespace, Name: ucd.Name})
	return ok && v.(generationOf) == generationOf{ucd.UID, ucd.Generation}
}

func (g *appliedGenerations) record(ucd *v1alpha1.UCDeployment) {
	g.m.Store(types.NamespacedName{Namespace: ucd.Namespace, Name: ucd.Name}, generationOf{ucd.UID, ucd.Generation})
}

func (g *appliedGenerations) forget(key types.NamespacedName) { g.m.Delete(key) }
