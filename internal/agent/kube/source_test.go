package kube

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/ucdeploy/ucdeploy/internal/agent"
	"github.com/ucdeploy/ucdeploy/internal/install"
)

// objects are the install ConfigMap of deployment lab (role pool, Secret lab-pool) and the Secret.
func objects() (*corev1.ConfigMap, *corev1.Secret) {
	d := install.Deployment{Deployment: "lab", Certificates: []install.Certificate{{Name: "lab-pool", Role: "pool", SecretName: "lab-pool", Script: "pool.ps1"}}}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "lab-install", Namespace: "uc"},
		Data:       map[string]string{install.JSONKey: d.JSON(), "pool.ps1": "# pool"},
	}
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "lab-pool", Namespace: "uc", Annotations: map[string]string{RevisionAnnotation: "3"}},
		Data:       map[string][]byte{"tls.crt": []byte("crt"), "tls.key": []byte("key"), "ca.crt": []byte("ca")},
	}
	return cm, sec
}

func TestSourceReadsTheRoleSecretAndScript(t *testing.T) {
	cm, sec := objects()
	cs := fake.NewClientset(cm, sec)
	s := &Source{Client: cs.CoreV1(), Namespace: "uc", Deployment: "lab"}
	ctx := context.Background()
	m, err := s.Secret(ctx, "pool")
	if err != nil || string(m.Cert) != "crt" || string(m.Key) != "key" || string(m.CA) != "ca" || m.Revision != 3 || m.SecretName != "lab-pool" {
		t.Fatalf("Secret = %+v, %v", m, err)
	}
	in, err := s.Inputs(ctx, "pool")
	if err != nil || in.Script != "# pool" || !strings.Contains(string(in.InstallJSON), `"lab-pool"`) {
		t.Fatalf("Inputs = %+v, %v", in, err)
	}
	if _, err := s.Inputs(ctx, "edge"); err == nil || !strings.Contains(err.Error(), "edge.ps1") {
		t.Errorf("a role without a script: %v", err)
	}
	if _, err := s.Secret(ctx, "edge"); err == nil || errors.Is(err, agent.ErrNotFound) {
		t.Errorf("a role install.json does not name: %v (must not read as a deleted Secret)", err)
	}
	if err := cs.CoreV1().Secrets("uc").Delete(ctx, "lab-pool", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Secret(ctx, "pool"); !errors.Is(err, agent.ErrNotFound) {
		t.Errorf("a deleted Secret: %v, want ErrNotFound", err)
	}
}

func TestWatchWakesTheRole(t *testing.T) {
	cm, sec := objects()
	cs := fake.NewClientset(cm, sec)
	s := &Source{Client: cs.CoreV1(), Namespace: "uc", Deployment: "lab"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &Wakers{}
	done := make(chan struct{})
	go func() { s.Watch(ctx, []string{"pool"}, w, t.Logf); close(done) }()
	wake := w.For("pool")
	// The fake's watches start asynchronously: keep updating until a wake arrives.
	deadline := time.After(10 * time.Second)
	for i := 0; ; i++ {
		sec.Annotations["n"] = time.Now().String()
		if _, err := cs.CoreV1().Secrets("uc").Update(ctx, sec, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-wake:
			cancel()
			<-done
			return
		case <-deadline:
			t.Fatal("no wake-up after Secret updates")
		case <-time.After(50 * time.Millisecond):
		}
	}
}
