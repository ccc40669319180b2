package handshake

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/served/servedtest"
)

// listen starts a server on 127.0.0.1 running serve for each connection.
func listen(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}

func testCert(t *testing.T) tls.Certificate {
	now := time.Now()
	ca := servedtest.NewCA(t, "Test", now)
	leaf := ca.Issue(t, servedtest.Leaf{Names: []string{"sip.contoso.com"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)})
	return servedtest.TLS(leaf, ca.Intermediate.Cert)
}

// TestChainDespiteClientAuthentication: an MTLS listener (SIP 5061) that requires a client
// certificate still hands over its chain; the probe sends none.
func TestChainDespiteClientAuthentication(t *testing.T) {
	cert := testCert(t)
	for _, max := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		addr := listen(t, func(c net.Conn) {
			_ = tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAnyClientCert, MaxVersion: max}).Handshake()
		})
		chain, err := Chain(context.Background(), plan.ProtocolTLS, addr, "sip.contoso.com", 2*time.Second)
		if len(chain) != 2 || chain[0].Subject.CommonName != "sip.contoso.com" {
			t.Errorf("TLS up to %x: chain %d certificates, err %v; want the leaf and the intermediate", max, len(chain), err)
		}
	}
}

// TestSilentServer: a server that accepts and says nothing costs the timeout, not more.
func TestSilentServer(t *testing.T) {
	addr := listen(t, func(c net.Conn) { time.Sleep(3 * time.Second) })
	for _, protocol := range []string{plan.ProtocolTLS, plan.ProtocolSMTPStartTLS} {
		start := time.Now()
		_, err := Chain(context.Background(), protocol, addr, "mail.contoso.com", 300*time.Millisecond)
		if took := time.Since(start); err == nil || took > 2*time.Second {
			t.Errorf("%s to a silent server: err %v after %v; want an error within the timeout", protocol, err, took)
		}
	}
}

// TestSMTPWithoutStartTLS: a server that does not offer STARTTLS is an error saying so.
func TestSMTPWithoutStartTLS(t *testing.T) {
	addr := listen(t, func(c net.Conn) {
		fmt.Fprint(c, "220 mx ESMTP\r\n")
		buf := make([]byte, 512)
		if _, err := c.Read(buf); err == nil {
			fmt.Fprint(c, "250-mx\r\n250 SIZE 1000\r\n")
		}
		_, _ = c.Read(buf)
	})
	_, err := Chain(context.Background(), plan.ProtocolSMTPStartTLS, addr, "mail.contoso.com", 2*time.Second)
	if err == nil || !strings.Contains(err.Error(), "does not offer STARTTLS") {
		t.Errorf("err %v; want the server does not offer STARTTLS", err)
	}
}

func TestUnknownProtocol(t *testing.T) {
	addr := listen(t, func(net.Conn) {})
	if _, err := Chain(context.Background(), "xmpp", addr, "x", time.Second); err == nil || !strings.Contains(err.Error(), `unknown protocol "xmpp"`) {
		t.Errorf("err %v", err)
	}
}
