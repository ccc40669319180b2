// Package v1alpha1 holds the UCDeployment API: the description of a Microsoft unified
// communications deployment (OCS 2007 R2 next to Exchange 2007/2010) from which ucdeploy plans
// certificates and DNS records.
//
// +kubebuilder:object:generate=true
// +groupName=uc.ucdeploy.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the API group and version of the UCDeployment kind.
	GroupVersion = schema.GroupVersion{Group: "uc.ucdeploy.io", Version: "v1alpha1"}

	// SchemeBuilder registers the types of this package with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the types of this package to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
