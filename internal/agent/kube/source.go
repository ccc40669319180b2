// Package kube is the agent's Source on the Kubernetes API: it reads and watches exactly the
// objects the agent's Role names (resourceNames): the install ConfigMap of the deployment and the
// Secret of each role. Every get and watch names one object, a watch through the field selector
// metadata.name, which the API server authorizes against resourceNames.
package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/ucdeploy/ucdeploy/internal/agent"
	"github.com/ucdeploy/ucdeploy/internal/install"
)

// Source reads a deployment's install ConfigMap and its roles' Secrets.
type Source struct {
	// Client is the core/v1 client of the agent's kubeconfig.
	Client corev1client.CoreV1Interface
	// Namespace and Deployment name the UCDeployment.
	Namespace, Deployment string
}

// ConfigMapName is the install ConfigMap of the deployment.
func (s *Source) ConfigMapName() string { return s.Deployment + "-install" }

// configMap returns the install ConfigMap.
func (s *Source) configMap(ctx context.Context) (*corev1.ConfigMap, error) {
	cm, err := s.Client.ConfigMaps(s.Namespace).Get(ctx, s.ConfigMapName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("ConfigMap %s/%s: %w", s.Namespace, s.ConfigMapName(), agent.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get ConfigMap %s/%s: %w", s.Namespace, s.ConfigMapName(), err)
	}
	return cm, nil
}

// Inputs returns role's script and install.json from the install ConfigMap.
func (s *Source) Inputs(ctx context.Context, role string) (agent.Inputs, error) {
	cm, err := s.configMap(ctx)
	if err != nil {
		return agent.Inputs{}, err
	}
	script, ok := cm.Data[install.ScriptName(role)]
	if !ok {
		return agent.Inputs{}, fmt.Errorf("ConfigMap %s/%s has no %s", s.Namespace, cm.Name, install.ScriptName(role))
	}
	return agent.Inputs{Script: script, InstallJSON: []byte(cm.Data[install.JSONKey])}, nil
}

// SecretName returns the Secret of role, from install.json.
func (s *Source) SecretName(ctx context.Context, role string) (string, error) {
	cm, err := s.configMap(ctx)
	if err != nil {
		return "", err
	}
	var d install.Deployment
	if err := json.Unmarshal([]byte(cm.Data[install.JSONKey]), &d); err != nil {
		return "", fmt.Errorf("ConfigMap %s/%s %s: %w", s.Namespace, cm.Name, install.JSONKey, err)
	}
	c, ok := d.Find(role)
	if !ok || c.SecretName == "" {
		return "", fmt.Errorf("ConfigMap %s/%s: %s names no Secret for role %s", s.Namespace, cm.Name, install.JSONKey, role)
	}
	return c.SecretName, nil
}

// Secret returns the content of role's Secret.
func (s *Source) Secret(ctx context.Context, role string) (agent.Material, error) {
	name, err := s.SecretName(ctx, role)
	if err != nil {
		return agent.Material{}, err
	}
	sec, err := s.Client.Secrets(s.Namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return agent.Material{SecretName: name}, fmt.Errorf("Secret %s/%s: %w", s.Namespace, name, agent.ErrNotFound)
	}
	if err != nil {
		return agent.Material{SecretName: name}, fmt.Errorf("get Secret %s/%s: %w", s.Namespace, name, err)
	}
	m := agent.Material{
		SecretName: name, Cert: sec.Data[agent.KeyCert], Key: sec.Data[agent.KeyKey],
		CA: sec.Data[agent.KeyCA], PKCS12: sec.Data[agent.KeyPKCS12],
	}
	// cert-manager does not write the revision on the Secret; an annotation of this name, when
	// someone writes it, is used.
	if r, err := strconv.Atoi(sec.Annotations[RevisionAnnotation]); err == nil && r > 0 {
		m.Revision = r
	}
	return m, nil
}

// RevisionAnnotation on a Secret gives the certificate's revision (cert-manager writes it on
// CertificateRequests only; the agent cannot read those).
const RevisionAnnotation = "cert-manager.io/certificate-revision"

// Wakers hands out one channel per role that Watch signals when the role's inputs may have
// changed; a signal is never queued twice.
type Wakers struct {
	mu sync.Mutex
	ch map[string]chan struct{}
}

// For returns role's channel.
func (w *Wakers) For(role string) chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch == nil {
		w.ch = map[string]chan struct{}{}
	}
	if w.ch[role] == nil {
		w.ch[role] = make(chan struct{}, 1)
	}
	return w.ch[role]
}

// wake signals roles without blocking.
func (w *Wakers) wake(roles ...string) {
	for _, r := range roles {
		select {
		case w.For(r) <- struct{}{}:
		default:
		}
	}
}

// Watch watches the install ConfigMap (a change wakes every role) and each role's Secret (a
// change wakes that role) until ctx ends, re-establishing a watch that ends after a pause.
func (s *Source) Watch(ctx context.Context, roles []string, w *Wakers, logf func(format string, args ...any)) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.watchLoop(ctx, func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			opts.FieldSelector = fields.OneTermEqualSelector("metadata.name", s.ConfigMapName()).String()
			return s.Client.ConfigMaps(s.Namespace).Watch(ctx, opts)
		}, func() { w.wake(roles...) }, logf)
	}()
	for _, role := range roles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.watchLoop(ctx, func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
				name, err := s.SecretName(ctx, role)
				if err != nil {
					return nil, err
				}
				opts.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
				return s.Client.Secrets(s.Namespace).Watch(ctx, opts)
			}, func() { w.wake(role) }, logf)
		}()
	}
	wg.Wait()
}

// watchLoop runs start's watch, calling changed on every event, and starts it again when it
// ends or fails (after 1 s, doubling to 1 min while it keeps failing).
func (s *Source) watchLoop(ctx context.Context, start func(context.Context, metav1.ListOptions) (watch.Interface, error), changed func(), logf func(string, ...any)) {
	pause := time.Second
	for ctx.Err() == nil {
		wi, err := start(ctx, metav1.ListOptions{})
		if err != nil {
			logf("watch: %v (again in %s)", err, pause)
			select {
			case <-ctx.Done():
				return
			case <-time.After(pause):
			}
			pause = min(2*pause, time.Minute)
			continue
		}
		pause = time.Second
		if !s.drain(ctx, wi, changed) {
			return
		}
		// The watch ended (timeout, or the API server restarted): events may have been missed.
		changed()
	}
}

// drain calls changed for every event of wi until it ends (true) or ctx does (false).
func (s *Source) drain(ctx context.Context, wi watch.Interface, changed func()) bool {
	defer wi.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case ev, ok := <-wi.ResultChan():
			if !ok {
				return true
			}
			if ev.Type != watch.Bookmark {
				changed()
			}
		}
	}
}
