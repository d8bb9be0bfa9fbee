package recstore

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/auvious/recstore/internal/awsname"
	"github.com/auvious/recstore/internal/diagnose"
)

// WithAllowedEndpoints lets the tenant Configs of a Pool name endpoints
// (storageProviderEndpoint, storageProviderStsEndpoint) that are not AWS's
// own. An entry is a host name (any port), host:port, an IP address or a
// CIDR (10.20.0.0/16). Without it a tenant may name only S3's and STS's
// public names and interface VPC endpoints (*.vpce.amazonaws.com): a
// tenant's Config comes from the customer, who must not make the recorder
// call its instance metadata, a sidecar on loopback or any other address
// of the recorder's network with its own identity's signatures.
//
// The Pool also checks, when it dials a host a tenant named as an
// endpoint or a name under it (other than S3's and STS's public names),
// the address the name resolved to: a loopback,
// link-local (the metadata service 169.254.169.254 and fd00:ec2::254
// among them), private, shared (100.64.0.0/10), unspecified or multicast
// address is refused unless an IP address, IP:port or CIDR entry allows it, so that
// a name that resolves there later (DNS rebinding), or a VPC endpoint's
// name, reaches no such address. The refusal is ErrEndpointRefused, and
// no byte is sent. The check is on the Pool's own transport: a Pool given
// WithStoreOptions(WithHTTPClient(c)) leaves it to c, and behind an HTTP
// proxy it is the proxy that resolves and connects. Open's Stores, whose
// caller owns the Config, keep Open's own rules.
func WithAllowedEndpoints(entries ...string) PoolOption {
	return poolOption(func(o *poolOptions) { o.allowed = append(o.allowed, entries...) })
}

// endpointRules are the endpoints a Pool's tenants may name.
type endpointRules struct {
	hosts     map[string]bool // host names, any port
	hostPorts map[string]bool // host:port
	addrs     []netip.Prefix  // IP addresses (as /32 and /128) and CIDRs
}

// newEndpointRules reads WithAllowedEndpoints's entries.
func newEndpointRules(entries []string) (endpointRules, []string) {
	r := endpointRules{hosts: map[string]bool{}, hostPorts: map[string]bool{}}
	var problems []string
	for _, e := range entries {
		entry := strings.ToLower(strings.TrimSpace(e))
		if prefix, err := netip.ParsePrefix(entry); err == nil {
			r.addrs = append(r.addrs, prefix.Masked())
			continue
		}
		if addr, err := netip.ParseAddr(strings.Trim(entry, "[]")); err == nil {
			r.addrs = append(r.addrs, netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()))
			continue
		}
		if host, port, err := net.SplitHostPort(entry); err == nil && isHostName(host) && isPort(port) {
			r.hostPorts[net.JoinHostPort(host, port)] = true
			continue
		}
		if !isHostName(entry) {
			problems = append(problems, fmt.Sprintf("WithAllowedEndpoints(%q): want a host name, host:port, an IP address "+
				"or a CIDR (10.20.0.0/16)", truncate(e)))
			continue
		}
		r.hosts[entry] = true
	}
	return r, problems
}

func isHostName(h string) bool {
	return h != "" && len(h) <= 253 && allIn(h, "abcdefghijklmnopqrstuvwxyz0123456789.-") && h[0] != '.' && h[0] != '-'
}

func isPort(p string) bool { return p != "" && len(p) <= 5 && allIn(p, "0123456789") }

// allowsDial reports whether an IP address or CIDR entry covers addr, or
// an IP:port entry names addr and port.
func (r endpointRules) allowsDial(addr netip.Addr, port string) bool {
	for _, p := range r.addrs {
		if p.Contains(addr.Unmap()) {
			return true
		}
	}
	return r.hostPorts[net.JoinHostPort(addr.Unmap().String(), port)]
}

// checkTenantEndpoint is the Pool's rule for a tenant's endpoint setting:
// S3's and STS's public names and VPC endpoints, or what
// WithAllowedEndpoints allows.
func (r endpointRules) checkTenantEndpoint(raw string) string {
	u, err := url.Parse(raw)
	if raw == "" || err != nil || u.Host == "" {
		return "" // empty, or Validate's to refuse
	}
	host := strings.ToLower(u.Hostname())
	if addr, err := netip.ParseAddr(host); err == nil {
		if r.allowsDial(addr, u.Port()) {
			return ""
		}
	} else if awsname.Host(host) != awsname.OtherHost || r.hosts[host] || r.hostPorts[net.JoinHostPort(host, u.Port())] {
		return ""
	}
	return fmt.Sprintf("host %s is not one of AWS's S3 or STS endpoints, and this service does not let a customer's "+
		"configuration name other hosts; leave it empty for AWS, or ask the service's operator to allow it "+
		"(WithAllowedEndpoints)", truncate(u.Host))
}

// guardedDialer is the Pool transport's dial. A host that tenants named
// as an endpoint (other than S3's and STS's public names), and any name
// under it (the SDK puts an access point's <name>-<account> in front),
// is dialled only to an address that is public or allowed; everything
// else, an HTTP proxy's address among them, as usual. Behind a proxy the
// proxy resolves a tenant's host and connects, so it is the proxy that
// must refuse internal addresses.
type guardedDialer struct {
	rules endpointRules
	plain *net.Dialer

	mu      sync.Mutex
	watched map[string]bool // tenants' endpoint hosts, lower case
}

func newGuardedDialer(rules endpointRules) *guardedDialer {
	return &guardedDialer{rules: rules, plain: &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second},
		watched: map[string]bool{}}
}

// watch makes the dialer check the addresses of host, a tenant's
// endpoint host, and of the names under it.
func (g *guardedDialer) watch(host string) {
	if g == nil || awsname.Host(host) == awsname.ServiceHost {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.watched[strings.ToLower(host)] = true
}

// isWatched reports whether host is a tenant's endpoint host or under one.
func (g *guardedDialer) isWatched(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	g.mu.Lock()
	defer g.mu.Unlock()
	for h := host; ; {
		if g.watched[h] {
			return true
		}
		_, parent, ok := strings.Cut(h, ".")
		if !ok {
			return false
		}
		h = parent
	}
}

// DialContext is the Pool transport's dial.
func (g *guardedDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(address)
	if err != nil || !g.isWatched(host) {
		return g.plain.DialContext(ctx, network, address)
	}
	d := *g.plain
	d.Control = func(_, resolved string, _ syscall.RawConn) error {
		ip, port, err := net.SplitHostPort(resolved)
		if err != nil {
			return err
		}
		addr, err := netip.ParseAddr(ip)
		if err != nil {
			return err
		}
		if kind := internalAddress(addr.Unmap()); kind != "" && !g.rules.allowsDial(addr, port) {
			return &diagnose.EndpointRefusedError{Host: host, Addr: addr.Unmap().String(), Kind: kind}
		}
		return nil
	}
	return d.DialContext(ctx, network, address)
}

// The addresses internalAddress knows beyond netip's own classes: EC2's
// metadata service over IPv6, and RFC 6598's shared address space. Never
// written.
var (
	ec2MetadataIPv6    = netip.MustParseAddr("fd00:ec2::254")
	sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")
)

// internalAddress names the kind of address a tenant's endpoint must not
// reach, or "" for a public one.
func internalAddress(a netip.Addr) string {
	switch {
	case a.IsLoopback():
		return "a loopback address"
	case a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a == ec2MetadataIPv6:
		return "a link-local address, where the instance metadata service answers"
	case a.IsPrivate():
		return "a private address"
	case sharedAddressSpace.Contains(a):
		return "a shared address (100.64.0.0/10)"
	case a.IsUnspecified():
		return "an unspecified address"
	case a.IsMulticast() || a.IsInterfaceLocalMulticast():
		return "a multicast address"
	}
	return ""
}
