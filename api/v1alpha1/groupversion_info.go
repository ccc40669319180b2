// Package v1alpha1 holds the UCDeployment API: the description of a Microsoft unified
// communications deployment (OCS 2007 R2 next to Exchange 2007/2010) from which ucdeploy plans
// certificates and DNS records. It depends on apimachinery only.
//
// +kubebuilder:object:generate=true
// +groupName=uc.ucdeploy.io
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the API group and version of the UCDeployment kind.
	GroupVersion = schema.GroupVersion{Group: "uc.ucdeploy.io", Version: "v1alpha1"}

	// SchemeBuilder registers the types of this package with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the types of this package to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// addKnownTypes registers UCDeployment and UCDeploymentList in the group version.
func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &UCDeployment{}, &UCDeploymentList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
