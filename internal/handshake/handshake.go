// Package handshake reads the certificate chain a server presents: a TLS handshake, after an
// SMTP STARTTLS exchange for smtp-starttls listeners, that neither trusts the chain nor answers a
// request for a client certificate with one. Judging the chain is package served's work.
package handshake

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"time"

	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// clientName is the name the probe gives in EHLO.
const clientName = "ucdeploy.invalid"

// Chain connects to address (IP:port) with protocol (plan.ProtocolTLS or
// plan.ProtocolSMTPStartTLS), asks for serverName (SNI) and returns the chain the server sent,
// leaf first. The whole exchange is bounded by timeout. A server that asks for a client
// certificate and then ends the handshake because none came still yields its chain.
func Chain(ctx context.Context, protocol, address, serverName string, timeout time.Duration) ([]*x509.Certificate, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", address)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(deadline); err != nil {
			return nil, fmt.Errorf("set deadline: %w", err)
		}
	}
	switch protocol {
	case plan.ProtocolTLS:
	case plan.ProtocolSMTPStartTLS:
		if err := startTLS(conn); err != nil {
			return nil, fmt.Errorf("smtp: %w", err)
		}
	default:
		return nil, fmt.Errorf("unknown protocol %q", protocol)
	}
	return readChain(ctx, conn, serverName)
}

// readChain runs the TLS handshake on conn and keeps the server's certificates as soon as they
// arrive, before any client certificate is asked for.
func readChain(ctx context.Context, conn net.Conn, serverName string) ([]*x509.Certificate, error) {
	var raw [][]byte
	cfg := &tls.Config{
		ServerName: serverName,
		// The chain is judged by package served, not trusted: a probe must read expired,
		// foreign and incomplete chains as they are.
		InsecureSkipVerify: true, //nolint:gosec // reading, not trusting
		// Lync 2010 and OCS 2007 R2 era servers may speak no more than TLS 1.0.
		MinVersion: tls.VersionTLS10, //nolint:gosec // reading old servers' certificates
		VerifyPeerCertificate: func(certs [][]byte, _ [][]*x509.Certificate) error {
			raw = certs
			return nil
		},
	}
	tc := tls.Client(conn, cfg)
	err := tc.HandshakeContext(ctx)
	if len(raw) == 0 {
		if err == nil {
			err = errors.New("the server sent no certificate")
		}
		return nil, fmt.Errorf("tls handshake: %w", err)
	}
	chain := make([]*x509.Certificate, len(raw))
	for i, der := range raw {
		c, perr := x509.ParseCertificate(der)
		if perr != nil {
			return nil, fmt.Errorf("certificate %d of the chain: %w", i, perr)
		}
		chain[i] = c
	}
	return chain, nil
}

// startTLS speaks SMTP up to the TLS handshake: greeting, EHLO, STARTTLS (RFC 3207).
func startTLS(conn net.Conn) error {
	tp := textproto.NewConn(conn)
	if _, _, err := tp.ReadResponse(220); err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	if err := tp.PrintfLine("EHLO %s", clientName); err != nil {
		return fmt.Errorf("EHLO: %w", err)
	}
	_, ehlo, err := tp.ReadResponse(250)
	if err != nil {
		return fmt.Errorf("EHLO: %w", err)
	}
	if !offersStartTLS(ehlo) {
		return errors.New("the server does not offer STARTTLS")
	}
	if err := tp.PrintfLine("STARTTLS"); err != nil {
		return fmt.Errorf("STARTTLS: %w", err)
	}
	if _, _, err := tp.ReadResponse(220); err != nil {
		return fmt.Errorf("STARTTLS: %w", err)
	}
	return nil
}

// offersStartTLS reports whether an EHLO reply (lines joined with newlines) lists STARTTLS.
func offersStartTLS(reply string) bool {
	for _, line := range strings.Split(reply, "\n") {
		if strings.EqualFold(strings.TrimSpace(line), "STARTTLS") {
			return true
		}
	}
	return false
}
