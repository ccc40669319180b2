package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
	"github.com/ucdeploy/ucdeploy/internal/decode"
	"github.com/ucdeploy/ucdeploy/internal/install"
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/render"
	"github.com/ucdeploy/ucdeploy/internal/scheme"
)

// exportFixture is a fake cluster holding the seed sample's UCDeployment and, for each of its
// certificates, a Secret whose keystore.p12 is the certificate's name (export copies it).
type exportFixture struct {
	c       client.Reader
	key     client.ObjectKey
	install install.Deployment
}

func newExportFixture(t *testing.T) exportFixture {
	t.Helper()
	const file = "../../config/samples/seed-single-certificate.yaml"
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := decode.Decode(file, data)
	if err != nil {
		t.Fatal(err)
	}
	ucd := ds[0].DeepCopy()
	ucd.Namespace = "lync"
	ip := install.Plan(ucd.Name, &ucd.Spec, plan.Compute(ucd.Name, &ucd.Spec))
	objs := []client.Object{ucd}
	for _, c := range ip.Certificates {
		objs = append(objs, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ucd.Namespace, Name: c.SecretName},
			Data:       map[string][]byte{cmapi.PKCS12SecretKey: []byte("pfx of " + c.Name)},
		})
	}
	s, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).WithStatusSubresource(ucd).Build()
	return exportFixture{c: c, key: client.ObjectKeyFromObject(ucd), install: ip}
}

func (f exportFixture) export(out string, force bool) error {
	e := exporter{c: f.c, out: out, force: force, stdout: io.Discard}
	return e.run(context.Background(), f.key, "")
}

// TestExportRefusesExistingFilesAndSymlinks (issue 29, item 3): export creates each file anew with
// mode 0600; it refuses a PFX planted world-writable beforehand and a symlink, leaving both as they
// were; with --force it replaces them by a new 0600 file and leaves a symlink's target alone.
func TestExportRefusesExistingFilesAndSymlinks(t *testing.T) {
	f := newExportFixture(t)
	first := f.install.Certificates[0]

	out := t.TempDir()
	if err := f.export(out, false); err != nil {
		t.Fatalf("export into an empty directory: %v", err)
	}
	for _, c := range f.install.Certificates {
		for _, name := range []string{c.PFX, c.Script} {
			assertFile(t, filepath.Join(out, name), "", 0o600)
		}
	}
	assertFile(t, filepath.Join(out, install.JSONKey), "", 0o600)

	// A PFX planted beforehand, world-readable: refused, left as it was.
	planted := t.TempDir()
	pfx := filepath.Join(planted, first.PFX)
	writePlanted(t, pfx, "planted", 0o666)
	if err := f.export(planted, false); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("export over a planted file: %v; want a refusal naming it", err)
	}
	assertFile(t, pfx, "planted", 0o666)

	// A symlink to a file elsewhere: refused, the target untouched.
	linked := t.TempDir()
	target := filepath.Join(t.TempDir(), "target")
	writePlanted(t, target, "target", 0o644)
	link := filepath.Join(linked, first.PFX)
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := f.export(linked, false); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("export over a symlink: %v; want a refusal", err)
	}
	assertFile(t, target, "target", 0o644)

	// --force replaces both by new files of mode 0600 and never writes through the symlink.
	for _, dir := range []string{planted, linked} {
		if err := f.export(dir, true); err != nil {
			t.Fatalf("export --force into %s: %v", dir, err)
		}
		assertFile(t, filepath.Join(dir, first.PFX), "pfx of "+first.Name, 0o600)
	}
	assertFile(t, target, "target", 0o644)
	if fi, err := os.Lstat(link); err != nil || fi.Mode().Type() != 0 {
		t.Errorf("after --force %s is %v, %v; want a regular file", link, fi.Mode(), err)
	}
	if left, _ := filepath.Glob(filepath.Join(planted, ".*.tmp-*")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// writePlanted creates path with content and mode, whatever the umask.
func writePlanted(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// assertFile checks path is a regular file of mode and, unless content is empty, of content.
func assertFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != mode {
		t.Errorf("%s: mode %v; want %v", path, fi.Mode(), mode)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if content != "" && !bytes.Equal(got, []byte(content)) {
		t.Errorf("%s holds %q; want %q", path, got, content)
	}
}

// TestExportChecksTheRecordedDigests (issue 29, item 9): export writes a script only when its
// digest is the one the manager recorded in status.installDigests; a differing digest writes
// nothing.
func TestExportChecksTheRecordedDigests(t *testing.T) {
	f := newExportFixture(t)
	ucd := &v1alpha1.UCDeployment{}
	if err := f.c.Get(context.Background(), f.key, ucd); err != nil {
		t.Fatal(err)
	}
	digests := map[string]string{}
	for _, c := range f.install.Certificates {
		digests[c.Script] = render.Digest(install.Script(c))
	}
	setDigests := func(d map[string]string) {
		ucd.Status.InstallDigests = d
		if err := f.c.(client.Client).Status().Update(context.Background(), ucd); err != nil {
			t.Fatal(err)
		}
	}
	// The status names a revision: the manager's scripts (the digests) take -Revision as a
	// parameter, the files export writes default it to that revision (R-K8S-06).
	rev := int32(3)
	for i := range ucd.Status.Certificates {
		ucd.Status.Certificates[i].Revision = &rev
	}
	if len(ucd.Status.Certificates) == 0 {
		for _, c := range f.install.Certificates {
			ucd.Status.Certificates = append(ucd.Status.Certificates, v1alpha1.CertificateStatus{Name: c.Name, Role: c.Role, Revision: &rev})
		}
	}
	setDigests(digests)
	exported := t.TempDir()
	if err := f.export(exported, false); err != nil {
		t.Errorf("matching digests: %v", err)
	}
	first := f.install.Certificates[0].Script
	if script, err := os.ReadFile(filepath.Join(exported, first)); err != nil || string(script) == install.Script(f.install.Certificates[0]) {
		t.Errorf("%s: %v; want the script with -Revision defaulting to revision 3, not the ConfigMap's", first, err)
	}
	digests[first] = render.Digest("tampered")
	setDigests(digests)
	out := t.TempDir()
	if err := f.export(out, false); err == nil || !strings.Contains(err.Error(), "script "+first+" differs") {
		t.Errorf("a differing digest: %v; want a refusal naming %s", err, first)
	}
	if written, _ := filepath.Glob(filepath.Join(out, "*")); len(written) > 0 {
		t.Errorf("a refused export wrote %v", written)
	}
}
