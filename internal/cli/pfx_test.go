package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	"software.sslmate.com/src/go-pkcs12"
)

// pfxMAC is the part of a PKCS#12 PFX (RFC 7292 §4) this test reads: the MAC's iteration count.
type pfxMAC struct {
	Version  int
	AuthSafe asn1.RawValue
	MacData  struct {
		Mac        asn1.RawValue
		MacSalt    []byte
		Iterations int `asn1:"optional,default:1"`
	}
}

// TestBuiltPFXMACIterations (issue 29, item 7): a PFX that export builds derives its MAC key with
// pfxIterations iterations, for Windows Server 2016's profile (3DES) as for 2019's (AES-256), not
// the single iteration of go-pkcs12's legacy encoders; and it still decodes with its password.
func TestBuiltPFXMACIterations(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mail.contoso.com"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	for _, profile := range []cmapi.PKCS12Profile{cmapi.LegacyDESPKCS12Profile, cmapi.Modern2023PKCS12Profile} {
		pfx, err := Encoder(profile).Encode(key, cert, nil, "Pa55word!")
		if err != nil {
			t.Fatalf("%s: %v", profile, err)
		}
		var p pfxMAC
		if _, err := asn1.Unmarshal(pfx, &p); err != nil {
			t.Fatalf("%s: reading the PFX's MAC: %v", profile, err)
		}
		if p.MacData.Iterations != pfxIterations {
			t.Errorf("%s: MAC iterations %d; want %d", profile, p.MacData.Iterations, pfxIterations)
		}
		if _, got, _, err := pkcs12.DecodeChain(pfx, "Pa55word!"); err != nil || !got.Equal(cert) {
			t.Errorf("%s: the PFX does not decode with its password: %v", profile, err)
		}
	}
}
