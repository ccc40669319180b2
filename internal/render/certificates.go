package render

import (
	"slices"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// Certificates returns one cert-manager Certificate per certificate of p, in plan order, in ucd's
// namespace and owned by ucd. The lifetime is the plan's (R-PKI-01); the issuer, renewal and
// private key come from ucd.Spec.Certificates; a certificate whose issuer reference is not set gets an empty issuer
// name (the planner reports that as an error finding).
func Certificates(ucd *v1alpha1.UCDeployment, p plan.Plan) []*cmapi.Certificate {
	certs := make([]*cmapi.Certificate, 0, len(p.Certificates))
	for _, c := range p.Certificates {
		certs = append(certs, certificate(ucd, c))
	}
	return certs
}

// certificate returns the cert-manager Certificate of c.
func certificate(ucd *v1alpha1.UCDeployment, c plan.Certificate) *cmapi.Certificate {
	spec := ucd.Spec.Certificates
	return &cmapi.Certificate{
		TypeMeta:   metav1.TypeMeta{APIVersion: cmapi.SchemeGroupVersion.String(), Kind: cmapi.CertificateKind},
		ObjectMeta: objectMeta(ucd, c.Name, LabelRole, c.Role),
		Spec: cmapi.CertificateSpec{
			SecretName:  c.SecretName,
			CommonName:  c.CommonName,
			DNSNames:    slices.Clone(c.DNSNames),
			Usages:      keyUsages(c.Usages),
			IssuerRef:   issuerRef(spec, c.Issuer),
			Duration:    &metav1.Duration{Duration: c.Duration.Duration},
			RenewBefore: spec.RenewBefore.DeepCopy(),
			PrivateKey: &cmapi.CertificatePrivateKey{
				Algorithm:      cmapi.PrivateKeyAlgorithm(spec.PrivateKey.Algorithm),
				Size:           int(spec.PrivateKey.Size),
				RotationPolicy: cmapi.RotationPolicyAlways,
			},
			Keystores: keystores(spec.PKCS12),
		},
	}
}

// keystores is spec.keystores of every Certificate: with spec.certificates.pkcs12, a PKCS#12
// keystore protected by the password Secret, always with an explicit profile (R-K8S-01); without
// it, none. The password is referenced, never copied: ucdeploy does not read Secrets.
func keystores(p *v1alpha1.PKCS12Spec) *cmapi.CertificateKeystores {
	if p == nil {
		return nil
	}
	return &cmapi.CertificateKeystores{PKCS12: &cmapi.PKCS12Keystore{
		Create:  true,
		Profile: PKCS12Profile(p.OldestWindows),
		PasswordSecretRef: cmmeta.SecretKeySelector{
			LocalObjectReference: cmmeta.LocalObjectReference{Name: p.PasswordSecretRef.Name},
			Key:                  p.PasswordSecretRef.Key,
		},
	}}
}

// PKCS12Profile is the keystore encryption the oldest importing Windows Server reads: the
// planner's choice (plan.PKCS12Profile, R-K8S-01) as cert-manager's type.
func PKCS12Profile(oldest v1alpha1.WindowsVersion) cmapi.PKCS12Profile {
	return cmapi.PKCS12Profile(plan.PKCS12Profile(oldest))
}

// issuerRef returns the cert-manager issuer reference for the issuer class of a certificate:
// PublicIssuerRef for plan.IssuerPublic, InternalIssuerRef for plan.IssuerInternal. A missing
// reference (or an unknown class) gives an empty name. An empty kind means ClusterIssuer, the
// UCDeployment API's default, which cert-manager would otherwise read as Issuer.
func issuerRef(spec v1alpha1.CertificatesSpec, issuer string) cmmeta.IssuerReference {
	ref := cmmeta.IssuerReference{Group: cmapi.SchemeGroupVersion.Group}
	if from := spec.IssuerFor(issuer); from != nil {
		ref.Name, ref.Kind = from.Name, from.KindOrDefault()
	}
	return ref
}

// keyUsages converts cert-manager key usage names.
func keyUsages(usages []string) []cmapi.KeyUsage {
	if len(usages) == 0 {
		return nil
	}
	out := make([]cmapi.KeyUsage, len(usages))
	for i, u := range usages {
		out[i] = cmapi.KeyUsage(u)
	}
	return out
}
