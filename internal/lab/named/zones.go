package named

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// zoneState is what the server remembers of a zone it wrote: the body it was given and the
// serial of the file.
type zoneState struct {
	name   string
	body   string
	serial uint32
}

// header is the part of a zone file the package writes before the body: origin, default TTL,
// SOA and NS. The NS names a host outside every zone, so that it needs no address record.
func header(name string, serial uint32) string {
	return fmt.Sprintf("$ORIGIN %s\n$TTL 300\n@\tIN\tSOA\tlocalhost. hostmaster.localhost. %d 3600 600 86400 60\n@\tIN\tNS\tlocalhost.\n",
		name, serial)
}

// writeZones writes the files of zones in view v and returns their states. extra holds, per zone
// name, records to append after the body (the records added by dynamic updates) and the lowest
// serial the zone may have (one above what it served).
func (s *Server) writeZones(v View, zones []Zone, extra map[string]carried) ([]zoneState, error) {
	states := make([]zoneState, 0, len(zones))
	for _, z := range zones {
		st := zoneState{name: canonical(z.Name), body: z.Body, serial: s.serial}
		c := extra[st.name]
		st.serial = max(st.serial, c.minSerial)
		text := header(st.name, st.serial) + z.Body
		if !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		if len(c.records) > 0 {
			text += "; added by dynamic update\n"
			for _, rr := range c.records {
				text += rr.String() + "\n"
			}
		}
		if err := os.WriteFile(s.zonePath(v, st.name), []byte(text), 0o600); err != nil {
			return nil, fmt.Errorf("writing zone %s of view %s: %w", st.name, v, err)
		}
		states = append(states, st)
	}
	slices.SortFunc(states, func(a, b zoneState) int { return strings.Compare(a.name, b.name) })
	return states, nil
}

// carried is what a zone of a dynamic view carries over into its next file.
type carried struct {
	records   []dns.RR
	minSerial uint32
}

// SetZones replaces the zones of view v with zones and returns once v answers with them: zones
// that are new are added, zones that are gone are removed, and every zone gets a new serial. In
// the view that takes dynamic updates, the records added by updates are kept (see the package
// documentation).
func (s *Server) SetZones(ctx context.Context, v View, zones []Zone) error {
	if !v.valid() {
		return fmt.Errorf("named: unknown view %q", v)
	}
	if err := validateZones(zones); err != nil {
		return fmt.Errorf("named: view %s: %w", v, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("named: server is closed")
	}
	old := s.zones[v]
	extra, err := s.freeze(ctx, v, old)
	if err != nil {
		return err
	}
	s.serial++
	states, err := s.writeZones(v, zones, extra)
	if err != nil {
		return err
	}
	s.zones[v] = states
	if err := s.writeConfig(); err != nil {
		return err
	}
	if err := s.rndc(ctx, "reconfig"); err != nil {
		return err
	}
	if err := s.reloadKept(ctx, v, old); err != nil {
		return err
	}
	if err := s.removeGone(v, old); err != nil {
		return err
	}
	return s.waitServing(ctx)
}

// freeze freezes the zones of view v if it takes dynamic updates and returns, per zone, what the
// next file must carry over; for other views it does nothing.
func (s *Server) freeze(ctx context.Context, v View, zones []zoneState) (map[string]carried, error) {
	if !s.dynamic(v) {
		return nil, nil
	}
	out := map[string]carried{}
	for _, z := range zones {
		if err := s.rndc(ctx, "freeze", z.name, "IN", string(v)); err != nil {
			return nil, err
		}
		c, err := s.carry(v, z)
		if err != nil {
			return nil, err
		}
		if err := s.waitDumped(ctx, v, z.name, c.minSerial-1); err != nil {
			return nil, err
		}
		out[z.name] = c
	}
	return out, nil
}

// carry transfers zone z of view v (AXFR: what named serves, dynamic updates included, whether
// or not it has written them to the file yet) and returns the records it holds beyond the body
// last written, and the serial after the one it serves.
func (s *Server) carry(v View, z zoneState) (carried, error) {
	have, err := s.transfer(v, z.name)
	if err != nil {
		return carried{}, err
	}
	static, err := ParseZone(z.name, header(z.name, z.serial)+z.body)
	if err != nil {
		return carried{}, fmt.Errorf("zone %s of view %s as last written: %w", z.name, v, err)
	}
	var c carried
	for _, rr := range have {
		if soa, ok := rr.(*dns.SOA); ok {
			c.minSerial = soa.Serial + 1
			continue
		}
		if !slices.ContainsFunc(static, func(o dns.RR) bool { return dns.IsDuplicate(rr, o) }) {
			c.records = append(c.records, rr)
		}
	}
	return c, nil
}

// transfer returns the records of zone name in view v by AXFR, without the closing SOA.
func (s *Server) transfer(v View, name string) ([]dns.RR, error) {
	m := new(dns.Msg).SetAxfr(name)
	tr := &dns.Transfer{DialTimeout: time.Second, ReadTimeout: 5 * time.Second}
	envs, err := tr.In(m, s.Addr(v))
	if err != nil {
		return nil, fmt.Errorf("transferring zone %s of view %s: %w", name, v, err)
	}
	var rrs []dns.RR
	for e := range envs {
		if e.Error != nil {
			return nil, fmt.Errorf("transferring zone %s of view %s: %w", name, v, e.Error)
		}
		rrs = append(rrs, e.RR...)
	}
	if len(rrs) > 1 {
		rrs = rrs[:len(rrs)-1] // AXFR ends with the SOA again
	}
	return rrs, nil
}

// waitDumped waits until the file of zone name in view v holds serial. Note: rndc freeze returns
// before named has written the journal into the file; a file written before that would be
// overwritten by named's late dump (and the zone would come back with the old serial).
func (s *Server) waitDumped(ctx context.Context, v View, name string, serial uint32) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for {
		text, err := os.ReadFile(s.zonePath(v, name))
		if err == nil {
			rrs, perr := ParseZone(name, string(text))
			if soa, ok := first(rrs).(*dns.SOA); ok && perr == nil && soa.Serial == serial {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("named did not write zone %s of view %s with serial %d: %w", name, v, serial, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// first returns the first of rrs, or nil.
func first(rrs []dns.RR) dns.RR {
	if len(rrs) == 0 {
		return nil
	}
	return rrs[0]
}

// ParseZone parses zone-file text with origin name.
func ParseZone(name, text string) ([]dns.RR, error) {
	zp := dns.NewZoneParser(strings.NewReader(text), name, "")
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	return rrs, zp.Err()
}

// reloadKept loads the new files of the zones of view v that were there before the change (new
// zones were loaded by reconfig): thaw for a dynamic view, reload otherwise.
func (s *Server) reloadKept(ctx context.Context, v View, old []zoneState) error {
	verb := "reload"
	if s.dynamic(v) {
		verb = "thaw"
	}
	for _, z := range old {
		if !slices.ContainsFunc(s.zones[v], func(n zoneState) bool { return n.name == z.name }) {
			continue
		}
		if err := s.rndc(ctx, verb, z.name, "IN", string(v)); err != nil {
			return err
		}
	}
	return nil
}

// removeGone deletes the files (and journals) of the zones of view v that the change removed.
func (s *Server) removeGone(v View, old []zoneState) error {
	var errs []error
	for _, z := range old {
		if slices.ContainsFunc(s.zones[v], func(n zoneState) bool { return n.name == z.name }) {
			continue
		}
		for _, p := range []string{s.zonePath(v, z.name), s.zonePath(v, z.name) + ".jnl"} {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("removing %s: %w", p, err))
			}
		}
	}
	return errors.Join(errs...)
}

// rndc runs rndc against the server's control channel.
func (s *Server) rndc(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, RNDC, append([]string{"-c", s.rndcPath()}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("rndc %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// waitServing polls until every zone of every view answers its SOA query with the serial last
// written, and every view without zones answers at all; it fails when named exits or after
// readyTimeout.
func (s *Server) waitServing(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	c := &dns.Client{Timeout: 500 * time.Millisecond}
	for {
		err := s.serving(ctx, c)
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("named exited (%v); log:\n%s", s.cmd.ProcessState, s.logTail())
		case <-ctx.Done():
			return fmt.Errorf("named does not serve its zones: %w; log:\n%s", err, s.logTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// serving checks once what waitServing waits for.
func (s *Server) serving(ctx context.Context, c *dns.Client) error {
	for _, v := range Views {
		probes := s.zones[v]
		if len(probes) == 0 {
			probes = []zoneState{{name: "."}}
		}
		for _, z := range probes {
			m := new(dns.Msg).SetQuestion(z.name, dns.TypeSOA)
			r, _, err := c.ExchangeContext(ctx, m, s.Addr(v))
			if err != nil {
				return fmt.Errorf("view %s, SOA %s: %w", v, z.name, err)
			}
			if z.name == "." {
				continue
			}
			// In the view that takes dynamic updates named raises the serial with each update, so
			// a serial above the one written is this version with updates on top.
			if got := soaSerial(r); got != z.serial && !(s.dynamic(v) && got > z.serial) {
				return fmt.Errorf("view %s, SOA %s: serial %d, want %d (%s)", v, z.name, got, z.serial, dns.RcodeToString[r.Rcode])
			}
		}
	}
	return nil
}

// soaSerial returns the serial of the authoritative SOA in r's answer, or 0.
func soaSerial(r *dns.Msg) uint32 {
	if r.Rcode != dns.RcodeSuccess || !r.Authoritative {
		return 0
	}
	for _, rr := range r.Answer {
		if soa, ok := rr.(*dns.SOA); ok {
			return soa.Serial
		}
	}
	return 0
}

// logTail returns the last lines of named's log and stderr, for error messages.
func (s *Server) logTail() string {
	var b strings.Builder
	for _, p := range []string{s.LogPath(), s.dir + "/stderr.log"} {
		data, _ := os.ReadFile(p)
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		b.WriteString(strings.Join(lines[max(0, len(lines)-20):], "\n") + "\n")
	}
	return b.String()
}
